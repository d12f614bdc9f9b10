"""files: attachments streamed to files_dir, one record per file with size and sha256."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.candis.conftest import candis_config


def test_files_are_downloaded_hashed_and_not_fetched_twice(candis, tmp_path, tap) -> None:
    files_dir = tmp_path / "files"
    config = candis_config(candis, tmp_path, files_dir=str(files_dir))
    run = tap(config)
    assert run.returncode == 0, run.stderr[-2000:]
    records = {r["id"]: r for r in run.records("files")}
    truth = candis.ground_truth()["files"]
    assert len(records) == truth["count"]
    assert sum(r["size"] for r in records.values()) == truth["bytes"]
    for record in records.values():
        data = Path(record["path"]).read_bytes()
        assert len(data) == record["size"]
        assert hashlib.sha256(data).hexdigest() == record["sha256"]
        assert data.startswith(b"%PDF") or data.lstrip().startswith(b"<?xml")
    posting_files = {f["id"] for p in run.records("postings") for f in p["files"]}
    assert posting_files == set(records)

    candis.clear_requests()
    again = tap(config)  # full re-sync without state: files already stored are not downloaded again
    assert again.returncode == 0
    assert not [r for r in candis.requests() if "/files/" in r["path"]]
    assert {r["id"] for r in again.records("files")} == set(records)


def test_files_stream_absent_without_files_dir(candis, config, tap) -> None:
    run = tap(config)
    assert "files" not in run.streams()
    assert not [r for r in candis.requests() if "/files/" in r["path"]]


@pytest.mark.parametrize("status", [400, 404], ids=["openapi-400", "older-404"])
def test_a_file_candis_no_longer_has_is_skipped_with_a_warning(candis, tmp_path, tap, status) -> None:
    # FILE_NOT_FOUND comes with 400 (the only error status the document lists for the download) or 404.
    candis.faults({"path": r"/files/", "kind": "status", "status": status, "code": "FILE_NOT_FOUND", "times": 2})
    run = tap(candis_config(candis, tmp_path, files_dir=str(tmp_path / "files")))
    assert run.returncode == 0, run.stderr[-2000:]
    records = {r["id"] for r in run.records("files")}
    assert len(records) == candis.ground_truth()["files"]["count"] - 2
    assert run.stderr.count("is gone in Candis") == 2
