"""Exact money: derived integer minor units beside the provider's amounts. Never float."""

from __future__ import annotations

import decimal

# ISO 4217 exponents that differ from 2 (the currencies our providers use are all 2 otherwise).
_EXPONENTS = {"JPY": 0, "KRW": 0, "ISK": 0, "HUF": 2, "CLP": 0, "KWD": 3, "BHD": 3, "JOD": 3, "OMR": 3, "TND": 3}


def currency_exponent(currency: str | None) -> int:
    """Number of minor-unit digits of a currency (2 unless listed)."""
    return _EXPONENTS.get((currency or "").upper(), 2)


def as_decimal(value: object) -> decimal.Decimal | None:
    """Exact Decimal of a JSON number (int, Decimal or numeric string); None stays None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):  # never expected: the SDK parses JSON numbers as Decimal
        return decimal.Decimal(repr(value))
    try:
        return decimal.Decimal(str(value))
    except decimal.InvalidOperation:
        return None


def to_minor(value: object, currency: str | None = None, exponent: int | None = None) -> int | None:
    """Major-unit amount -> integer minor units, exactly; raises if sub-minor digits would be lost."""
    amount = as_decimal(value)
    if amount is None:
        return None
    exp = currency_exponent(currency) if exponent is None else exponent
    scaled = amount.scaleb(exp)
    if scaled != scaled.to_integral_value():
        msg = f"amount {value} has more than {exp} decimal places for {currency or 'its currency'}"
        raise ValueError(msg)
    return int(scaled)


def from_minor(minor: object, exponent: int) -> decimal.Decimal | None:
    """Integer minor units with `exponent` digits -> exact major-unit Decimal."""
    amount = as_decimal(minor)
    return None if amount is None else amount.scaleb(-exponent)
