"""Sub-schemas shared by several Candis streams: field names, nesting and types as Candis's OpenAPI gives them.

Nullability follows the Singer convention: a field the OpenAPI marks required (and not `nullable`) is
`required` and never null here; every other field (optional, or `nullable`) may be null, i.e. absent from
the record or sent as null. Spec `number` is a JSON number (exact Decimal), spec `format: date-time` is
`date-time`. Fields the tap derives (`valueMinor`, `amountMinor`, `amountMajor`) say "Added by the tap".
"""

from __future__ import annotations

from singer_sdk import typing as th
from tapkit.schema import Decimal, Integer, String, obj, opt, opts, req
from tapkit.tenant import tenant_property

_ORGANIZATION = "the Candis organization (slug) the record was read from, the `{organizationId}` of the request's path"
#: the tenant of every record (tapkit.tenant); `in_body`: invoices, whose body has `organizationId` already
ORGANIZATION_ID = tenant_property("organizationId", _ORGANIZATION)
ORGANIZATION_ID_IN_BODY = tenant_property("organizationId", _ORGANIZATION, in_body=True)
VALUE_MINOR = opt(
    "valueMinor",
    Integer,
    "Added by the tap: `value` as an exact integer in minor units (cents). Sum this "
    "column in warehouses that store JSON numbers as DOUBLE.",
)


def amount_object(*, required: bool = True) -> th.ObjectType:
    """`{value, currencyCode}` (both required except in invoices), plus the tap's `valueMinor`."""
    field = req if required else opt
    return obj(
        field("value", Decimal, "Amount in major units (e.g. EUR), exact decimal as sent by Candis."),
        field("currencyCode", String, "ISO 4217 currency code."),
        VALUE_MINOR,
    )


MONEY = amount_object()
CODE = obj(req("code", String), opt("name", String))  # cost center / cost object / extra cost info {code*, name}
LOCALIZED = obj(req("en", String), req("de", String))

# --- postings (GET /exports/{id}/postings) ---------------------------------------------------------------------
POSTING_CONTACT = obj(
    opt("accountsPayableNumber", String), opt("accountsReceivableNumber", String), opt("name", String)
)
FILE = obj(
    req("id", String),
    req("url", String, "Download URL (GET /v1/organizations/{org}/files/{id}, needs the token)."),
    req("name", String),
    req("type", String, "AUDIT_TRAIL | ATTACHMENT | INVOICE | XRECHNUNG"),
)
_LINE_LOCATION = (opt("locationCode", String), opt("externalLineId", String))
PURCHASE_ORDER_LINE = obj(
    req("orderNumber", String), req("lineNumber", Decimal), req("itemNumber", String), *_LINE_LOCATION
)
GOODS_RECEIPT_LINE = obj(
    req("receiptNumber", String), req("lineNumber", Decimal), req("itemNumber", String), *_LINE_LOCATION
)
SPLIT_POSTING = obj(
    opt("note", String),
    req("amount", Decimal, "Major units, in the posting's currency."),
    opt("amountMinor", Integer, "Added by the tap: `amount` in exact minor units."),
    opt("costCenter", obj(req("code", String))),
    opt("costObject", obj(req("code", String))),
    opt("customCostDimension", obj(req("code", String))),
    opt("bookingKey", obj(req("taxCode", String))),
    opt("postingText", String),
    *opts(Decimal, "unitPrice", "quantity", "netAmount", "taxAmount"),
    opt("netAmountMinor", Integer, "Added by the tap: `netAmount` in exact minor units."),
    opt("taxAmountMinor", Integer, "Added by the tap: `taxAmount` in exact minor units."),
    opt("type", String, "ITEM | ADDITIONAL_DELIVERY_COST"),
    opt("purchaseOrderMetadata", th.ArrayType(PURCHASE_ORDER_LINE)),
    opt("goodsReceiptMetadata", th.ArrayType(GOODS_RECEIPT_LINE)),
    opt("additionalDeliveryCostsMetadata", th.ArrayType(obj(req("code", String)))),
    req("generalLedgerAccount", String),
)

# --- reimbursement items and invoices --------------------------------------------------------------------------
# Reimbursement money `{amount, currency, baseAmount, ...}`. The OpenAPI gives `amount` as a number (major
# units, like the bookings' amounts). The vendor guide also shows an older shape with `precision`/`basePrecision`
# and integer minor units (10000 with precision 2 = 100.00): the tap reads both, and its `amountMajor` and
# `amountMinor` are exact either way.
# Alike other schemas line by line (one provider field a line): nothing to share.
REIMBURSEMENT_AMOUNT = obj(
    req("amount", Decimal, "As sent: major units (the OpenAPI); minor units if Candis sends the guide's `precision`."),
    req("currency", String),
    opt("baseAmount", Decimal, "In `baseCurrency` (EUR), as sent."),
    opt("baseCurrency", String),
    opt("exchangeRate", Decimal),
    opt("exchangeRateDate", String),
    opt("amountMajor", Decimal, "Added by the tap: exact amount in major units of `currency`."),
    opt("amountMinor", Integer, "Added by the tap: exact amount in minor units of `currency`."),
)
RATE = obj(
    req("amount", Decimal, "Major units, as sent (a per-km rate may have sub-cent digits)."), req("currency", String)
)
GENERAL_LEDGER_ACCOUNT = obj(req("accountCode", String), req("name", String))
BOOKING_KEY = obj(req("taxCode", String), req("description", String))
_BOOKING_COMMON = (
    opt("dueDate", String),
    *opts(CODE, "costCenter", "costObject"),
    opt("generalLedgerAccount", GENERAL_LEDGER_ACCOUNT),
    opt("extraCostInfo", CODE),
    opt("artistSocialInsuranceCode", String),
    opt("bookingKey", BOOKING_KEY),
    opt("vatRate", Decimal),
    *opts(String, "note", "postingText"),
    opt("amountMinor", Integer, "Added by the tap: `amount` in exact minor units."),
)
REIMBURSEMENT_BOOKING = obj(
    req("amount", Decimal, "Major units, in the item's currency."),
    opt("baseAmount", Decimal, "Major units, in the base currency (EUR)."),
    *_BOOKING_COMMON,
)
INVOICE_BOOKING = obj(
    opt("amount", Decimal, "Major units, in the invoice's currency."),
    *_BOOKING_COMMON,
    opt(
        "paymentCondition",
        obj(opt("discountAmount", Decimal), opt("discountPaymentDate", String), opt("discountPercentage", Decimal)),
    ),
)
PLACE = obj(
    req("region", LOCALIZED), req("countryIsoCode", String), req("country", LOCALIZED), opt("location", LOCALIZED)
)
