"""`python -m simulators.reference` option parsing, and pre-registered clients."""

from __future__ import annotations

import pytest

from simulators.reference import Defect
from simulators.reference.__main__ import _config, build_parser, main

from .driver import REDIRECT_URI, Driver, Registered


def test_list_defects(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list-defects"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == len(Defect)


def test_options_become_a_config() -> None:
    args = build_parser().parse_args(
        ["--defect", "pkce-optional,authz-307", "--defect", "no-challenge", "--login", "form"]
    )
    config = _config(args)
    assert config.defects == {Defect.PKCE_OPTIONAL, Defect.AUTHZ_307, Defect.NO_CHALLENGE}
    assert config.login == "form"


def test_unknown_defect_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--", "--defect", "nope"])
    assert exit_info.value.code == 2


def test_pre_registered_client(driver: Driver) -> None:
    credentials = driver.server.register_client([REDIRECT_URI])
    assert credentials.client_secret is None
    client = Registered(credentials.client_id, None, REDIRECT_URI)
    code, verifier = driver.code(client)
    assert driver.redeem(client, code, verifier).status_code == 200
    with pytest.raises(ValueError, match="javascript"):
        driver.server.register_client(["javascript:alert(1)"])
