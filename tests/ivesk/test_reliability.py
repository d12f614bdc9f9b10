"""Throttling, server errors, dropped connections and garbled bodies are retried; nothing is lost."""

from __future__ import annotations

import pytest

from tests.ivesk.conftest import ivesk_config

FAULTS = [
    pytest.param({"kind": "status", "status": 429, "retry_after": 0, "times": 2}, id="429-retry-after"),
    pytest.param(
        {"kind": "status", "status": 429, "retry_after": "http-date", "retry_after_seconds": 0}, id="429-http-date"
    ),
    pytest.param({"kind": "status", "status": 502, "times": 2}, id="502"),
    pytest.param({"kind": "drop", "times": 1}, id="dropped-connection"),
    pytest.param({"kind": "malformed", "body": "truncated", "times": 1}, id="truncated-json"),
    pytest.param({"kind": "malformed", "body": "missing_keys", "times": 1}, id="missing-documents-key"),
]


@pytest.mark.parametrize("fault", FAULTS)
def test_faults_on_the_second_page_are_retried_and_every_document_arrives(ivesk, tap, fault):
    ivesk.faults({"path": "^/exported$", "after": 1, **fault})
    run = tap(ivesk_config(ivesk))
    assert run.returncode == 0, run.stderr[-2000:]
    ids = {d["id"] for d in run.records("documents")}
    assert len(ids) == ivesk.ground_truth()["documents"]["count"]
    assert any(e.get("faults") for e in ivesk.requests())


def test_a_broken_pdf_download_is_retried(ivesk, tap, tmp_path):
    ivesk.faults({"path": "^/documents/", "kind": "drop", "mode": "truncated_body", "times": 1})
    run = tap(ivesk_config(ivesk, files_dir=str(tmp_path / "pdf")))
    assert run.returncode == 0, run.stderr[-2000:]
    assert len(run.records("files")) == ivesk.ground_truth()["files"]["count"]


def test_an_expired_pdf_url_fails_with_a_clear_line_and_the_next_run_recovers(ivesk, tap, tmp_path):
    ivesk.faults(
        {"path": "^/documents/", "kind": "status", "status": 403, "message": "Request has expired", "after": 5}
    )
    config = ivesk_config(ivesk, files_dir=str(tmp_path / "pdf"))
    run = tap(config)
    assert run.returncode == 1
    assert "presigned URL may have expired" in run.stderr.strip().splitlines()[-1]
    again = tap(config, state=run.state)
    assert again.returncode == 0
    files = {f["id"] for f in run.records("files")} | {f["id"] for f in again.records("files")}
    assert len(files) == ivesk.ground_truth()["files"]["count"]
