"""Sub-schemas shared by several Candis streams: field names, nesting and types as Candis's OpenAPI gives them.

Nullability follows the Singer convention: a field the OpenAPI marks required (and not `nullable`) is
`required` and never null here; every other field (optional, or `nullable`) may be null, i.e. absent from
the record or sent as null. Spec `number` is a JSON number (exact Decimal), spec `format: date-time` is
`date-time`. Fields the tap derives (`valueMinor`, `amountMinor`, `amountMajor`) say "Added by the tap".
"""

from __future__ import annotations

from singer_sdk import typing as th

S, D, I, B, DT = th.StringType, th.DecimalType, th.IntegerType, th.BooleanType, th.DateTimeType


def obj(*props: th.Property) -> th.ObjectType:
    return th.ObjectType(*props)


def req(name: str, wrapped: type[th.JSONTypeHelper] | th.JSONTypeHelper, description: str | None = None) -> th.Property:
    """A field the OpenAPI requires (never null)."""
    return th.Property(name, wrapped, required=True, description=description)


def opt(name: str, wrapped: type[th.JSONTypeHelper] | th.JSONTypeHelper, description: str | None = None) -> th.Property:
    """A field the OpenAPI has as optional or `nullable`."""
    return th.Property(name, wrapped, description=description)


VALUE_MINOR = opt("valueMinor", I, "Added by the tap: `value` as an exact integer in minor units (cents). Sum this "
                                   "column in warehouses that store JSON numbers as DOUBLE.")


def amount_object(*, required: bool = True) -> th.ObjectType:
    """`{value, currencyCode}` (both required except in invoices), plus the tap's `valueMinor`."""
    field = req if required else opt
    return obj(
        field("value", D, "Amount in major units (e.g. EUR), exact decimal as sent by Candis."),
        field("currencyCode", S, "ISO 4217 currency code."),
        VALUE_MINOR,
    )


MONEY = amount_object()
CODE = obj(req("code", S), opt("name", S))  # cost center / cost object / extra cost info {code*, name}
LOCALIZED = obj(req("en", S), req("de", S))

# --- postings (GET /exports/{id}/postings) ---------------------------------------------------------------------
POSTING_CONTACT = obj(opt("accountsPayableNumber", S), opt("accountsReceivableNumber", S), opt("name", S))
FILE = obj(
    req("id", S),
    req("url", S, "Download URL (GET /v1/organizations/{org}/files/{id}, needs the token)."),
    req("name", S),
    req("type", S, "AUDIT_TRAIL | ATTACHMENT | INVOICE | XRECHNUNG"),
)
_LINE_LOCATION = (opt("locationCode", S), opt("externalLineId", S))
PURCHASE_ORDER_LINE = obj(req("orderNumber", S), req("lineNumber", D), req("itemNumber", S), *_LINE_LOCATION)
GOODS_RECEIPT_LINE = obj(req("receiptNumber", S), req("lineNumber", D), req("itemNumber", S), *_LINE_LOCATION)
SPLIT_POSTING = obj(
    opt("note", S),
    req("amount", D, "Major units, in the posting's currency."),
    opt("amountMinor", I, "Added by the tap: `amount` in exact minor units."),
    opt("costCenter", obj(req("code", S))),
    opt("costObject", obj(req("code", S))),
    opt("customCostDimension", obj(req("code", S))),
    opt("bookingKey", obj(req("taxCode", S))),
    opt("postingText", S),
    opt("unitPrice", D),
    opt("quantity", D),
    opt("netAmount", D),
    opt("taxAmount", D),
    opt("type", S, "ITEM | ADDITIONAL_DELIVERY_COST"),
    opt("purchaseOrderMetadata", th.ArrayType(PURCHASE_ORDER_LINE)),
    opt("goodsReceiptMetadata", th.ArrayType(GOODS_RECEIPT_LINE)),
    opt("additionalDeliveryCostsMetadata", th.ArrayType(obj(req("code", S)))),
    req("generalLedgerAccount", S),
)

# --- reimbursement items and invoices --------------------------------------------------------------------------
# Reimbursement money `{amount, currency, baseAmount, ...}`. The OpenAPI gives `amount` as a number (major
# units, like the bookings' amounts). The vendor guide also shows an older shape with `precision`/`basePrecision`
# and integer minor units (10000 with precision 2 = 100.00): the tap reads both, and its `amountMajor` and
# `amountMinor` are exact either way.
REIMBURSEMENT_AMOUNT = obj(
    req("amount", D, "As sent: major units (the OpenAPI); minor units if Candis sends the guide's `precision`."),
    req("currency", S),
    opt("baseAmount", D, "In `baseCurrency` (EUR), as sent."),
    opt("baseCurrency", S),
    opt("exchangeRate", D),
    opt("exchangeRateDate", S),
    opt("amountMajor", D, "Added by the tap: exact amount in major units of `currency`."),
    opt("amountMinor", I, "Added by the tap: exact amount in minor units of `currency`."),
)
RATE = obj(req("amount", D, "Major units, as sent (a per-km rate may have sub-cent digits)."), req("currency", S))
GENERAL_LEDGER_ACCOUNT = obj(req("accountCode", S), req("name", S))
BOOKING_KEY = obj(req("taxCode", S), req("description", S))
_BOOKING_COMMON = (
    opt("dueDate", S),
    opt("costCenter", CODE),
    opt("costObject", CODE),
    opt("generalLedgerAccount", GENERAL_LEDGER_ACCOUNT),
    opt("extraCostInfo", CODE),
    opt("artistSocialInsuranceCode", S),
    opt("bookingKey", BOOKING_KEY),
    opt("vatRate", D),
    opt("note", S),
    opt("postingText", S),
    opt("amountMinor", I, "Added by the tap: `amount` in exact minor units."),
)
REIMBURSEMENT_BOOKING = obj(
    req("amount", D, "Major units, in the item's currency."),
    opt("baseAmount", D, "Major units, in the base currency (EUR)."),
    *_BOOKING_COMMON,
)
INVOICE_BOOKING = obj(
    opt("amount", D, "Major units, in the invoice's currency."),
    *_BOOKING_COMMON,
    opt("paymentCondition", obj(opt("discountAmount", D), opt("discountPaymentDate", S), opt("discountPercentage", D))),
)
PLACE = obj(req("region", LOCALIZED), req("countryIsoCode", S), req("country", LOCALIZED), opt("location", LOCALIZED))
