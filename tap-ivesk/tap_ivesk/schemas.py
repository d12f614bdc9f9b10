"""Record schemas, field names exactly as Įvesk sends them (the vendor's lowercase export names)."""

from __future__ import annotations

from singer_sdk import typing as th
from tapkit.files import stored_file_properties
from tapkit.schema import Boolean, DateTime, Decimal, Integer, String, opt, opts, req
from tapkit.tenant import tenant_property


def _amount(field: str, description: str) -> tuple[th.Property, th.Property]:
    """An amount as Įvesk sends it (major units) and, beside it, the tap's exact integer minor units."""
    minor = (
        f"Derived by the tap: `{field}` as an exact integer in minor units (cents) of `currency`. Sum this column "
        "in warehouses that store JSON numbers as DOUBLE."
    )
    return opt(field, Decimal, description), opt(f"{field}Minor", Integer, minor)


def _party(role: str, *, country: str | None = None, iban: bool = False) -> list[th.Property]:
    """The seller's or the buyer's fields (`sellername`, `buyervat`, ...)."""
    return [
        *opts(String, *(role + f for f in ("id", "code", "vat", "name", "nameascii", "address"))),
        opt(f"{role}isperson", Boolean),
        opt(f"{role}country", String, country),
        *([opt(f"{role}iban", String)] if iban else []),
        opt(f"{role}isfavorite", Boolean),
    ]


LINE = th.ObjectType(
    opt("lineid", Integer, "Line number on the document."),
    opt("code", String, "Item code."),
    opt("name", String),
    opt("unit", String, "Unit of measure, e.g. vnt., kg, val., mėn."),
    opt("quantity", Decimal),
    opt("price", Decimal, "Unit price without VAT (major units, exact decimal)."),
    *_amount("subtotal", "Line amount without VAT (major units, exact decimal)."),
    *_amount("vat", "Line VAT (major units)."),
    opt("vatpercent", Decimal, "VAT rate in percent."),
    *_amount("total", "Line amount with VAT (major units)."),
    opt("vatclass", String, "Lithuanian VAT classifier (PVM1 = 21 %, PVM2 = 9 %, PVM3 = 5 %, PVM5 = 0 %...)."),
    *opts(String, "warehouse", "object"),
    opt("allocation", String, "Expense allocation code (see the `columns` stream)."),
)

SOURCEDATA = th.ObjectType(
    opt("id", String, "Your id for the uploaded file, as given at upload (`sourcedata.id`)."),
    opt("customdata", String, "Free text given at upload."),
    opt("raw", String, "Set by the tap only when Įvesk sent `sourcedata` as the base64 text."),
)

DOCUMENT = th.PropertiesList(
    req("id", String, "Document id (UUID)."),
    opt("companycode", String, "Company code of the Įvesk company the document belongs to."),
    opt("doctype", String, "e.g. invoice, creditinvoice, receipt."),
    opt("date", String, "Document date (YYYY-MM-DD)."),
    *opts(String, "operationdate", "duedate"),
    opt("paymentterm", Integer, "Days."),
    opt("docnum", String, "Document number (series and number)."),
    opt("ordernum", String),
    *_amount("subtotal", "Amount without VAT, major units of `currency` (exact decimal)."),
    *_amount("vat", "VAT amount, major units (exact decimal)."),
    *_amount("total", "Amount with VAT, major units (exact decimal)."),
    opt("currency", String, "ISO 4217 currency code."),
    opt("url", String, "Presigned URL of the PDF (temporary; needs no API key)."),
    opt("filename", String),
    opt("report2isaf", Boolean, "Whether the document goes to the i.SAF VAT register."),
    opt("separatevat", Boolean),
    *_party("seller", country="ISO 3166 alpha-2, lower case.", iban=True),
    *_party("buyer"),
    opt("hasreceipt", Boolean),
    opt("tags", th.ArrayType(String)),
    opt("sourcedata", SOURCEDATA, "What the uploader attached to the file (`sourcedata` at upload)."),
    opt("userdata", String, "Older upload parameter, echoed back as given."),
    opt("lines", th.ArrayType(LINE), "Document lines (Įvesk may call them `line`; the tap names them `lines`)."),
    opt("digitizedat", DateTime, "When digitization finished (UTC); the `digitized` queue's order."),
    opt("exportedat", DateTime, "When the accountant exported it (UTC); the `exported` queue's order."),
).to_dict()

COLUMN_ITEM = th.PropertiesList(
    req("companyCode", String, "Added by the tap: the company the list belongs to."),
    req("column", String, "Added by the tap: the list name (allocation, department, ...)."),
    req("code", String),
    opt("description", String),
    opt("modifiedat", DateTime, "Last change (UTC); the replication key."),
).to_dict()

FILE = th.PropertiesList(
    req("id", String, "The document id (one PDF per document)."),
    tenant_property("companycode", "the `companycode` of the document the PDF belongs to", required=False),
    opt("ownerStream", String, "Always `documents`."),
    opt("ownerId", String, "The document id."),
    opt("name", String, "File name stored (the document's `filename` or `<id>.pdf`)."),
    opt("contentType", String),
    *stored_file_properties(),
).to_dict()
