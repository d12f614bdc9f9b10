"""The API key never shows: not in debug logs, errors, state or records; not sent to presigned URLs."""

from __future__ import annotations

import json

from sandbox.ivesk import API_KEY

from tests.ivesk.conftest import ivesk_config


def test_api_key_absent_from_debug_logs_state_and_output(ivesk, tap, tmp_path) -> None:
    ivesk.faults({"path": "^/exported$", "kind": "status", "status": 500, "after": 1})
    run = tap(
        ivesk_config(ivesk, files_dir=str(tmp_path / "pdf"), company_codes=["302320404"]),
        env={"TAP_IVESK_LOG_LEVEL": "DEBUG", "LOGLEVEL": "DEBUG"},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "DEBUG" in run.stderr  # the debug log really was on
    assert API_KEY not in run.stderr + json.dumps(run.messages, default=str)
    assert run.records("files")
    assert ivesk.admin("GET", "/ground-truth")["presignedRequestsWithApiKey"] == 0


def test_api_key_absent_from_a_rejected_key_error(ivesk, tap) -> None:
    run = tap(ivesk_config(ivesk, api_key="dp_secret_but_wrong"), env={"TAP_IVESK_LOG_LEVEL": "DEBUG"})
    assert run.returncode == 1
    assert "dp_secret_but_wrong" not in run.stderr + json.dumps(run.messages, default=str)
