"""No secret in logs (debug included), errors, state or records."""

from __future__ import annotations

import json

from tests.candis.conftest import CLIENT_SECRET, REFRESH_TOKEN


def test_secrets_absent_from_debug_logs_state_and_output(candis, config, tap, tmp_path) -> None:
    candis.faults({"path": "/invoices", "kind": "expire_tokens", "after": 1})
    run = tap(config, env={"TAP_CANDIS_LOG_LEVEL": "DEBUG", "LOGLEVEL": "DEBUG"})
    assert run.returncode == 0, run.stderr[-2000:]
    assert "DEBUG" in run.stderr  # the debug log really was on
    rotated = json.loads(next((tmp_path / "tokens").glob("*.json")).read_text())["refresh_token"]
    issued = list(candis.admin("GET", "/candis/issued-tokens"))
    output = run.stderr + json.dumps(list(run.messages), default=str)
    for secret in [CLIENT_SECRET, REFRESH_TOKEN, rotated, *issued]:
        assert secret not in output
