"""Exact minor-unit fields the tap adds beside Candis amounts (the originals are never changed)."""

from __future__ import annotations

import typing as t

from tapkit.money import as_decimal, currency_exponent, from_minor, to_minor


def add_money_minor_units(row: dict, *fields: str) -> None:
    """`{value, currencyCode}` objects get `valueMinor`."""
    for field in fields:
        amount = row.get(field)
        if isinstance(amount, dict) and amount.get("value") is not None:
            amount["valueMinor"] = to_minor(amount["value"], amount.get("currencyCode"))


def add_posting_minor_units(row: dict) -> None:
    add_money_minor_units(row, "amount")
    currency = (row.get("amount") or {}).get("currencyCode")
    for split in row.get("splitPostings") or []:
        for field in ("amount", "netAmount", "taxAmount"):
            if split.get(field) is not None:
                split[f"{field}Minor"] = to_minor(split[field], currency)


def add_bookings_minor_units(row: dict, currency: str | None) -> None:
    for booking in row.get("bookings") or []:
        if isinstance(booking, dict) and booking.get("amount") is not None:
            booking["amountMinor"] = to_minor(booking["amount"], currency)


def _reimbursement_amount(amount: t.Any) -> None:
    """`{amount, currency, precision}`: minor units with `precision` digits if given, else major units."""
    if not isinstance(amount, dict) or amount.get("amount") is None:
        return
    currency = amount.get("currency")
    if amount.get("precision") is not None:
        major = from_minor(amount["amount"], int(amount["precision"]))
    else:
        major = as_decimal(amount["amount"])
    amount["amountMajor"] = major
    amount["amountMinor"] = to_minor(major, currency, currency_exponent(currency))


def add_reimbursement_minor_units(row: dict) -> None:
    for field in ("totalAmount", "tipAmount", "receiptAmount", "applicableRate"):
        if field != "applicableRate":  # a per-km rate may have sub-cent digits; leave it as sent
            _reimbursement_amount(row.get(field))
    currency = (row.get("totalAmount") or {}).get("currency")
    add_bookings_minor_units(row, currency)
