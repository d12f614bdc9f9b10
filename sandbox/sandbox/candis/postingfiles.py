"""Posting files: ids that encode where they belong, and their deterministic content (PDF or XRechnung XML).

A file id is 16 digits: a 5-digit per-seed prefix, the posting space (0 = historical postings, 1–3 = the
exportable pool of DOCUMENT / CARD_TRANSACTION / REIMBURSEMENT_ITEM entities), the 9-digit posting index and
the file's position in the posting. ``GET /files/{id}`` decodes it instead of keeping a table of files.
Content depends only on the posting's cheap core, so sizes can be totalled fast for the ground truth.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from ..framework.money import decimal_str
from ..framework.timeutil import iso_date


def encode_file_id(prefix: str, space: int, index: int, position: int) -> str:
    return f"{prefix}{space}{index:09d}{position}"


def decode_file_id(prefix: str, file_id: str) -> tuple[int, int, int] | None:
    if len(file_id) != 16 or not file_id.isdigit() or not file_id.startswith(prefix):
        return None
    return int(file_id[5]), int(file_id[6:15]), int(file_id[15])


def file_name(file_type: str, invoice_id: str, entity_type: str) -> str:
    safe = invoice_id.replace("/", "-")
    if file_type == "XRECHNUNG":
        return f"{safe}_xrechnung.xml"
    if file_type == "AUDIT_TRAIL":
        return f"Audit-Trail_{safe}.pdf"
    if file_type == "ATTACHMENT":
        return f"Anhang_{safe}.pdf"
    if entity_type == "REIMBURSEMENT_ITEM":
        return f"Beleg_{safe}.pdf"
    if entity_type == "CARD_TRANSACTION":
        return f"Kartenbeleg_{safe}.pdf"
    return f"Rechnung_{safe}.pdf"


def german_amount(minor: int) -> str:
    text = decimal_str(abs(minor))
    whole, frac = text.split(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return ("-" if minor < 0 else "") + ".".join(groups) + "," + frac


_LABELS = {"INVOICE": "Rechnung", "AUDIT_TRAIL": "Audit-Trail", "ATTACHMENT": "Anhang"}


def pdf_lines(file_id: str, file_type: str, name: str, invoice_id: str, amount_text: str, org_name: str) -> list[str]:
    """The text of a posting file's PDF; ``amount_text`` e.g. ``"1.234,56 EUR"``."""
    return [
        f"{org_name} - Candis Sandbox - {_LABELS.get(file_type, file_type)}",
        f"Belegnummer: {invoice_id}",
        f"Betrag: {amount_text}",
        f"Datei: {name}",
        f"Datei-ID: {file_id}",
    ]


def xrechnung_xml(file_id: str, invoice_id: str, issue_ms: int, minor: int, currency: str, buyer: str) -> bytes:
    """A small UBL 2.1 invoice in the XRechnung 3.0 profile (enough to look and parse like one)."""
    amount = decimal_str(minor)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<ubl:Invoice xmlns:ubl="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"'
        ' xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"'
        ' xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">\n'
        "  <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0</cbc:CustomizationID>\n"
        "  <cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>\n"
        f"  <cbc:ID>{escape(invoice_id)}</cbc:ID>\n"
        f"  <cbc:IssueDate>{iso_date(issue_ms)}</cbc:IssueDate>\n"
        f"  <cbc:InvoiceTypeCode>{'381' if minor < 0 else '380'}</cbc:InvoiceTypeCode>\n"
        f"  <cbc:DocumentCurrencyCode>{currency}</cbc:DocumentCurrencyCode>\n"
        f"  <cbc:Note>Candis sandbox file {file_id}</cbc:Note>\n"
        "  <cac:AccountingCustomerParty><cac:Party><cac:PartyLegalEntity>"
        f"<cbc:RegistrationName>{escape(buyer)}</cbc:RegistrationName>"
        "</cac:PartyLegalEntity></cac:Party></cac:AccountingCustomerParty>\n"
        "  <cac:LegalMonetaryTotal>\n"
        f'    <cbc:PayableAmount currencyID="{currency}">{amount}</cbc:PayableAmount>\n'
        "  </cac:LegalMonetaryTotal>\n"
        "</ubl:Invoice>\n"
    ).encode()
