"""The harness against a third-party server, its verdicts compared with the pinned ones."""

from __future__ import annotations

import sys
import time

from harness.config import Config
from harness.results import Verdict
from harness.session import HarnessSession

from .conftest import RunningServer

MESSAGE_WIDTH = 110
FINDINGS = frozenset({Verdict.FAIL, Verdict.WARN})


def judge(
    server: RunningServer,
    expected: dict[str, Verdict],
    must_pass: tuple[str, ...],
    limits: dict[str, int] | None = None,
    *,
    config: Config | None = None,
    skips: frozenset[str] | None = None,
) -> dict[str, Verdict]:
    """Run every check against `server` (with the default configuration unless `config`) and
    compare; with `limits`, the budget section of report.json stays within each of them; with
    `skips`, exactly those checks skip and every other check not in `expected` passes, so no
    verdict can move unnoticed. Returns the verdict of every check."""
    session = HarnessSession(target_url=server.mcp_url, config=config or Config())
    started = time.monotonic()
    session.run()
    wall_s = time.monotonic() - started
    table = verdict_table(server, session)
    spent = session.report(started_at="", duration_s=0.0).to_json()["budget"]
    assert isinstance(spent, dict)
    sys.stdout.write(f"{table}  budget: {spent}\n  wall: {wall_s:.1f} s\n")

    problems: list[str] = []
    if spent["rate_limited"]:
        problems.append(f"the server rate-limited the run: {spent['rate_limited']}")
    for counter, limit in (limits or {}).items():
        if spent[counter] > limit:
            problems.append(f"{spent[counter]} {counter}: over the server's limit of {limit}")
    if session.fatal:
        problems.append(f"the run did not finish: {session.fatal}")
    by_check = {check: result for (check, _), result in session.results.items()}
    missing = [c.id for c, p in session.planned() if (c.id, p) not in session.results]
    if missing:
        problems.append(f"no result for {', '.join(missing)}")
    for check, result in by_check.items():
        if result.verdict is Verdict.ERROR:
            problems.append(f"{check}: error: {result.message}")
        elif result.verdict in FINDINGS and expected.get(check) is not result.verdict:
            problems.append(
                f"{check}: unexpected {result.verdict}: a false alarm, or a true finding to "
                "record (with its reason) in this test's expectations"
            )
    for check, verdict in expected.items():
        got = by_check.get(check)
        if got is None or got.verdict not in FINDINGS | {Verdict.ERROR}:
            problems.append(
                f"{check}: expected {verdict}, got {got.verdict if got else 'no result'}: the "
                "finding is gone (did the server change, or did the check lose its teeth?)"
            )
    for check in must_pass:
        got = by_check.get(check)
        if got is None:
            problems.append(f"{check}: expected pass, got no result")
        elif got.verdict not in {Verdict.PASS, Verdict.ERROR}:
            problems.append(f"{check}: expected pass, got {got.verdict}: {got.message}")
    if skips is not None:
        for check, result in by_check.items():
            want = Verdict.SKIP if check in skips else expected.get(check, Verdict.PASS)
            if result.verdict is not want and result.verdict is not Verdict.ERROR:
                problems.append(f"{check}: expected {want}, got {result.verdict}: {result.message}")
    assert not problems, "\n".join(problems) + "\n" + table
    return {check: result.verdict for check, result in by_check.items()}


def verdict_table(server: RunningServer, session: HarnessSession) -> str:
    """One line per result, in the session's plan order: check id, verdict, message summary."""
    rows = [
        session.results[(c.id, p)] for c, p in session.planned() if (c.id, p) in session.results
    ]
    width = max((len(r.check) for r in rows), default=0)
    spec = f" (spec {session.spec_revision})" if session.spec_revision else ""
    lines = [f"\n{server.name} at {server.mcp_url}{spec}"]
    for r in rows:
        message = " ".join(r.message.split())
        if len(message) > MESSAGE_WIDTH:
            message = message[: MESSAGE_WIDTH - 1] + "…"
        lines.append(f"  {r.check:<{width}}  {r.verdict.value:<5}  {message}")
    return "\n".join(lines) + "\n"
