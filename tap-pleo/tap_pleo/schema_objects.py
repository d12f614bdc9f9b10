"""Sub-schemas shared by the Pleo streams, after the models of Pleo's published OpenAPI documents
(`ExportItemV3`, `AccountingEntryV1`, ...; transcribed in `sandbox/sandbox/contract/pleo.json`)."""

from __future__ import annotations

import typing as t

from singer_sdk import typing as th

S, I, B, DT = th.StringType, th.IntegerType, th.BooleanType, th.DateTimeType
D, N = th.DecimalType, th.NumberType


def obj(*props: th.Property) -> th.ObjectType:
    return th.ObjectType(*props)


def req(name: str, kind: t.Any, **kwargs: t.Any) -> th.Property:
    """A field the published model requires and does not let be null."""
    return th.Property(name, kind, required=True, **kwargs)


def _money(minor_field: str, kind: str, number: t.Any) -> th.ObjectType:
    return obj(
        req("currency", S, description="ISO 4217 currency code."),
        req(minor_field, number, description=f"Amount in MINOR units as Pleo sends it ({kind}; 896.96 SEK -> 89696)."),
        th.Property("valueMinor", I, description="Added by the tap: the same integer minor units (sum this)."),
        th.Property("valueMajor", D, description="Added by the tap: exact decimal in major units."),
    )


MONEY = _money("value", "MoneyModel", N)  # Export API: {currency, value} (a number in the document)
MINORS = _money("minors", "Money", I)  # accounting entries: {currency, minors} (int64)


def in_both_currencies(what: str, *, flat_too: bool = False) -> th.ObjectType:
    """An Export API amount in the supplier's and the wallet's currency (`ExportItemLineAmountV3`, ...). Both
    are required by the document; ``flat_too`` (line amounts) lets one be absent, as a line amount in the
    older flat shape has only one."""
    field = th.Property if flat_too else req
    return obj(
        field("inSupplierCurrency", MONEY, description=f"{what} in the currency the supplier charged."),
        field("inWalletCurrency", MONEY, description=f"{what} in the company's wallet currency."),
    )


ACCOUNT_REF = obj(req("id", S), req("name", S), th.Property("code", S),
                  th.Property("identifier", S, description="The account's identifier in the accounting system."))
TAG_REF = obj(req("id", S), req("code", S), req("groupCode", S))
NAMED = obj(req("id", S), req("name", S), th.Property("code", S))
EXPORT_FILE = obj(req("url", S, description="Pre-signed URL, valid 24 h."),
                  req("type", S, description="MIME type."), req("size", I, description="Bytes."))
LINE = obj(
    req("accountingEntryLineId", S),
    req("lineAmount", in_both_currencies("Line amount", flat_too=True)),
    req("netAmount", in_both_currencies("Line amount without tax", flat_too=True)),
    th.Property("account", ACCOUNT_REF),
    th.Property("tags", th.ArrayType(TAG_REF)),
    th.Property("tax", obj(
        req("id", S), req("rate", D, description="Fraction, e.g. 0.25 for 25 %."),
        req("type", S, description="inclusive | exclusive | reverse"),
        req("amount", in_both_currencies("Tax amount", flat_too=True)),
        th.Property("code", S), th.Property("ingoingTaxAccount", S), th.Property("outgoingTaxAccount", S))),
)
ENTRY_TAG = obj(req("tagGroupId", S), th.Property("tagId", S))
