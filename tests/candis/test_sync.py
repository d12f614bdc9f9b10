"""A full sync delivers every record the sandbox holds, exactly, across pages clamped to 50."""

from __future__ import annotations

import decimal
from collections import defaultdict

from tests.candis.conftest import candis_config
from tests.helpers import Sandbox, discover, select_only

STREAMS = ("exports", "postings", "failed_postings", "reimbursement_items", "invoices", "purchase_requests")
MONEY = {
    "postings": lambda r: (r["amount"]["currencyCode"], r["amount"]["valueMinor"]),
    "invoices": lambda r: (r["amount"]["currencyCode"], r["amount"]["valueMinor"]),
    "purchase_requests": lambda r: (r["grossAmount"]["currencyCode"], r["grossAmount"]["valueMinor"]),
    "reimbursement_items": lambda r: (r["totalAmount"]["currency"], r["totalAmount"]["amountMinor"]),
}


def unique(records: list[dict], *keys: str) -> dict:
    return {tuple(r[k] for k in keys): r for r in records}


def minor_totals(records: list[dict], money) -> dict[str, decimal.Decimal]:
    totals: dict[str, int] = defaultdict(int)
    for record in records:
        currency, minor = money(record)
        totals[currency] += minor
    return {cur: decimal.Decimal(v).scaleb(-2) for cur, v in totals.items()}


def test_full_sync_matches_ground_truth_to_the_cent(candis: Sandbox, config: dict, tap) -> None:
    run = tap(config)
    assert run.returncode == 0, run.stderr[-2000:]
    truth = candis.ground_truth()
    for stream in STREAMS:
        keys = ("exportId", "id") if stream == "failed_postings" else ("id",)
        records = unique(run.records(stream), *keys)
        assert len(records) == truth[stream]["count"], stream
        if stream in MONEY:
            ((path, expected),) = truth[stream]["money"].items()
            got = minor_totals(list(records.values()), MONEY[stream])
            assert got == {c: decimal.Decimal(v) for c, v in expected.items()}, (stream, path)


def test_pages_are_requested_at_most_50_and_offsets_follow_what_came_back(candis_factory, tmp_path, tap) -> None:
    sandbox = candis_factory(scale=9000)  # ~60 exports: more than one clamped page of the export list
    config = candis_config(sandbox, tmp_path)
    catalog = select_only(discover("tap-candis", config, tmp_path), "exports")
    run = tap(config, catalog=catalog)
    assert run.returncode == 0, run.stderr[-2000:]
    exports = unique(run.records("exports"), "id")
    assert len(exports) == sandbox.ground_truth()["exports"]["count"] > 50
    listing = [r for r in sandbox.requests() if r["path"].endswith("/exports") and r["method"] == "GET"]
    assert [int(r["query"]["offset"]) for r in listing] == list(range(0, 50 * len(listing), 50))
    assert not run.records("postings")


def test_each_schema_is_sent_once_per_run_not_once_per_parent(candis, tmp_path, tap) -> None:
    run = tap(candis_config(candis, tmp_path, files_dir=str(tmp_path / "files")))
    assert run.returncode == 0, run.stderr[-2000:]
    schemas = [m["stream"] for m in run.messages if m["type"] == "SCHEMA"]
    assert sorted(schemas) == sorted(set(schemas))  # targets flush a batch on every SCHEMA message
    assert {"postings", "failed_postings", "files"} <= set(schemas)
