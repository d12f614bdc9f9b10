"""Bad configuration, state or credentials: one line that says what to do, exit status 1, no traceback."""

from __future__ import annotations

import pytest

from tests.ivesk.conftest import ivesk_config


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"api_key": None}, "missing setting api_key"),
        ({"queue": "archived"}, "invalid configuration"),
        ({"api_url": "app.ivesk.lt/api/pub"}, "must start with http"),
        ({"start_date": "last tuesday"}, "start_date"),
        ({"company_codes": "302320404"}, "invalid configuration"),
        ({"api_key": "dp_wrong"}, "the API key was rejected: check api_key"),
        ({"company_codes": ["999999999"]}, "GET /columns/999999999: HTTP 404: Company 999999999 not found"),
    ],
)
def test_bad_config_is_one_clear_line(ivesk, tap, overrides, expected) -> None:
    config = {k: v for k, v in {**ivesk_config(ivesk), **overrides}.items() if v is not None}
    run = tap(config)
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("tap-ivesk: error:") and expected in last, run.stderr[-1500:]
    assert "Traceback" not in run.stderr


def test_an_html_error_page_that_persists_fails_without_moving_the_bookmark(ivesk, tap) -> None:
    ivesk.faults({"path": "^/exported$", "kind": "malformed", "body": "html", "after": 1, "times": None})
    run = tap(ivesk_config(ivesk, max_retries=1))
    assert run.returncode == 1
    assert "expected JSON but got 'text/html" in run.stderr.strip().splitlines()[-1]
    assert len(run.records("documents")) >= 100
    state = run.state["bookmarks"]["documents"] if run.state else {}
    emitted = max(d["exportedat"] for d in run.records("documents"))
    assert state.get("replication_key_value", "") <= emitted
