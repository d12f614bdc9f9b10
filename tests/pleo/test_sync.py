"""Streams against the sandbox: cursor paging across pages, repeated `statuses`, exact money."""

from __future__ import annotations

from decimal import Decimal

from tests.pleo.conftest import pleo_config, unique


def test_every_stream_pages_by_cursor_and_delivers_each_record_once(pleo_factory, tmp_path, tap) -> None:
    pleo = pleo_factory(scale=400, rate_limit=0)
    run = tap(pleo_config(pleo, tmp_path, page_size=7))
    assert run.returncode == 0, run.stderr[-3000:]
    truth = pleo.ground_truth()
    keys = {
        "export_job_items": ("exportJobId", "accountingEntryId"),
        "export_items": ("exportJobId", "accountingEntryId"),
    }
    for stream, expected in truth.items():
        if stream == "files":
            continue
        records = run.records(stream)
        assert len(unique(records, *keys.get(stream, ("id",)))) == expected["count"] == len(records), stream
    afters = [r["query"].get("after") for r in pleo.requests() if r["path"] == "/v1/accounting-entries:search"]
    assert sum(1 for a in afters if a) > 50  # really paged with after=endCursor


def test_open_and_finished_jobs_are_listed_with_repeated_statuses(pleo, config, tap) -> None:
    run = tap(config)
    assert run.returncode == 0, run.stderr[-2000:]
    listed = [r["query"].get("statuses") for r in pleo.requests() if r["path"] == "/v3/export-jobs"]
    assert ["pending", "in_progress"] in listed
    assert ["completed", "completed_with_errors", "failed"] in listed


def test_money_is_exact_minor_units_with_major_decimals_beside(pleo, config, tap) -> None:
    run = tap(config)
    truth = pleo.ground_truth()
    entries = run.records("accounting_entries")
    sums: dict[str, int] = {}
    for entry in entries:
        value = entry["transactionValue"]
        assert value["valueMinor"] == value["minors"]
        assert value["valueMajor"] == Decimal(value["minors"]).scaleb(-2)
        sums[value["currency"]] = sums.get(value["currency"], 0) + value["valueMinor"]
    expected = truth["accounting_entries"]["money"]["transactionValue.value"]
    assert {c: Decimal(v).scaleb(-2) for c, v in sums.items()} == {c: Decimal(v) for c, v in expected.items()}
    wallet: dict[str, Decimal] = {}
    for item in run.records("export_items"):
        money = item["amount"]["inWalletCurrency"]
        assert isinstance(money["valueMajor"], Decimal)
        wallet[money["currency"]] = wallet.get(money["currency"], Decimal(0)) + money["valueMajor"]
    assert wallet == {c: Decimal(v) for c, v in truth["export_items"]["money"]["amount.inWalletCurrency.value"].items()}
