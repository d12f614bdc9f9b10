"""Sub-schemas shared by the Pleo streams, after the models of Pleo's published OpenAPI documents
(`ExportItemV3`, `AccountingEntryV1`, ...; transcribed in `sandbox/sandbox/contract/pleo.json`)."""

from __future__ import annotations

import typing as t

from singer_sdk import typing as th
from tapkit.schema import Decimal, Integer, Number, String, obj, opt, opts, req, reqs
from tapkit.tenant import tenant_property

_COMPANY = (
    "the Pleo company the record was read from, the company of the request (its `company_id` / `companyId` "
    "parameter, the search body's `companyId`, or the parent record's)"
)
#: the tenant of every company-scoped record (tapkit.tenant); `IN_BODY`: Pleo's model has `companyId` already
COMPANY_ID = tenant_property("companyId", _COMPANY)
COMPANY_ID_IN_BODY = tenant_property("companyId", _COMPANY, in_body=True)


def _money(minor_field: str, kind: str, number: t.Any) -> th.ObjectType:
    return obj(
        req("currency", String, "ISO 4217 currency code."),
        req(minor_field, number, f"Amount in MINOR units as Pleo sends it ({kind}; 896.96 SEK -> 89696)."),
        opt("valueMinor", Integer, "Added by the tap: the same integer minor units (sum this)."),
        opt("valueMajor", Decimal, "Added by the tap: exact decimal in major units."),
    )


MONEY = _money("value", "MoneyModel", Number)  # Export API: {currency, value} (a number in the document)
MINORS = _money("minors", "Money", Integer)  # accounting entries: {currency, minors} (int64)


def in_both_currencies(what: str, *, flat_too: bool = False) -> th.ObjectType:
    """An Export API amount in the supplier's and the wallet's currency (`ExportItemLineAmountV3`, ...). Both
    are required by the document; ``flat_too`` (line amounts) lets one be absent, as a line amount in the
    older flat shape has only one."""
    field = opt if flat_too else req
    return obj(
        field("inSupplierCurrency", MONEY, f"{what} in the currency the supplier charged."),
        field("inWalletCurrency", MONEY, f"{what} in the company's wallet currency."),
    )


ACCOUNT_REF = obj(
    *reqs(String, "id", "name"),
    opt("code", String),
    opt("identifier", String, "The account's identifier in the accounting system."),
)
TAG_REF = obj(*reqs(String, "id", "code", "groupCode"))
NAMED = obj(*reqs(String, "id", "name"), opt("code", String))
EXPORT_FILE = obj(
    req("url", String, "Pre-signed URL, valid 24 h."),
    req("type", String, "MIME type."),
    req("size", Integer, "Bytes."),
)
LINE = obj(
    req("accountingEntryLineId", String),
    req("lineAmount", in_both_currencies("Line amount", flat_too=True)),
    req("netAmount", in_both_currencies("Line amount without tax", flat_too=True)),
    opt("account", ACCOUNT_REF),
    opt("tags", th.ArrayType(TAG_REF)),
    opt(
        "tax",
        obj(
            req("id", String),
            req("rate", Decimal, "Fraction, e.g. 0.25 for 25 %."),
            req("type", String, "inclusive | exclusive | reverse"),
            req("amount", in_both_currencies("Tax amount", flat_too=True)),
            *opts(String, "code", "ingoingTaxAccount", "outgoingTaxAccount"),
        ),
    ),
)
ENTRY_TAG = obj(req("tagGroupId", String), opt("tagId", String))
