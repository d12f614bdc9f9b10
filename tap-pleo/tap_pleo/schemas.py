"""Sub-schemas shared by the Pleo streams, after the models of Pleo's published OpenAPI documents
(`ExportItemV3`, `AccountingEntryV1`, ...; transcribed in `sandbox/sandbox/contract/pleo.json`)."""

from __future__ import annotations

import typing as t

from singer_sdk import typing as th
from tapkit.schema import Decimal, Integer, Number, String, obj, req


def _money(minor_field: str, kind: str, number: t.Any) -> th.ObjectType:
    return obj(
        req("currency", String, description="ISO 4217 currency code."),
        req(minor_field, number, description=f"Amount in MINOR units as Pleo sends it ({kind}; 896.96 SEK -> 89696)."),
        th.Property("valueMinor", Integer, description="Added by the tap: the same integer minor units (sum this)."),
        th.Property("valueMajor", Decimal, description="Added by the tap: exact decimal in major units."),
    )


MONEY = _money("value", "MoneyModel", Number)  # Export API: {currency, value} (a number in the document)
MINORS = _money("minors", "Money", Integer)  # accounting entries: {currency, minors} (int64)


def in_both_currencies(what: str, *, flat_too: bool = False) -> th.ObjectType:
    """An Export API amount in the supplier's and the wallet's currency (`ExportItemLineAmountV3`, ...). Both
    are required by the document; ``flat_too`` (line amounts) lets one be absent, as a line amount in the
    older flat shape has only one."""
    field = th.Property if flat_too else req
    return obj(
        field("inSupplierCurrency", MONEY, description=f"{what} in the currency the supplier charged."),
        field("inWalletCurrency", MONEY, description=f"{what} in the company's wallet currency."),
    )


ACCOUNT_REF = obj(
    req("id", String),
    req("name", String),
    th.Property("code", String),
    th.Property("identifier", String, description="The account's identifier in the accounting system."),
)
TAG_REF = obj(req("id", String), req("code", String), req("groupCode", String))
NAMED = obj(req("id", String), req("name", String), th.Property("code", String))
EXPORT_FILE = obj(
    req("url", String, description="Pre-signed URL, valid 24 h."),
    req("type", String, description="MIME type."),
    req("size", Integer, description="Bytes."),
)
LINE = obj(
    req("accountingEntryLineId", String),
    req("lineAmount", in_both_currencies("Line amount", flat_too=True)),
    req("netAmount", in_both_currencies("Line amount without tax", flat_too=True)),
    th.Property("account", ACCOUNT_REF),
    th.Property("tags", th.ArrayType(TAG_REF)),
    th.Property(
        "tax",
        obj(
            req("id", String),
            req("rate", Decimal, description="Fraction, e.g. 0.25 for 25 %."),
            req("type", String, description="inclusive | exclusive | reverse"),
            req("amount", in_both_currencies("Tax amount", flat_too=True)),
            th.Property("code", String),
            th.Property("ingoingTaxAccount", String),
            th.Property("outgoingTaxAccount", String),
        ),
    ),
)
ENTRY_TAG = obj(req("tagGroupId", String), th.Property("tagId", String))
