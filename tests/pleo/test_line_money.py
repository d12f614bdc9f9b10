"""Export-item line money: Pleo's published shape (each amount in the supplier's and the wallet's currency)
and the older flat `{currency, value}` both land in the same columns, with exact minor units beside them."""

from __future__ import annotations

import copy
from decimal import Decimal

from tap_pleo.money import add_export_item_money

ITEM = {
    "amount": {
        "inSupplierCurrency": {"currency": "EUR", "value": 10000},
        "inWalletCurrency": {"currency": "DKK", "value": 74600},
    }
}


def published_line() -> dict:
    return {
        "lineAmount": {
            "inSupplierCurrency": {"currency": "EUR", "value": 10000},
            "inWalletCurrency": {"currency": "DKK", "value": 74600},
        },
        "netAmount": {
            "inSupplierCurrency": {"currency": "EUR", "value": 8000},
            "inWalletCurrency": {"currency": "DKK", "value": 59680},
        },
        "tax": {
            "type": "inclusive",
            "amount": {
                "inSupplierCurrency": {"currency": "EUR", "value": 2000},
                "inWalletCurrency": {"currency": "DKK", "value": 14920},
            },
        },
    }


def test_published_line_amounts_get_minor_and_major_units_in_both_currencies() -> None:
    item = {**copy.deepcopy(ITEM), "accountingEntryLines": [published_line()]}
    add_export_item_money(item)
    line = item["accountingEntryLines"][0]
    assert line["lineAmount"]["inSupplierCurrency"]["value"] == 10000  # the provider's integer stays
    assert line["lineAmount"]["inSupplierCurrency"]["valueMinor"] == 10000
    assert line["lineAmount"]["inWalletCurrency"]["valueMajor"] == Decimal("746.00")
    assert line["tax"]["amount"]["inWalletCurrency"]["valueMinor"] == 14920
    assert line["netAmount"]["inSupplierCurrency"]["valueMajor"] == Decimal("80.00")


def test_flat_line_amounts_land_under_the_currency_they_are_in() -> None:
    flat = {
        "lineAmount": {"currency": "DKK", "value": 74600},
        "netAmount": {"currency": "DKK", "value": 59680},
        "tax": {"type": "inclusive", "amount": {"currency": "DKK", "value": 14920}},
    }
    item = {**copy.deepcopy(ITEM), "accountingEntryLines": [flat]}
    add_export_item_money(item)
    line = item["accountingEntryLines"][0]
    assert line["lineAmount"] == {
        "inWalletCurrency": {"currency": "DKK", "value": 74600, "valueMinor": 74600, "valueMajor": Decimal("746.00")}
    }
    assert line["tax"]["amount"]["inWalletCurrency"]["valueMinor"] == 14920
    same = {
        "amount": {
            "inSupplierCurrency": {"currency": "DKK", "value": 500},
            "inWalletCurrency": {"currency": "DKK", "value": 500},
        },
        "accountingEntryLines": [{"lineAmount": {"currency": "DKK", "value": 500}}],
    }
    add_export_item_money(same)  # one currency: the flat amount is both
    assert set(same["accountingEntryLines"][0]["lineAmount"]) == {"inSupplierCurrency", "inWalletCurrency"}
