"""Voucher rows (and basis files) are synced per batch of vouchers, not per voucher: every row still lands
exactly once with its voucher, stream-map filters on vouchers still decide which vouchers' rows land, and
records hold only their schema's properties."""

from __future__ import annotations

import logging

from tap_findity.streams import CHILD_BATCH_ROWS
from tap_findity.tap import TapFindity

from tests.findity.conftest import findity_config

SEK_ONLY = {"stream_maps": {"vouchers": {"__filter__": "currency == 'SEK'"}}}


def _big_sandbox(findity_factory):
    # two exports of ~1,000 vouchers each: several batches per export
    return findity_factory(scale=2600, initial_exports=2, export_size=1000)


def test_rows_of_large_exports_land_once_each_in_a_few_child_syncs(findity_factory, tap, tmp_path):
    sandbox = _big_sandbox(findity_factory)
    run = tap(findity_config(sandbox, tmp_path))
    assert run.returncode == 0, run.stderr[-2000:]
    vouchers, rows = run.records("vouchers"), run.records("voucher_rows")
    truth = sandbox.ground_truth()
    assert len(rows) == truth["voucher_rows"]["count"] > 3 * CHILD_BATCH_ROWS
    assert len({(r["voucherId"], r["rowNumber"]) for r in rows}) == len(rows)
    export_of = {v["id"]: v["exportId"] for v in vouchers}
    assert all(export_of[r["voucherId"]] == r["exportId"] for r in rows)
    per_voucher: dict[str, int] = {}
    for row in rows:
        per_voucher[row["voucherId"]] = per_voucher.get(row["voucherId"], 0) + 1
    assert per_voucher == {v["id"]: v["voucherRowCount"] for v in vouchers if v["voucherRowCount"]}
    syncs = run.stderr.count("Beginning sync of 'voucher_rows'")
    assert 2 < syncs <= len(rows) // CHILD_BATCH_ROWS + 2 < len(vouchers) // 50
    assert '"rows":' not in run.stderr  # contexts (logged in metrics) hold no row data


def test_a_stream_map_filter_on_vouchers_keeps_exactly_the_rows_of_the_kept_vouchers(findity_factory, tap, tmp_path):
    sandbox = _big_sandbox(findity_factory)
    full = tap(findity_config(sandbox, tmp_path / "full"))
    filtered = tap(findity_config(sandbox, tmp_path / "filtered", **SEK_ONLY))
    assert full.returncode == filtered.returncode == 0, filtered.stderr[-2000:]
    vouchers = full.records("vouchers")
    kept = {v["id"] for v in vouchers if v["currency"] == "SEK"}
    last_of_export = {v["exportId"]: v for v in vouchers}.values()
    assert any(v["currency"] != "SEK" for v in last_of_export)  # a batch closes on a filtered voucher
    assert 0 < len(kept) < len(vouchers)
    assert {v["id"] for v in filtered.records("vouchers")} == kept
    assert filtered.records("voucher_rows") == [r for r in full.records("voucher_rows") if r["voucherId"] in kept]


def test_properties_the_schema_lacks_are_dropped_in_order_with_one_warning(tmp_path, caplog):
    tap = TapFindity(
        config={"client_id": "c", "client_secret": "s", "organization_id": "o" * 32, "manifest_dir": str(tmp_path)},
        parse_env_config=False,
    )
    rows = tap.streams["voucher_rows"]
    row = {"type": "DEBIT", "bookingCode": "X1", "amount": 1, "voucherId": "v", "rowNumber": 1, "extra": None}
    with caplog.at_level(logging.WARNING):
        assert list(rows.schema_fields(dict(row)).items()) == [
            ("type", "DEBIT"),
            ("amount", 1),
            ("voucherId", "v"),
            ("rowNumber", 1),
        ]
        rows.schema_fields(dict(row))
    warnings = [r for r in caplog.records if "not found in catalog schema" in r.getMessage()]
    assert len(warnings) == 1 and "('bookingCode', 'extra')" in warnings[0].getMessage()
    complete = {"type": "CREDIT", "voucherId": "v", "rowNumber": 2}
    assert rows.schema_fields(complete) is complete
