from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.errors import ConfigError
from harness.report import load_report, render_all
from harness.results import Report


def test_render_all_writes_every_format(sample_report: Report, tmp_path: Path) -> None:
    out = tmp_path / "reports" / "run-1"
    written = render_all(sample_report, out)
    assert set(written) == {"json", "html", "markdown", "junit", "sarif"}
    assert {path.name for path in written.values()} == {
        "report.json",
        "report.html",
        "report.md",
        "junit.xml",
        "report.sarif",
    }
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in written.values())
    assert written["json"].read_text(encoding="utf-8") == sample_report.dumps() + "\n"
    assert written["markdown"].read_text(encoding="utf-8").startswith("# mcp-auth-harness report")
    junit = ET.parse(written["junit"])  # noqa: S314 - our own rendering, not untrusted XML
    assert junit.getroot().tag == "testsuites"
    assert "<!DOCTYPE html>" in written["html"].read_text(encoding="utf-8")


def test_load_report_round_trips(sample_report: Report, tmp_path: Path) -> None:
    written = render_all(sample_report, tmp_path)
    loaded = load_report(written["json"])
    assert loaded.to_json() == sample_report.to_json()
    assert load_report(str(written["json"])).to_json() == sample_report.to_json()


def test_rerendering_a_loaded_report_is_identical(sample_report: Report, tmp_path: Path) -> None:
    first = render_all(sample_report, tmp_path / "a")
    second = render_all(load_report(first["json"]), tmp_path / "b")
    for kind, path in first.items():
        assert path.read_bytes() == second[kind].read_bytes(), kind


def test_lone_surrogate_survives_the_round_trip(sample_report: Report, tmp_path: Path) -> None:
    odd = dataclasses.replace(sample_report.results[0], message="bad byte \ud800 here")
    report = dataclasses.replace(sample_report, results=(odd,))
    written = render_all(report, tmp_path)
    assert load_report(written["json"]).results[0].message == "bad byte \ud800 here"
    assert "bad byte \\ud800 here" in written["html"].read_text(encoding="utf-8")


def _write(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "report.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def _valid(report: Report) -> dict[str, Any]:
    data = json.loads(report.dumps())
    assert isinstance(data, dict)
    return data


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.json"
    with pytest.raises(ConfigError, match=r"report file .*nope\.json does not exist"):
        load_report(path)


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not a regular file"):
        load_report(tmp_path)


def test_not_json(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"is not JSON \(line 1, column 2: .*\)"):
        load_report(_write(tmp_path, "{nope"))


def test_not_utf8(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not UTF-8 text"):
        load_report(_write(tmp_path, b'{"schema": "\xff"}'))


def test_not_an_object(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="its top level is a list, not an object"):
        load_report(_write(tmp_path, "[]"))


def test_wrong_schema(tmp_path: Path) -> None:
    text = json.dumps({"schema": "something-else/2"})
    with pytest.raises(
        ConfigError, match=r"not a mcp-auth-harness\.report/1 document \(its schema is 'something"
    ):
        load_report(_write(tmp_path, text))


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: d.pop("results"), r"report\.results is missing"),
        (lambda d: d.update(seed="x"), r"report\.seed must be an integer, not a string"),
        (lambda d: d.update(duration_s=True), r"report\.duration_s must be a number"),
        (lambda d: d["results"][1].update(verdict="maybe"), r"results\[1\]\.verdict is 'maybe', "),
        (lambda d: d["results"][0].update(spec_refs="RFC"), r"results\[0\]\.spec_refs must be a"),
        (lambda d: d["results"].append(3), r"results\[6\] must be an object, not a number"),
        (
            lambda d: d["compatibility"][0]["reasons"][1].update(attribution="nobody"),
            r"compatibility\[0\]\.reasons\[1\]\.attribution is 'nobody'",
        ),
        (lambda d: d.update(target=None), r"report\.target must be an object, not null"),
    ],
)
def test_schema_mismatch_names_the_place(
    sample_report: Report, tmp_path: Path, edit: Callable[[dict[str, Any]], object], expected: str
) -> None:
    data = _valid(sample_report)
    edit(data)
    with pytest.raises(ConfigError, match=r"does not match schema mcp-auth-harness\.report/1: "):
        load_report(_write(tmp_path, json.dumps(data)))
    with pytest.raises(ConfigError, match=expected):
        load_report(tmp_path / "report.json")
