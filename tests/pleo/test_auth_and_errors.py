"""Credentials (API key, rotating OAuth refresh tokens persisted atomically), bad config as one line, and no
secret in logs (debug included), errors, state or records."""

from __future__ import annotations

import json

import pytest
from sandbox.pleo import API_KEY, CLIENT_SECRET, INITIAL_REFRESH_TOKEN

from tests.helpers import run_tap
from tests.pleo.conftest import pleo_config


def stored_token(tmp_path) -> str:
    (path,) = list((tmp_path / "tokens").glob("*.json"))
    return json.loads(path.read_text())["refresh_token"]


def test_rotated_refresh_token_is_persisted_and_used_by_the_next_run(pleo, tmp_path, tap) -> None:
    config = pleo_config(pleo, tmp_path, oauth=True)
    first = tap(config)
    assert first.returncode == 0, first.stderr[-2000:]
    rotated = stored_token(tmp_path)
    assert rotated != INITIAL_REFRESH_TOKEN
    second = tap(config, state=first.state)
    assert second.returncode == 0, second.stderr[-2000:]
    assert stored_token(tmp_path) != rotated
    assert pleo.admin("GET", "/pleo/oauth")["revocations"] == 0  # a spent token was never sent again


def test_access_token_expiring_mid_run_is_refreshed_once_and_the_run_completes(pleo, tmp_path, tap) -> None:
    pleo.faults({"path": "/v1/accounting-entries", "kind": "expire_tokens", "after": 1})
    run = tap(pleo_config(pleo, tmp_path, oauth=True))
    assert run.returncode == 0, run.stderr[-2000:]
    assert [r["status"] for r in pleo.requests()].count(401) == 1
    assert pleo.admin("GET", "/pleo/oauth")["revocations"] == 0


def test_a_lost_token_store_fails_with_one_line_instead_of_reusing_the_spent_token_twice(pleo, tmp_path, tap) -> None:
    assert tap(pleo_config(pleo, tmp_path, oauth=True)).returncode == 0
    run = tap(pleo_config(pleo, tmp_path, oauth=True, token_store_dir=str(tmp_path / "empty")))
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("tap-pleo: error: credentials rejected: invalid_grant (HTTP 400 from POST /oauth/token")
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"api_key": None}, "missing setting(s) client_id, client_secret, refresh_token"),
        ({"api_url": "external.pleo.io"}, "api_url 'external.pleo.io' must start with http"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"page_size": 500}, "page_size 500 is out of range"),
        ({"company_id": None}, "set company_id: the credentials see 3 companies"),
        ({"api_key": "plp_wrong_key"}, "HTTP 401 UNAUTHORIZED"),
        ({"claim_jobs": "maybe"}, "invalid configuration"),
    ],
)
def test_bad_config_is_one_clear_line(pleo, tmp_path, overrides, expected) -> None:
    config = pleo_config(pleo, tmp_path)
    config = {k: v for k, v in {**config, **overrides}.items() if v is not None}
    run = run_tap("tap-pleo", config, tmp_path)
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("tap-pleo: error:") and expected in last, run.stderr[-1500:]
    assert "Traceback" not in run.stderr
    assert "plp_wrong_key" not in run.stderr


def test_a_garbled_body_is_retried_and_a_persistent_one_is_one_line(pleo, config, tap) -> None:
    pleo.faults(
        {"path": "/v3/export-items", "kind": "malformed", "body": "html", "times": 1},
        {"path": "/v0/tag-groups$", "kind": "status", "status": 429, "retry_after": 1, "times": 1},
    )
    assert tap(config).returncode == 0
    pleo.faults({"path": "/v3/export-items", "kind": "malformed", "body": "truncated", "times": None})
    bad = tap(config)
    assert bad.returncode == 1
    assert (
        "tap-pleo: error: GET /v3/export-items: response body is not valid JSON" in bad.stderr.strip().splitlines()[-1]
    )


def test_secrets_absent_from_debug_logs_state_and_output(pleo, tmp_path, tap) -> None:
    pleo.faults({"path": "/v3/export-jobs", "kind": "expire_tokens", "after": 1})
    config = pleo_config(pleo, tmp_path, oauth=True, files_dir=str(tmp_path / "files"))
    run = tap(config, env={"TAP_PLEO_LOG_LEVEL": "DEBUG", "LOGLEVEL": "DEBUG"})
    assert run.returncode == 0, run.stderr[-2000:]
    assert "DEBUG" in run.stderr
    issued = pleo.admin("GET", "/pleo/issued-tokens")
    output = run.stderr + json.dumps(run.messages, default=str)
    for secret in [CLIENT_SECRET, INITIAL_REFRESH_TOKEN, stored_token(tmp_path), *issued]:
        assert secret not in output
    keyed = run_tap("tap-pleo", pleo_config(pleo, tmp_path), tmp_path, env={"TAP_PLEO_LOG_LEVEL": "DEBUG"})
    assert keyed.returncode == 0 and API_KEY not in keyed.stderr + json.dumps(keyed.messages, default=str)
