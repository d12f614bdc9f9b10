"""tapkit.money: integer minor units, exactly."""

from __future__ import annotations

import decimal

import pytest
from tapkit.money import to_minor


def test_minor_units_are_exact_and_refuse_to_round() -> None:
    assert to_minor(decimal.Decimal("0.1") + decimal.Decimal("0.2"), "EUR") == 30
    assert to_minor(decimal.Decimal("1234567890123.45"), "EUR") == 123456789012345
    assert to_minor(5, "JPY") == 5
    with pytest.raises(ValueError, match="more than 2 decimal places"):
        to_minor(decimal.Decimal("1.005"), "EUR")
