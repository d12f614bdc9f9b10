"""Every voucher output format (verificationListsType) lands as vouchers and rows with stable keys, exact
money, and the same totals for the same expenses."""

from __future__ import annotations

import decimal

import pytest
from sandbox.findity import FORMATS

from tests.findity.conftest import findity_config


def _sums(rows: list[dict]) -> tuple[dict, dict]:
    gross: dict[str, int] = {}
    vat: dict[str, int] = {}
    for row in rows:
        cur = row["currency"]
        if row["amountMinor"] > 0:  # debit + VAT rows, or payment rows: the gross to pay
            gross[cur] = gross.get(cur, 0) + row["amountMinor"]
        vat[cur] = vat.get(cur, 0) + row["taxAmountMinor"]
    return gross, vat


def _minor(text: str) -> int:
    return int(decimal.Decimal(text) * 100)


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_lands_every_voucher_and_row_with_unique_keys_and_exact_money(findity_factory, tap, tmp_path, fmt):
    sandbox = findity_factory(initial_exports=0, scale=24)
    created = sandbox.admin("POST", "/findity/bulk-send", {"count": 24, "verificationListsType": fmt})
    run = tap(findity_config(sandbox, tmp_path))
    assert run.returncode == 0, run.stderr[-2000:]
    vouchers, rows = run.records("vouchers"), run.records("voucher_rows")
    truth = sandbox.ground_truth()
    assert len(vouchers) == truth["vouchers"]["count"] == created["export"]["numberOfVouchers"]
    assert len(rows) == truth["voucher_rows"]["count"]
    assert len({v["id"] for v in vouchers}) == len(vouchers)
    assert len({(r["voucherId"], r["rowNumber"]) for r in rows}) == len(rows)
    assert all(v["verificationListsType"] == fmt for v in vouchers)
    for field in ("amount", "taxAmount"):
        got: dict[str, int] = {}
        for row in rows:
            assert row[f"{field}Minor"] == int(row[field] * 100)
            got[row["currency"]] = got.get(row["currency"], 0) + row[f"{field}Minor"]
        assert got == {c: _minor(v) for c, v in truth["voucher_rows"]["money"][field].items()}
    gross, vat = _sums(rows)
    assert gross == {c: _minor(v) for c, v in created["totals"]["gross"].items()}
    assert vat == {c: _minor(v) for c, v in created["totals"]["vat"].items() if _minor(v)}


def test_voucher_totals_are_equal_in_all_eight_formats(findity_factory, tap, tmp_path):
    totals = []
    for n, fmt in enumerate(FORMATS):
        sandbox = findity_factory(initial_exports=0, scale=18, seed=11)
        sandbox.admin("POST", "/findity/bulk-send", {"count": 18, "verificationListsType": fmt})
        run = tap(findity_config(sandbox, tmp_path / str(n)))
        assert run.returncode == 0, run.stderr[-2000:]
        totals.append(_sums(run.records("voucher_rows")))
    assert all(t == totals[0] for t in totals), totals
    assert set(totals[0][0]) >= {"SEK"}


def test_row_keys_hold_for_aggregated_rows_without_expense_ids(findity_factory, tap, tmp_path):
    sandbox = findity_factory(initial_exports=0)
    sandbox.admin("POST", "/findity/bulk-send", {"count": 30, "verificationListsType": "USER_PER_ACCOUNT"})
    rows = tap(findity_config(sandbox, tmp_path)).records("voucher_rows")
    assert rows and all(r["expenseRecordId"] is None for r in rows)
    assert len({(r["voucherId"], r["rowNumber"]) for r in rows}) == len(rows)
