"""Sub-schemas shared by several Candis streams (field names exactly as the API sends them)."""

from __future__ import annotations

from singer_sdk import typing as th

S, D, I, B, DT = th.StringType, th.DecimalType, th.IntegerType, th.BooleanType, th.DateTimeType


def obj(*props: th.Property) -> th.ObjectType:
    return th.ObjectType(*props)


MONEY = obj(
    th.Property("value", D, description="Amount in major units (e.g. EUR), exact decimal as sent by Candis."),
    th.Property("currencyCode", S, description="ISO 4217 currency code."),
    th.Property("valueMinor", I, description="Derived by the tap: `value` as an exact integer in minor units "
                "(cents). Sum this column in warehouses that store JSON numbers as DOUBLE."),
)
CODE = obj(th.Property("code", S), th.Property("name", S))
SUPPLIER_CONTACT = obj(
    th.Property("name", S),
    th.Property("accountsPayableNumber", S),
    th.Property("accountsReceivableNumber", S),
)
FILE = obj(
    th.Property("id", S),
    th.Property("url", S, description="Download URL (GET /v1/organizations/{org}/files/{id}, needs the token)."),
    th.Property("name", S),
    th.Property("type", S, description="AUDIT_TRAIL | ATTACHMENT | INVOICE | XRECHNUNG"),
)
SPLIT_POSTING = obj(
    th.Property("amount", D, description="Major units, in the posting's currency."),
    th.Property("amountMinor", I, description="Derived by the tap: `amount` in exact minor units."),
    th.Property("generalLedgerAccount", S),
    th.Property("note", S),
    th.Property("postingText", S),
    th.Property("unitPrice", D),
    th.Property("quantity", D),
    th.Property("netAmount", D),
    th.Property("taxAmount", D),
    th.Property("type", S, description="ITEM | ADDITIONAL_DELIVERY_COST"),
    th.Property("costCenter", obj(th.Property("code", S))),
    th.Property("costObject", obj(th.Property("code", S))),
    th.Property("customCostDimension", obj(th.Property("code", S))),
    th.Property("bookingKey", obj(th.Property("taxCode", S))),
    th.Property("purchaseOrderMetadata", th.ArrayType(th.AnyType())),
    th.Property("goodsReceiptMetadata", th.ArrayType(th.AnyType())),
    th.Property("additionalDeliveryCostsMetadata", th.ArrayType(obj(th.Property("code", S)))),
)
# Candis reimbursement money: `amount` is in minor units when `precision` is present (10000, precision 2 =
# 100.00); the vendor guide also shows bare major units without `precision`. The tap adds both readings.
REIMBURSEMENT_AMOUNT = obj(
    th.Property("amount", D, description="As sent: minor units when `precision` is present, else major units."),
    th.Property("currency", S),
    th.Property("precision", I),
    th.Property("baseAmount", D),
    th.Property("baseCurrency", S),
    th.Property("basePrecision", I),
    th.Property("exchangeRate", D),
    th.Property("exchangeRateDate", S),
    th.Property("amountMajor", D, description="Derived by the tap: exact amount in major units."),
    th.Property("amountMinor", I, description="Derived by the tap: exact amount in minor units of `currency`."),
)
BOOKING = obj(  # bookings[] of reimbursement items and invoices
    th.Property("amount", D, description="Major units."),
    th.Property("amountMinor", I, description="Derived by the tap: `amount` in exact minor units."),
    th.Property("baseAmount", D),
    th.Property("dueDate", S),
    th.Property("costCenter", CODE),
    th.Property("costObject", CODE),
    th.Property("generalLedgerAccount", obj(th.Property("accountCode", S), th.Property("name", S))),
    th.Property("extraCostInfo", CODE),
    th.Property("bookingKey", obj(th.Property("taxCode", S), th.Property("description", S))),
    th.Property("vatRate", D),
    th.Property("note", S),
    th.Property("postingText", S),
)
LOCALIZED = obj(th.Property("en", S), th.Property("de", S))
