"""Exact derived money fields beside Pleo's amounts (the originals are never changed).

Pleo sends money as integer MINOR units: `{currency, value}` (`MoneyModel`) in the Export API, where every
amount of an export item and of its lines comes in both currencies (`{inSupplierCurrency, inWalletCurrency}`),
and `{currency, minors}` (`Money`) in accounting entries. Every such object gets two fields added by the tap:

* `valueMinor` — the same integer minor units, under one name for both shapes (what warehouses sum);
* `valueMajor` — the exact decimal in major units (`value / 10**exponent`, ISO 4217), e.g. 89696 SEK → 896.96.

An export-item line amount in the older flat shape (`{currency, value}`, one currency) is put under the
currency key it belongs to, by its currency (the item's supplier or wallet currency, or both when they are
the same), so both shapes land in the same columns.
"""

from __future__ import annotations

import typing as t

from tapkit.money import currency_exponent, from_minor

CURRENCIES = ("inSupplierCurrency", "inWalletCurrency")


def add_minor_major(money: t.Any) -> None:
    if not isinstance(money, dict):
        return
    raw = money.get("value", money.get("minors"))
    if raw is None or isinstance(raw, bool):
        return
    minor = int(raw)
    if minor != raw:
        msg = f"Pleo amount {raw} {money.get('currency')} is not an integer of minor units"
        raise ValueError(msg)
    money["valueMinor"] = minor
    money["valueMajor"] = from_minor(minor, currency_exponent(money.get("currency")))


def in_both(amount: t.Any, item_amount: dict) -> t.Any:
    """A line amount as `{inSupplierCurrency, inWalletCurrency}`, also when Pleo sent it flat."""
    if not isinstance(amount, dict) or "value" not in amount or any(k in amount for k in CURRENCIES):
        return amount
    out = {
        key: dict(amount)
        for key in CURRENCIES
        if (item_amount.get(key) or {}).get("currency") == amount.get("currency")
    }
    return out or {"inWalletCurrency": amount}  # a currency of neither: the wallet's, as Pleo books lines


def add_export_item_money(item: dict) -> None:
    amount = item.get("amount") or {}
    for key in CURRENCIES:
        add_minor_major(amount.get(key))
    for line in item.get("accountingEntryLines") or []:
        tax = line.get("tax") or {}
        for holder, key in ((line, "lineAmount"), (line, "netAmount"), (tax, "amount")):
            if key in holder:
                holder[key] = in_both(holder[key], amount)
                for currency in CURRENCIES:
                    add_minor_major((holder[key] or {}).get(currency))


def add_entry_money(entry: dict) -> None:
    add_minor_major(entry.get("transactionValue"))
    add_minor_major(entry.get("totalBillValue"))
    for split in entry.get("splitItems") or []:
        add_minor_major(split.get("transactionValue"))
        add_minor_major(split.get("totalBillValue"))
