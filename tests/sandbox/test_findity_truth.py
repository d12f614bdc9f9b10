"""Findity emulator: the ground truth agrees with what the API serves; data is deterministic and scales."""

from __future__ import annotations

import decimal

from tests.findity.api_client import FindityApi


def test_ground_truth_counts_and_sums_what_the_packages_hold(findity):
    api = FindityApi(findity)
    vouchers = rows = 0
    amount: dict[str, decimal.Decimal] = {}
    tax: dict[str, decimal.Decimal] = {}
    for export in api.exports():
        for voucher in api.package(export["id"])["vouchers"]:
            vouchers += 1
            for row in voucher["voucherRows"]:
                rows += 1
                amount[voucher["currency"]] = amount.get(voucher["currency"], 0) + row["amount"]
                tax[voucher["currency"]] = tax.get(voucher["currency"], 0) + row["taxAmount"]
    truth = findity.ground_truth()
    assert truth["exports"]["count"] == 8
    assert truth["vouchers"]["count"] == vouchers and truth["voucher_rows"]["count"] == rows
    assert {k: decimal.Decimal(v) for k, v in truth["voucher_rows"]["money"]["taxAmount"].items()} == tax
    assert {k: decimal.Decimal(v) for k, v in truth["voucher_rows"]["money"]["amount"].items()} == amount
    assert set(tax) == {"SEK", "NOK", "EUR"}


def test_same_seed_gives_identical_packages(findity_factory):
    a, b = FindityApi(findity_factory(seed=7)), FindityApi(findity_factory(seed=7))
    ea, eb = a.exports()[1]["id"], b.exports()[1]["id"]
    assert ea == eb
    assert a.call("GET", f"/exports/{ea}/export").content.replace(a.sandbox.url.encode(), b"") == b.call(
        "GET", f"/exports/{eb}/export"
    ).content.replace(b.sandbox.url.encode(), b"")


def test_a_large_export_streams_thousands_of_vouchers(findity_factory):
    sandbox = findity_factory(scale=3000, initial_exports=0)
    api = FindityApi(sandbox)
    created = api.bulk_send(count=3000, verificationListsType="EXPENSE")
    package = api.package(created["export"]["id"])
    assert len(package["vouchers"]) == created["export"]["numberOfVouchers"] > 3000
