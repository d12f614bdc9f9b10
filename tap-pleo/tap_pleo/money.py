"""Exact derived money fields beside Pleo's amounts (the originals are never changed).

Pleo sends money as integer MINOR units: `{currency, value}` in the Export API, `{currency, minors}` in
accounting entries. Every such object gets two fields added by the tap:

* `valueMinor` — the same integer minor units, under one name for both shapes (what warehouses sum);
* `valueMajor` — the exact decimal in major units (`value / 10**exponent`, ISO 4217), e.g. 89696 SEK → 896.96.
"""

from __future__ import annotations

import typing as t

from tapkit.money import currency_exponent, from_minor


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


def add_export_item_money(item: dict) -> None:
    amount = item.get("amount") or {}
    add_minor_major(amount.get("inSupplierCurrency"))
    add_minor_major(amount.get("inWalletCurrency"))
    for line in item.get("accountingEntryLines") or []:
        add_minor_major(line.get("lineAmount"))
        add_minor_major(line.get("netAmount"))
        add_minor_major((line.get("tax") or {}).get("amount"))


def add_entry_money(entry: dict) -> None:
    add_minor_major(entry.get("transactionValue"))
    add_minor_major(entry.get("originalValue"))
    for split in entry.get("splitItems") or []:
        add_minor_major(split.get("amount"))
        add_minor_major(split.get("taxAmount"))
