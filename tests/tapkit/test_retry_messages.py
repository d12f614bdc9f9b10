"""When every try of an API request failed, the one error line names the method, the endpoint's path and the
last cause in words — never the host and port, the query string or a secret — on all four taps (their
streams share tapkit.http's request policy)."""

from __future__ import annotations

import typing as t
from pathlib import Path
from urllib.parse import urlparse

import pytest
from sandbox.candis import CLIENT_SECRET as CANDIS_SECRET
from sandbox.findity import CLIENT_SECRET as FINDITY_SECRET
from sandbox.ivesk import API_KEY as IVESK_KEY
from sandbox.pleo import API_KEY as PLEO_KEY

from tests.candis.conftest import REFRESH_TOKEN, candis_config
from tests.findity.conftest import findity_config
from tests.helpers import Sandbox, TapRun, run_tap
from tests.ivesk.conftest import ivesk_config
from tests.pleo.conftest import pleo_config

#: tap -> (sandbox fixture, config, fault path, the request line the error names, secrets of the config)
TAPS: dict[str, tuple[str, t.Callable[[Sandbox, Path], dict], str, str, tuple[str, ...]]] = {
    "tap-candis": (
        "candis",
        candis_config,
        "/invoices$",
        "GET /v1/organizations/alpha-organization/invoices",
        (CANDIS_SECRET, REFRESH_TOKEN),
    ),
    "tap-pleo": ("pleo", pleo_config, "^/v3/export-jobs$", "GET /v3/export-jobs", (PLEO_KEY,)),
    "tap-ivesk": ("ivesk", lambda sandbox, tmp: ivesk_config(sandbox), "^/exported$", "GET /exported", (IVESK_KEY,)),
    "tap-findity": (
        "findity",
        findity_config,
        "/exports$",
        "GET /api/v1/connect/organizations/",
        (FINDITY_SECRET,),
    ),
}


def _run(request: pytest.FixtureRequest, tmp_path: Path, tap: str, fault: dict, **settings: t.Any) -> str:
    """Run `tap` with `fault` on every request of its path; its one error line, checked for what it must name
    (method and path) and must not (host, port, query string, secrets)."""
    fixture, make_config, path, expected, secrets = TAPS[tap]
    sandbox: Sandbox = request.getfixturevalue(fixture)
    sandbox.faults({"path": path, "times": None, **fault})
    config = make_config(sandbox, tmp_path) | {"max_retries": 1, **settings}
    run: TapRun = run_tap(tap, config, tmp_path)
    assert run.returncode == 1, run.stderr[-2000:]
    assert "Traceback" not in run.stderr, run.stderr[-2000:]
    errors = [line for line in run.stderr.splitlines() if ": error:" in line]
    assert len(errors) == 1 and errors[0] == run.stderr.strip().splitlines()[-1], run.stderr[-2000:]
    line = errors[0]
    host = urlparse(sandbox.url)
    assert host.hostname not in line and str(host.port) not in line, line
    assert "?" not in line and "limit=" not in line, line
    for secret in secrets:
        assert secret not in run.stderr
    assert line.startswith(f"{tap}: error: {expected}"), line
    return line


@pytest.mark.parametrize("tap", sorted(TAPS))
def test_dropped_connections_on_every_try_name_method_path_and_cause(request, tmp_path, tap) -> None:
    line = _run(request, tmp_path, tap, {"kind": "drop"})
    assert line.endswith(": no response after 2 tries (the server closed the connection without answering)"), line


@pytest.mark.parametrize("tap", ["tap-candis", "tap-ivesk"])
def test_read_timeouts_on_every_try_name_the_timeout(request, tmp_path, tap) -> None:
    line = _run(request, tmp_path, tap, {"kind": "slow", "delay": 1.5}, request_timeout=1)
    assert line.endswith(": no response after 2 tries (read timeout 1 s)"), line


def test_a_body_cut_off_on_every_try_is_an_incomplete_response(request, tmp_path) -> None:
    line = _run(request, tmp_path, "tap-pleo", {"kind": "drop", "mode": "truncated_body"})
    expected = ": incomplete response after 2 tries (the connection broke off in the middle of the body)"
    assert line.endswith(expected), line


@pytest.mark.parametrize("tap", ["tap-findity", "tap-pleo"])
def test_a_5xx_on_every_try_names_the_status_and_the_provider_message(request, tmp_path, tap) -> None:
    line = _run(request, tmp_path, tap, {"kind": "status", "status": 503, "message": "Down for maintenance"})
    assert ": HTTP 503" in line and line.endswith(" after 2 tries: Down for maintenance"), line


def test_a_429_on_every_try_names_the_status(request, tmp_path) -> None:
    line = _run(request, tmp_path, "tap-candis", {"kind": "status", "status": 429, "retry_after": 0})
    assert ": HTTP 429" in line and " after 2 tries" in line, line
