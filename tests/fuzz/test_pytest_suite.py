"""`pytest scenarios/fuzz` end to end, in a subprocess with the `ci` hypothesis profile: clean on
the embedded reference, and a failed item naming the property, the shrunk input and the curl chain
against a reference server (its own process) with a redirect defect."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import scenarios

SUITE = Path(scenarios.__file__).parent / "fuzz"


def _pytest_fuzz(*extra: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "pytest", str(SUITE), "-p", "no:randomly", "-q", "-rfs"]
    argv += ["--hypothesis-profile", "ci", "--hypothesis-seed", "5", *extra]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603 - our own argv


@pytest.fixture
def defective_reference() -> Iterator[str]:
    argv = [sys.executable, "-m", "simulators.reference", "--defect", "redirect-prefix-match"]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, text=True) as process:  # noqa: S603
        assert process.stdout is not None
        first = process.stdout.readline()  # printed once the server listens
        try:
            assert first.startswith("MCP endpoint:"), first
            yield first.split(":", 1)[1].strip()
        finally:
            process.terminate()


def test_embedded_reference_passes_every_area() -> None:
    done = _pytest_fuzz()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 passed" in done.stdout, done.stdout


def test_redirect_defect_fails_the_authorize_item(defective_reference: str) -> None:
    done = _pytest_fuzz("--mcp-target", defective_reference, "-k", "authorize or bearer")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "test_areas.py::test_fuzz_area[authorize]" in done.stdout
    assert "1 failed, 1 passed" in done.stdout, done.stdout
    assert "[fail] fuzz.authorize.redirect-registered-only [redirect." in done.stdout
    assert "profile ci (max_examples 40, 10 s)" in done.stdout  # --hypothesis-profile applied
    assert "shrunk input: {" in done.stdout
    assert "curl -i -X GET 'http://127.0.0.1:" in done.stdout
