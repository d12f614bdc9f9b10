"""Record schemas, field names exactly as Įvesk sends them (the vendor's lowercase export names)."""

from __future__ import annotations

from singer_sdk import typing as th
from tapkit.files import stored_file_properties
from tapkit.schema import Boolean, DateTime, Decimal, Integer, String


def _minor(field: str) -> th.Property:
    return th.Property(
        f"{field}Minor",
        Integer,
        description=f"Derived by the tap: `{field}` as an exact integer in minor "
        "units (cents) of `currency`. Sum this column in warehouses that store JSON numbers as DOUBLE.",
    )


LINE = th.ObjectType(
    th.Property("lineid", Integer, description="Line number on the document."),
    th.Property("code", String, description="Item code."),
    th.Property("name", String),
    th.Property("unit", String, description="Unit of measure, e.g. vnt., kg, val., mėn."),
    th.Property("quantity", Decimal),
    th.Property("price", Decimal, description="Unit price without VAT (major units, exact decimal)."),
    th.Property("subtotal", Decimal, description="Line amount without VAT (major units, exact decimal)."),
    _minor("subtotal"),
    th.Property("vat", Decimal, description="Line VAT (major units)."),
    _minor("vat"),
    th.Property("vatpercent", Decimal, description="VAT rate in percent."),
    th.Property("total", Decimal, description="Line amount with VAT (major units)."),
    _minor("total"),
    th.Property(
        "vatclass",
        String,
        description="Lithuanian VAT classifier (PVM1 = 21 %, PVM2 = 9 %, PVM3 = 5 %, PVM5 = 0 %...).",
    ),
    th.Property("warehouse", String),
    th.Property("object", String),
    th.Property("allocation", String, description="Expense allocation code (see the `columns` stream)."),
)

SOURCEDATA = th.ObjectType(
    th.Property("id", String, description="Your id for the uploaded file, as given at upload (`sourcedata.id`)."),
    th.Property("customdata", String, description="Free text given at upload."),
    th.Property("raw", String, description="Set by the tap only when Įvesk sent `sourcedata` as the base64 text."),
)

DOCUMENT = th.PropertiesList(
    th.Property("id", String, required=True, description="Document id (UUID)."),
    th.Property("companycode", String, description="Company code of the Įvesk company the document belongs to."),
    th.Property("doctype", String, description="e.g. invoice, creditinvoice, receipt."),
    th.Property("date", String, description="Document date (YYYY-MM-DD)."),
    th.Property("operationdate", String),
    th.Property("duedate", String),
    th.Property("paymentterm", Integer, description="Days."),
    th.Property("docnum", String, description="Document number (series and number)."),
    th.Property("ordernum", String),
    th.Property("subtotal", Decimal, description="Amount without VAT, major units of `currency` (exact decimal)."),
    _minor("subtotal"),
    th.Property("vat", Decimal, description="VAT amount, major units (exact decimal)."),
    _minor("vat"),
    th.Property("total", Decimal, description="Amount with VAT, major units (exact decimal)."),
    _minor("total"),
    th.Property("currency", String, description="ISO 4217 currency code."),
    th.Property("url", String, description="Presigned URL of the PDF (temporary; needs no API key)."),
    th.Property("filename", String),
    th.Property("report2isaf", Boolean, description="Whether the document goes to the i.SAF VAT register."),
    th.Property("separatevat", Boolean),
    th.Property("sellerid", String),
    th.Property("sellercode", String),
    th.Property("sellervat", String),
    th.Property("sellername", String),
    th.Property("sellernameascii", String),
    th.Property("selleraddress", String),
    th.Property("sellerisperson", Boolean),
    th.Property("sellercountry", String, description="ISO 3166 alpha-2, lower case."),
    th.Property("selleriban", String),
    th.Property("sellerisfavorite", Boolean),
    th.Property("buyerid", String),
    th.Property("buyercode", String),
    th.Property("buyervat", String),
    th.Property("buyername", String),
    th.Property("buyernameascii", String),
    th.Property("buyeraddress", String),
    th.Property("buyerisperson", Boolean),
    th.Property("buyercountry", String),
    th.Property("buyerisfavorite", Boolean),
    th.Property("hasreceipt", Boolean),
    th.Property("tags", th.ArrayType(String)),
    th.Property(
        "sourcedata", SOURCEDATA, description="What the uploader attached to the file (`sourcedata` at upload)."
    ),
    th.Property("userdata", String, description="Older upload parameter, echoed back as given."),
    th.Property(
        "lines",
        th.ArrayType(LINE),
        description="Document lines (Įvesk may call them `line`; the tap names them `lines`).",
    ),
    th.Property(
        "digitizedat", DateTime, description="When digitization finished (UTC); the `digitized` queue's order."
    ),
    th.Property(
        "exportedat", DateTime, description="When the accountant exported it (UTC); the `exported` queue's order."
    ),
).to_dict()

COLUMN_ITEM = th.PropertiesList(
    th.Property("companyCode", String, required=True, description="Added by the tap: the company the list belongs to."),
    th.Property(
        "column", String, required=True, description="Added by the tap: the list name (allocation, department, ...)."
    ),
    th.Property("code", String, required=True),
    th.Property("description", String),
    th.Property("modifiedat", DateTime, description="Last change (UTC); the replication key."),
).to_dict()

FILE = th.PropertiesList(
    th.Property("id", String, required=True, description="The document id (one PDF per document)."),
    th.Property("ownerStream", String, description="Always `documents`."),
    th.Property("ownerId", String, description="The document id."),
    th.Property("name", String, description="File name stored (the document's `filename` or `<id>.pdf`)."),
    th.Property("contentType", String),
    *stored_file_properties(),
).to_dict()
