"""files: receipts of export items and of accounting entries, downloaded during the run from pre-signed
URLs (24 h), without the API key, each once, and never fetched again once stored."""

from __future__ import annotations

import datetime
import hashlib
from pathlib import Path

import requests

from tests.contract_traffic import log_bodies
from tests.pleo.conftest import pleo_config


def _downloads(pleo) -> list[dict]:
    return [r for r in pleo.requests() if r["path"].startswith("/_files/")]


def _listings(pleo) -> list[dict]:
    """Requests that list receipts: receipts:search (the tap's) or the per-entry list."""
    return [r for r in pleo.requests() if r["path"].endswith(("/receipts", "/receipts:search"))]


def test_receipts_of_entries_and_export_items_are_stored_once_each(pleo, tmp_path, tap) -> None:
    files_dir = tmp_path / "files"
    config = pleo_config(pleo, tmp_path, files_dir=str(files_dir))
    truth = pleo.admin("GET", "/ground-truth")
    run = tap(config)
    assert run.returncode == 0, run.stderr[-2000:]

    records = run.records("files")
    by_id = {r["id"]: r for r in records}
    assert len(by_id) == truth["streams"]["files"]["count"]
    assert sum(r["size"] for r in by_id.values()) == truth["streams"]["files"]["bytes"]
    receipt_ids = {f"{e['id']}/{rid}" for e in run.records("accounting_entries") for rid in e["receiptIds"]}
    assert set(by_id) == receipt_ids  # every receipt of every entry, nothing else
    owners = {r["ownerStream"] for r in records}
    assert owners == {"export_items", "accounting_entries"}
    item_files = [r for r in records if r["ownerStream"] == "export_items"]
    assert len(item_files) == truth["export_item_files"]["count"] > 0
    for record in by_id.values():
        data = Path(record["path"]).read_bytes()
        assert data.startswith(b"%PDF") and hashlib.sha256(data).hexdigest() == record["sha256"]
        assert record["contentType"] == "application/pdf" and record["downloadedAt"]
    receipts = [r for r in records if r["ownerStream"] == "accounting_entries"]
    assert all(r["source"] and r["createdAt"].endswith("+00:00") for r in receipts)

    downloads = _downloads(pleo)
    assert len(downloads) == len(by_id)  # a receipt reached through both owners is downloaded once
    assert all(r["status"] == 200 for r in downloads)  # the storage host refuses a request carrying the API key
    # with parallel downloads (the default) a page's receipts are listed by one receipts:search, not per entry
    entries_with_receipts = sum(1 for e in run.records("accounting_entries") if e["receiptIds"])
    entry_pages = [r for r in pleo.requests() if r["path"] == "/v1/accounting-entries:search"]
    listings = _listings(pleo)
    assert {r["path"] for r in listings} == {"/v1/accounting-entries/receipts:search"}
    assert len(listings) <= 2 * len(entry_pages) < entries_with_receipts


def test_serial_downloads_list_each_entrys_receipts_with_one_search(pleo, tmp_path, tap) -> None:
    log_bodies(pleo)
    run = tap(pleo_config(pleo, tmp_path, files_dir=str(tmp_path / "files"), max_parallel_downloads=1))
    assert run.returncode == 0, run.stderr[-2000:]
    entries = [e for e in run.records("accounting_entries") if e["receiptIds"]]
    bodies = [r["requestBody"] for r in _listings(pleo)]
    assert sorted(b["accountingEntryIds"][0] for b in bodies) == sorted(e["id"] for e in entries)
    assert all(len(b["accountingEntryIds"]) == 1 for b in bodies)
    assert len({r["id"] for r in run.records("files")}) == pleo.ground_truth()["files"]["count"]


def test_a_rerun_lists_and_downloads_nothing_already_stored_and_keeps_the_records(pleo, tmp_path, tap) -> None:
    config = pleo_config(pleo, tmp_path, files_dir=str(tmp_path / "files"))
    first = tap(config)
    assert first.returncode == 0, first.stderr[-2000:]
    pleo.clear_requests()

    again = tap(config)  # full re-sync without state: every entry and item is read again
    assert again.returncode == 0, again.stderr[-2000:]
    assert not _downloads(pleo) and not _listings(pleo)
    before = {r["id"]: r for r in first.records("files")}
    after = {r["id"]: r for r in again.records("files")}
    assert set(after) == set(before)
    for key, record in after.items():  # rebuilt from storage, not blanked: the warehouse row keeps its values
        assert (record["sha256"], record["size"], record["path"]) == (
            before[key]["sha256"],
            before[key]["size"],
            before[key]["path"],
        )
        assert record["contentType"] == "application/pdf"
        stored = datetime.datetime.fromisoformat(record["downloadedAt"])
        assert abs(stored - datetime.datetime.fromisoformat(before[key]["downloadedAt"])).total_seconds() <= 1


def test_urls_from_an_earlier_run_are_dead_so_files_are_fetched_with_the_runs_own(pleo_factory, tmp_path, tap) -> None:
    moment = [datetime.datetime(2026, 11, 20, 12, tzinfo=datetime.UTC)]
    pleo = pleo_factory(clock=lambda: moment[0])
    yesterday = tap(pleo_config(pleo, tmp_path))  # no files_dir: records carry the pre-signed URLs only
    assert yesterday.returncode == 0, yesterday.stderr[-2000:]
    old_urls = [f["url"] for item in yesterday.records("export_items") for f in item["files"]]
    assert old_urls

    moment[0] += datetime.timedelta(hours=25)
    assert requests.get(old_urls[0], timeout=10).status_code == 403  # expired after 24 h
    pleo.clear_requests()
    today = tap(pleo_config(pleo, tmp_path, files_dir=str(tmp_path / "files")))
    assert today.returncode == 0, today.stderr[-2000:]
    assert len({r["id"] for r in today.records("files")}) == pleo.ground_truth()["files"]["count"]
    assert all(r["status"] == 200 for r in _downloads(pleo))


def test_a_url_that_expires_before_the_download_is_a_warning_and_a_later_run_gets_it(pleo, tmp_path, tap) -> None:
    config = pleo_config(pleo, tmp_path, files_dir=str(tmp_path / "files"))
    pleo.configure(file_url_lifetime=0)  # every pre-signed URL is already expired when fetched
    run = tap(config)
    assert run.returncode == 0, run.stderr[-2000:]
    assert not run.records("files") and "cannot be downloaded (403)" in run.stderr
    assert run.records("accounting_entries")  # the data itself is delivered

    pleo.configure(file_url_lifetime=86400)
    again = tap(config)
    assert again.returncode == 0
    assert len({r["id"] for r in again.records("files")}) == pleo.ground_truth()["files"]["count"]


def test_no_files_and_no_receipt_requests_without_files_dir(pleo, config, tap) -> None:
    run = tap(config)
    assert run.returncode == 0
    assert "files" not in run.streams()
    assert not _downloads(pleo) and not _listings(pleo)
