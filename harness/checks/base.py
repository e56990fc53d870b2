"""A check: a small named judgement over recorded evidence.

A check never sends requests. It receives one evidence record (its first parameter's type says
which), raises `CheckFailed` for a finding, `NotApplicable` when the capability is absent, and
returns a short pass message otherwise. The level decides what a finding becomes: a MUST finding
is `fail`, a SHOULD finding is `warn`; a caller may change the level (e.g. per spec revision).
"""

from __future__ import annotations

import logging
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from harness.errors import CheckFailed, NotApplicable, TargetError
from harness.http import Exchange
from harness.results import Level, Result, Severity, Verdict

log = logging.getLogger(__name__)
MAX_EVIDENCE = 6


class ClauseBroken(CheckFailed):
    """A finding that names the clause it breaks; `refs` join the check's own spec refs."""

    def __init__(
        self,
        *,
        expected: str,
        actual: str,
        refs: Sequence[str],
        evidence: Sequence[Exchange] = (),
        message: str | None = None,
        should: bool = False,
    ) -> None:
        super().__init__(
            expected=expected, actual=actual, evidence=evidence, message=message, should=should
        )
        self.refs = tuple(refs)


class Evidence(Protocol):
    """What every evidence record offers: the exchanges it was built from."""

    @property
    def exchanges(self) -> tuple[Exchange, ...]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Check[E: Evidence]:
    id: str
    title: str
    level: Level
    severity: Severity
    refs: tuple[str, ...]
    evidence: type[E]
    judge: Callable[[E], str | None]
    per_profile: bool = False  # judged once per client profile, on that profile's evidence

    def result(
        self,
        verdict: Verdict,
        message: str,
        *,
        profile: str | None = None,
        exchanges: Sequence[Exchange] = (),
        level: Level | None = None,
        refs: Sequence[str] = (),
    ) -> Result:
        shown = tuple(exchanges)[:MAX_EVIDENCE]
        return Result(
            check=self.id,
            title=self.title,
            level=level or self.level,
            severity=self.severity,
            verdict=verdict,
            message=message,
            profile=profile,
            spec_refs=(*self.refs, *(r for r in refs if r not in self.refs)),
            evidence=tuple(exchange.to_json() for exchange in shown),
            reproduce=shown[0].curl() if shown and verdict in _FINDINGS else None,
        )

    def run(self, evidence: E, *, profile: str | None = None, level: Level | None = None) -> Result:
        """Judge `evidence`; a bug in the check becomes `error`, never `pass`."""
        effective = level or self.level
        try:
            message = self.judge(evidence)
        except CheckFailed as finding:
            if finding.should:
                effective = Level.SHOULD
            verdict = Verdict.FAIL if effective is Level.MUST else Verdict.WARN
            shown = finding.evidence or evidence.exchanges
            return self.result(
                verdict,
                finding.message,
                profile=profile,
                exchanges=shown,
                level=effective,
                refs=finding.refs if isinstance(finding, ClauseBroken) else (),
            )
        except NotApplicable as absent:
            return self.result(Verdict.SKIP, str(absent), profile=profile, level=effective)
        except TargetError as exc:  # an error shows what it names, else what was judged
            named = tuple(getattr(exc, "exchanges", ()))
            # what the error names ends with the exchange that failed: keep that end
            shown = named[-MAX_EVIDENCE:] if named else evidence.exchanges
            return self.result(
                Verdict.ERROR, str(exc), profile=profile, exchanges=shown, level=effective
            )
        except Exception as exc:  # a harness bug must surface as `error`, never as a pass
            log.debug("check %s crashed", self.id, exc_info=True)  # may quote secrets
            return self.result(
                Verdict.ERROR,
                f"harness error in check: {type(exc).__name__}",
                profile=profile,
                exchanges=evidence.exchanges,
                level=effective,
            )
        return self.result(
            Verdict.PASS,
            message or "ok",
            profile=profile,
            exchanges=evidence.exchanges,
            level=effective,
        )


# A check of any evidence type; the engine pairs each with evidence of its declared type.
AnyCheck = Check[Any]

_FINDINGS = frozenset({Verdict.FAIL, Verdict.WARN})


def check[E: Evidence](
    check_id: str,
    *,
    level: Level,
    severity: Severity,
    refs: tuple[str, ...],
    per_profile: bool = False,
) -> Callable[[Callable[[E], str | None]], Check[E]]:
    """Declare a check. Its title is the docstring's first line; its evidence type is the
    annotation of its only parameter."""

    def declare(judge: Callable[[E], str | None]) -> Check[E]:
        hints = typing.get_type_hints(judge)
        params = [name for name in hints if name != "return"]
        if len(params) != 1:
            raise TypeError(f"check {check_id} must take exactly one evidence parameter")
        title = (judge.__doc__ or check_id).strip().splitlines()[0]
        return Check(
            id=check_id,
            title=title,
            level=level,
            severity=severity,
            refs=refs,
            evidence=hints[params[0]],
            judge=judge,
            per_profile=per_profile,
        )

    return declare
