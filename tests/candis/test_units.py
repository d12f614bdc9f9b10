"""Unit tests of tap-candis's own tricky pieces: reimbursement money.

The shared pieces (money, Retry-After, rate limiter, token store, UTC timestamps) are tested in tests/tapkit/."""

from __future__ import annotations

import decimal

from tap_candis.money import add_reimbursement_minor_units


def test_reimbursement_amounts_in_minor_units_with_precision_or_major_without() -> None:
    with_precision = {"totalAmount": {"amount": 10000, "currency": "EUR", "precision": 2}, "bookings": []}
    add_reimbursement_minor_units(with_precision)
    assert with_precision["totalAmount"]["amountMinor"] == 10000
    assert with_precision["totalAmount"]["amountMajor"] == decimal.Decimal("100.00")
    bare = {
        "totalAmount": {"amount": decimal.Decimal("27.84"), "currency": "EUR"},
        "bookings": [{"amount": decimal.Decimal("27.84")}],
    }
    add_reimbursement_minor_units(bare)
    assert bare["totalAmount"]["amountMinor"] == 2784
    assert bare["bookings"][0]["amountMinor"] == 2784
