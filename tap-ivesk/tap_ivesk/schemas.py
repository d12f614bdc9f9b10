"""Record schemas, field names exactly as Įvesk sends them (the vendor's lowercase export names)."""

from __future__ import annotations

from singer_sdk import typing as th

from tapkit.files import stored_file_properties

S, D, I, B, DT = th.StringType, th.DecimalType, th.IntegerType, th.BooleanType, th.DateTimeType


def _minor(field: str) -> th.Property:
    return th.Property(f"{field}Minor", I, description=f"Derived by the tap: `{field}` as an exact integer in minor "
                       "units (cents) of `currency`. Sum this column in warehouses that store JSON numbers as DOUBLE.")


LINE = th.ObjectType(
    th.Property("lineid", I, description="Line number on the document."),
    th.Property("code", S, description="Item code."),
    th.Property("name", S),
    th.Property("unit", S, description="Unit of measure, e.g. vnt., kg, val., mėn."),
    th.Property("quantity", D),
    th.Property("price", D, description="Unit price without VAT (major units, exact decimal)."),
    th.Property("subtotal", D, description="Line amount without VAT (major units, exact decimal)."),
    _minor("subtotal"),
    th.Property("vat", D, description="Line VAT (major units)."),
    _minor("vat"),
    th.Property("vatpercent", D, description="VAT rate in percent."),
    th.Property("total", D, description="Line amount with VAT (major units)."),
    _minor("total"),
    th.Property("vatclass", S, description="Lithuanian VAT classifier (PVM1 = 21 %, PVM2 = 9 %, PVM3 = 5 %, PVM5 = 0 %...)."),
    th.Property("warehouse", S),
    th.Property("object", S),
    th.Property("allocation", S, description="Expense allocation code (see the `columns` stream)."),
)

SOURCEDATA = th.ObjectType(
    th.Property("id", S, description="Your id for the uploaded file, as given at upload (`sourcedata.id`)."),
    th.Property("customdata", S, description="Free text given at upload."),
    th.Property("raw", S, description="Set by the tap only when Įvesk sent `sourcedata` as the base64 text."),
)

DOCUMENT = th.PropertiesList(
    th.Property("id", S, required=True, description="Document id (UUID)."),
    th.Property("companycode", S, description="Company code of the Įvesk company the document belongs to."),
    th.Property("doctype", S, description="e.g. invoice, creditinvoice, receipt."),
    th.Property("date", S, description="Document date (YYYY-MM-DD)."),
    th.Property("operationdate", S),
    th.Property("duedate", S),
    th.Property("paymentterm", I, description="Days."),
    th.Property("docnum", S, description="Document number (series and number)."),
    th.Property("ordernum", S),
    th.Property("subtotal", D, description="Amount without VAT, major units of `currency` (exact decimal)."),
    _minor("subtotal"),
    th.Property("vat", D, description="VAT amount, major units (exact decimal)."),
    _minor("vat"),
    th.Property("total", D, description="Amount with VAT, major units (exact decimal)."),
    _minor("total"),
    th.Property("currency", S, description="ISO 4217 currency code."),
    th.Property("url", S, description="Presigned URL of the PDF (temporary; needs no API key)."),
    th.Property("filename", S),
    th.Property("report2isaf", B, description="Whether the document goes to the i.SAF VAT register."),
    th.Property("separatevat", B),
    th.Property("sellerid", S), th.Property("sellercode", S), th.Property("sellervat", S),
    th.Property("sellername", S), th.Property("sellernameascii", S), th.Property("selleraddress", S),
    th.Property("sellerisperson", B), th.Property("sellercountry", S, description="ISO 3166 alpha-2, lower case."),
    th.Property("selleriban", S), th.Property("sellerisfavorite", B),
    th.Property("buyerid", S), th.Property("buyercode", S), th.Property("buyervat", S),
    th.Property("buyername", S), th.Property("buyernameascii", S), th.Property("buyeraddress", S),
    th.Property("buyerisperson", B), th.Property("buyercountry", S), th.Property("buyerisfavorite", B),
    th.Property("hasreceipt", B),
    th.Property("tags", th.ArrayType(S)),
    th.Property("sourcedata", SOURCEDATA, description="What the uploader attached to the file (`sourcedata` at upload)."),
    th.Property("userdata", S, description="Older upload parameter, echoed back as given."),
    th.Property("lines", th.ArrayType(LINE), description="Document lines (Įvesk may call them `line`; the tap names them `lines`)."),
    th.Property("digitizedat", DT, description="When digitization finished (UTC); the `digitized` queue's order."),
    th.Property("exportedat", DT, description="When the accountant exported it (UTC); the `exported` queue's order."),
).to_dict()

COLUMN_ITEM = th.PropertiesList(
    th.Property("companyCode", S, required=True, description="Added by the tap: the company the list belongs to."),
    th.Property("column", S, required=True, description="Added by the tap: the list name (allocation, department, ...)."),
    th.Property("code", S, required=True),
    th.Property("description", S),
    th.Property("modifiedat", DT, description="Last change (UTC); the replication key."),
).to_dict()

FILE = th.PropertiesList(
    th.Property("id", S, required=True, description="The document id (one PDF per document)."),
    th.Property("ownerStream", S, description="Always `documents`."),
    th.Property("ownerId", S, description="The document id."),
    th.Property("name", S, description="File name stored (the document's `filename` or `<id>.pdf`)."),
    th.Property("contentType", S),
    *stored_file_properties(),
).to_dict()
