"""Sub-schemas shared by the Pleo streams, after the models of Pleo's published OpenAPI documents
(`ExportItemV3`, `AccountingEntryV1`, ...; transcribed in `sandbox/sandbox/contract/pleo.json`)."""

from __future__ import annotations

from singer_sdk import typing as th

S, I, B, DT = th.StringType, th.IntegerType, th.BooleanType, th.DateTimeType
D = th.DecimalType


def obj(*props: th.Property) -> th.ObjectType:
    return th.ObjectType(*props)


def _money(minor_field: str, kind: str) -> th.ObjectType:
    return obj(
        th.Property("currency", S, description="ISO 4217 currency code."),
        th.Property(minor_field, I, description=f"Amount in MINOR units as Pleo sends it ({kind}; 896.96 SEK -> 89696)."),
        th.Property("valueMinor", I, description="Added by the tap: the same integer minor units (sum this)."),
        th.Property("valueMajor", D, description="Added by the tap: exact decimal in major units."),
    )


MONEY = _money("value", "MoneyModel")  # Export API: {currency, value}
MINORS = _money("minors", "Money")  # accounting entries: {currency, minors}


def in_both_currencies(what: str) -> th.ObjectType:
    """An Export API amount in the supplier's and the wallet's currency (`ExportItemLineAmountV3`, ...)."""
    return obj(
        th.Property("inSupplierCurrency", MONEY, description=f"{what} in the currency the supplier charged."),
        th.Property("inWalletCurrency", MONEY, description=f"{what} in the company's wallet currency."),
    )


ACCOUNT_REF = obj(th.Property("id", S), th.Property("name", S), th.Property("code", S),
                  th.Property("identifier", S, description="The account's identifier in the accounting system."))
TAG_REF = obj(th.Property("id", S), th.Property("code", S), th.Property("groupCode", S))
NAMED = obj(th.Property("id", S), th.Property("name", S), th.Property("code", S))
EXPORT_FILE = obj(th.Property("url", S, description="Pre-signed URL, valid 24 h."),
                  th.Property("type", S, description="MIME type."), th.Property("size", I, description="Bytes."))
LINE = obj(
    th.Property("accountingEntryLineId", S),
    th.Property("lineAmount", in_both_currencies("Line amount")),
    th.Property("netAmount", in_both_currencies("Line amount without tax")),
    th.Property("account", ACCOUNT_REF),
    th.Property("tags", th.ArrayType(TAG_REF)),
    th.Property("tax", obj(
        th.Property("id", S), th.Property("rate", D, description="Fraction, e.g. 0.25 for 25 %."),
        th.Property("type", S, description="inclusive | exclusive | reverse"),
        th.Property("amount", in_both_currencies("Tax amount")),
        th.Property("code", S), th.Property("ingoingTaxAccount", S), th.Property("outgoingTaxAccount", S))),
)
ENTRY_TAG = obj(th.Property("tagGroupId", S), th.Property("tagId", S))
