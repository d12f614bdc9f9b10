"""Sub-schemas shared by the Pleo streams."""

from __future__ import annotations

from singer_sdk import typing as th

S, I, B, DT = th.StringType, th.IntegerType, th.BooleanType, th.DateTimeType
D = th.DecimalType


def obj(*props: th.Property) -> th.ObjectType:
    return th.ObjectType(*props)


def _money(minor_field: str) -> th.ObjectType:
    return obj(
        th.Property("currency", S, description="ISO 4217 currency code."),
        th.Property(minor_field, I, description="Amount in MINOR units as Pleo sends it (896.96 SEK -> 89696)."),
        th.Property("valueMinor", I, description="Added by the tap: the same integer minor units (sum this)."),
        th.Property("valueMajor", D, description="Added by the tap: exact decimal in major units."),
    )


MONEY = _money("value")  # Export API: {currency, value}
MINORS = _money("minors")  # accounting entries: {currency, minors}
ACCOUNT_REF = obj(th.Property("id", S), th.Property("name", S), th.Property("code", S), th.Property("identifier", S))
TAG_REF = obj(th.Property("id", S), th.Property("code", S), th.Property("groupCode", S))
NAMED = obj(th.Property("id", S), th.Property("name", S), th.Property("code", S))
EXPORT_FILE = obj(th.Property("url", S, description="Pre-signed URL, valid 24 h."),
                  th.Property("type", S, description="MIME type."), th.Property("size", I, description="Bytes."))
LINE = obj(
    th.Property("accountingEntryLineId", S),
    th.Property("lineAmount", MONEY),
    th.Property("netAmount", MONEY),
    th.Property("account", ACCOUNT_REF),
    th.Property("tags", th.ArrayType(TAG_REF)),
    th.Property("tax", obj(
        th.Property("id", S), th.Property("rate", D, description="Fraction, e.g. 0.25 for 25 %."),
        th.Property("type", S, description="inclusive | exclusive | reverse"), th.Property("amount", MONEY),
        th.Property("code", S), th.Property("ingoingTaxAccount", S), th.Property("outgoingTaxAccount", S))),
)
