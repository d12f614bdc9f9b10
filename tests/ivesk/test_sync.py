"""Documents from a queue (with lines, exact money), code lists and PDFs, against the sandbox."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.ivesk.conftest import ivesk_config


def money_totals(records: list[dict], field: str) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for r in records:
        totals[r["currency"]] = totals.get(r["currency"], Decimal(0)) + Decimal(r[f"{field}Minor"]) / 100
    return totals


@pytest.mark.parametrize("queue,key", [("exported", "exportedat"), ("digitized", "digitizedat")])
def test_every_document_of_the_chosen_queue_arrives_once_with_exact_money(ivesk, tap, queue, key):
    run = tap(ivesk_config(ivesk, queue=queue))
    assert run.returncode == 0, run.stderr[-2000:]
    docs = run.records("documents")
    truth = ivesk.admin("GET", f"/ivesk/ground-truth?queue={queue}")["streams"]["documents"]
    assert len(docs) == truth["count"] == len({d["id"] for d in docs})
    for field in ("subtotal", "vat", "total"):
        assert money_totals(docs, field) == {c: Decimal(v) for c, v in truth["money"][field].items()}
    assert [d[key] for d in docs] == sorted(d[key] for d in docs)
    assert run.state["bookmarks"]["documents"]["replication_key"] == key


def test_exported_is_the_default_queue(ivesk, config, tap):
    run = tap(config)
    paths = {e["path"] for e in ivesk.requests()}
    assert "/exported" in paths and "/digitized" not in paths
    assert all("exportedat" in d for d in run.records("documents"))


def test_pages_are_followed_with_from_until_no_next(ivesk, config, tap):
    run = tap(config)
    calls = [e for e in ivesk.requests() if e["path"] == "/exported"]
    assert len(calls) >= 3  # 214 documents in pages of ~100
    assert "from" not in calls[0]["query"] and all("from" in c["query"] for c in calls[1:])
    assert len(run.records("documents")) == ivesk.ground_truth()["documents"]["count"]


def test_documents_keep_their_lines_and_minor_units_beside_the_decimals(config, tap):
    docs = tap(config).records("documents")
    doc = next(d for d in docs if len(d["lines"]) > 1)
    assert sum(line["totalMinor"] for line in doc["lines"]) == doc["totalMinor"]
    assert Decimal(doc["totalMinor"]) / 100 == doc["total"]
    assert doc["sellercountry"] and doc["buyervat"].startswith("LT")


def test_start_date_limits_the_first_run(ivesk, tap):
    all_docs = tap(ivesk_config(ivesk)).records("documents")
    start = all_docs[150]["exportedat"]
    later = tap(ivesk_config(ivesk, start_date=start)).records("documents")
    assert {d["id"] for d in later} == {d["id"] for d in all_docs if d["exportedat"] >= start}


def test_columns_read_every_code_of_each_company_and_list(ivesk, tap):
    run = tap(ivesk_config(ivesk, company_codes=["302320404", "110053842"], columns=["allocation", "department"]))
    rows = run.records("columns")
    lists = ivesk.admin("GET", "/ground-truth")["streams"]["columns"]["lists"]
    for company in ("302320404", "110053842"):
        for column in ("allocation", "department"):
            got = [r for r in rows if r["companyCode"] == company and r["column"] == column]
            assert len(got) == lists[f"{company}/{column}"] == len({r["code"] for r in got})
    assert any("next" in e["query"] for e in ivesk.requests() if e["path"].startswith("/columns/"))


def test_without_company_codes_there_are_no_code_lists(ivesk, config, tap):
    run = tap(config)
    assert run.returncode == 0 and not run.records("columns")


def test_pdfs_are_downloaded_without_the_api_key_when_files_dir_is_set(ivesk, tap, tmp_path):
    run = tap(ivesk_config(ivesk, files_dir=str(tmp_path / "pdf")))
    files = run.records("files")
    truth = ivesk.ground_truth()["files"]
    assert len(files) == truth["count"] and sum(f["size"] for f in files) == truth["bytes"]
    stored = list((tmp_path / "pdf").rglob("*.pdf"))
    assert len(stored) == truth["count"] and all(p.read_bytes().startswith(b"%PDF") for p in stored)
    assert "X-Amz-Signature" not in run.stderr  # presigned URLs are credentials too: not logged


def test_already_stored_pdfs_are_not_downloaded_again(ivesk, tap, tmp_path):
    config = ivesk_config(ivesk, files_dir=str(tmp_path / "pdf"))
    tap(config)
    ivesk.clear_requests()
    run = tap(config)
    assert len(run.records("files")) == ivesk.ground_truth()["files"]["count"]
    assert not [e for e in ivesk.requests() if e["path"].startswith("/documents/")]
