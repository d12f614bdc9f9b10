"""Postings (the three ``oneOf`` variants), failed postings and posting files, generated per index.

Postings live in "spaces": 0 = the historical postings of the seeded exports (index 0..scale-1), 1–3 = the
pool of exportable DOCUMENT / CARD_TRANSACTION / REIMBURSEMENT_ITEM entities that ``POST /exports``
snapshots. A posting's *core* (amount, currency, file count, invoice number and date, format) comes from a
keyed hash so ground-truth totals over 100,000 postings are cheap; the rest from
``random.Random(f"{seed}:{space stream}:{index}")``.
"""

from __future__ import annotations

import time
from typing import Any, NamedTuple

from ..framework.data import Draws, Rng, Weighted, record_rng, stable_uuid, stream_key
from ..framework.money import net_and_tax, number, split
from ..framework.pdf import content_stream_length, pdf_size_for_stream_length, tiny_pdf
from ..framework.timeutil import DAY_MS, HOUR_MS, MINUTE_MS, day_floor, iso_ms, iso_s
from .config import ARCHIVE_BASE
from .parties import Parties
from .postingfiles import decode_file_id, encode_file_id, file_name, german_amount, pdf_lines, xrechnung_xml
from .reference import (
    ACCOUNTING_AREAS,
    CARD_MERCHANTS,
    CARD_SETTINGS,
    COST_CENTERS,
    COST_OBJECTS,
    CREDIT_NOTE_TYPE,
    CURRENCIES,
    DOCUMENT_TYPES,
    EXTRA_COST_INFOS,
    FAILED_POSTING_ERRORS,
    GL_ACCOUNTS,
    GL_BY_CODE,
    GL_MILEAGE,
    GL_PER_DIEM,
    INVOICE_FORMATS,
    ITEM_NOTES,
    PAYMENT_CONDITIONS,
    POSTING_TEXTS,
    REIMBURSEMENT_REASONS,
    REIMBURSEMENT_TYPES,
    TAX_CODES,
)

ENTITY_TYPES = ("DOCUMENT", "CARD_TRANSACTION", "REIMBURSEMENT_ITEM")
SPACE_HISTORY = 0
POOL_SPACES = {"DOCUMENT": 1, "CARD_TRANSACTION": 2, "REIMBURSEMENT_ITEM": 3}
SPACE_STREAMS = {0: "postings", 1: "pool-DOCUMENT", 2: "pool-CARD_TRANSACTION", 3: "pool-REIMBURSEMENT_ITEM"}
CARD_CURRENCIES = Weighted([("EUR", 90), ("USD", 6), ("CHF", 4)])
SPLIT_COUNTS = Weighted([(1, 50), (2, 25), (3, 15), (4, 10)])
_GL_EXPENSES = tuple(GL_ACCOUNTS)
_QUANTITIES = (1, 2, 3, 4, 5, 10, 12, 20)


class PostingCore(NamedTuple):
    space: int
    index: int
    entity_type: str
    currency: str
    minor: int  # amount in cents (negative for credit notes)
    nfiles: int
    invoice_format: str
    invoice_id: str
    invoice_ms: int

    def file_type(self, position: int) -> str:
        if position == 0:
            return "XRECHNUNG" if self.invoice_format == "XRECHNUNG" else "INVOICE"
        return "AUDIT_TRAIL" if position == 1 else "ATTACHMENT"


class PostingFactory:
    def __init__(self, seed: int, parties: Parties, org_id: str, org_name: str) -> None:
        self.seed = seed
        self.parties = parties
        self.org_id = org_id
        self.org_name = org_name
        self.keys = {space: stream_key(seed, name) for space, name in SPACE_STREAMS.items()}
        self.file_prefix = str(10000 + stream_key(seed, "files") % 90000)
        self._stream_constants: dict[tuple[str, str], int] = {}

    # -- core ----------------------------------------------------------------------------------------
    def core(self, space: int, index: int, entity_type: str, ref_ms: int) -> PostingCore:
        d = Draws(self.keys[space], index)
        if entity_type == "DOCUMENT":
            currency = CURRENCIES.at(d.unit(1))
            minor = d.log_amount(2, 2_000, 2_500_000)
            if d.unit(3) < 0.03:
                minor = -minor  # credit note
            invoice_format = INVOICE_FORMATS.at(d.unit(4))
        elif entity_type == "CARD_TRANSACTION":
            currency = CARD_CURRENCIES.at(d.unit(1))
            minor = d.log_amount(2, 500, 200_000)
            invoice_format = "REGULAR"
        else:
            currency = "EUR"
            minor = d.log_amount(2, 500, 80_000)
            invoice_format = "REGULAR"
        invoice_ms = day_floor(ref_ms) - (1 + d.below(6, 45)) * DAY_MS
        year = time.gmtime(invoice_ms // 1000).tm_year
        n = d.below(7, 100_000)
        if entity_type == "DOCUMENT":
            invoice_id = (f"RE-{year}-{n:05d}", f"{year % 100:02d}{n:06d}", f"INV-{year}{n:05d}", f"R{n:06d}/{year}")[
                d.below(8, 4)
            ]
        elif entity_type == "CARD_TRANSACTION":
            invoice_id = f"KK-{year}-{n:06d}"
        else:
            invoice_id = f"BELEG-{year}-{n:05d}"
        return PostingCore(
            space, index, entity_type, currency, minor, 1 + d.below(5, 3), invoice_format, invoice_id, invoice_ms
        )

    # -- files ---------------------------------------------------------------------------------------
    def file_id(self, core: PostingCore, position: int) -> str:
        return encode_file_id(self.file_prefix, core.space, core.index, position)

    def decode_file_id(self, file_id: str) -> tuple[int, int, int] | None:
        return decode_file_id(self.file_prefix, file_id)

    def _file_name(self, core: PostingCore, position: int) -> str:
        return file_name(core.file_type(position), core.invoice_id, core.entity_type)

    def file_content(self, core: PostingCore, position: int) -> tuple[bytes, str, str]:
        """(bytes, media type, file name)."""
        ftype = core.file_type(position)
        name = self._file_name(core, position)
        fid = self.file_id(core, position)
        if ftype == "XRECHNUNG":
            return (
                xrechnung_xml(fid, core.invoice_id, core.invoice_ms, core.minor, core.currency, self.org_name),
                "application/xml",
                name,
            )
        amount_text = f"{german_amount(core.minor)} {core.currency}"
        return (
            tiny_pdf(pdf_lines(fid, ftype, name, core.invoice_id, amount_text, self.org_name)),
            "application/pdf",
            name,
        )

    def files_size(self, core: PostingCore) -> int:
        """Total bytes of all files of a posting, without building them.

        A PDF's size depends only on its content-stream length (see :func:`pdf_size`); for the ASCII lines
        of :func:`pdf_lines` that is a per-file-type constant plus the lengths of the invoice number (twice:
        number line and file name) and of the amount text. Checked against the real files in the tests.
        """
        total = 0
        variable = 2 * len(core.invoice_id) + len(german_amount(core.minor)) + 1 + len(core.currency)
        for position in range(core.nfiles):
            ftype = core.file_type(position)
            if ftype == "XRECHNUNG":
                total += len(self.file_content(core, position)[0])
            else:
                total += pdf_size_for_stream_length(self._stream_constant(ftype, core.entity_type) + variable)
        return total

    def _stream_constant(self, file_type: str, entity_type: str) -> int:
        key = (file_type, entity_type)
        if key not in self._stream_constants:
            lines = pdf_lines("0" * 16, file_type, file_name(file_type, "", entity_type), "", "", self.org_name)
            self._stream_constants[key] = content_stream_length(lines)
        return self._stream_constants[key]

    # -- full records --------------------------------------------------------------------------------
    def posting(self, core: PostingCore, base_url: str) -> dict[str, Any]:
        rng = record_rng(self.seed, SPACE_STREAMS[core.space], core.index)
        guid = rng.uuid()
        files_url = f"{base_url}/v1/organizations/{self.org_id}/files/"
        files = []
        for position in range(core.nfiles):
            fid = self.file_id(core, position)
            files.append(
                {
                    "id": fid,
                    "url": files_url + fid,
                    "name": self._file_name(core, position),
                    "type": core.file_type(position),
                }
            )
        record: dict[str, Any] = {
            "id": rng.uuid(),
            "entityGuid": guid,
            "type": core.entity_type,
            "status": "EXPORTED",
            "amount": {"value": number(core.minor), "currencyCode": core.currency},
            "invoiceId": core.invoice_id,
            "invoiceDate": iso_s(core.invoice_ms),
            "url": f"{ARCHIVE_BASE}/{self.org_id}/archive/{guid}",
            "files": files,
        }
        if core.entity_type == "REIMBURSEMENT_ITEM":
            self._reimbursement_fields(rng, core, record)
        else:
            self._document_fields(rng, core, record)
        return record

    def _document_fields(self, rng: Rng, core: PostingCore, record: dict[str, Any]) -> None:
        card = core.entity_type == "CARD_TRANSACTION"
        supplier = self.parties.suppliers[int(rng.random() * len(self.parties.suppliers))]
        has_po = not card and rng.chance(0.3)
        po_number = f"PO-{time.gmtime(core.invoice_ms // 1000).tm_year}-{rng.between(1, 9999):04d}" if has_po else None
        # Optional fields the OpenAPI does not mark `nullable` are left out when there is no value (never null).
        if card:
            settlement = rng.chance(0.1)
            record["type"] = "CARD_SETTLEMENT" if settlement else "CARD_TRANSACTION"
            name = (
                "Kreditkartenabrechnung Candis Card"
                if settlement
                else CARD_MERCHANTS[int(rng.random() * len(CARD_MERCHANTS))]
            )
            record["contact"] = {"accountsPayableNumber": "70999", "name": name} if settlement else {"name": name}
            gl_default = "6650" if not settlement else "6300"
        else:
            contact = {"accountsPayableNumber": supplier.accounts_payable_number, "name": supplier.name}
            if supplier.accounts_receivable_number is not None:
                contact["accountsReceivableNumber"] = supplier.accounts_receivable_number
            record["contact"] = contact
            gl_default = supplier.gl_code
        if has_po:
            record["purchaseOrder"] = {"orderNumber": po_number}
        area = ACCOUNTING_AREAS[0] if rng.random() < 0.9 else ACCOUNTING_AREAS[1]
        if rng.chance(0.6):
            record["accountingArea"] = {"name": area[0], "description": area[1]}
        if rng.chance(0.7):
            record["deliveryDate"] = iso_s(core.invoice_ms - rng.between(0, 10) * DAY_MS)
        condition = PAYMENT_CONDITIONS[int(rng.random() * len(PAYMENT_CONDITIONS))]
        record["dueDate"] = iso_s(core.invoice_ms + condition[3] * DAY_MS)
        record["invoiceFormat"] = core.invoice_format
        if condition[1] and not card:
            record["paymentCondition"] = {
                "name": condition[0],
                "discountPercentage": condition[1],
                "discountPaymentDate": iso_s(core.invoice_ms + condition[2] * DAY_MS),
            }
        elif not card:
            # `discountPercentage` is nullable in the OpenAPI, `discountPaymentDate` is not (so: absent).
            record["paymentCondition"] = {"name": condition[0], "discountPercentage": None}
        if card:
            record["documentType"] = (
                "Kreditkartenabrechnung" if record["type"] == "CARD_SETTLEMENT" else "Kreditkartenbeleg"
            )
            record["creditCardSettings"] = {"bookingAccount": CARD_SETTINGS[0], "transitAccount": CARD_SETTINGS[1]}
            # The OpenAPI's only payment method for card postings is CARD_TRANSACTION.
            record["payment"] = {
                "method": "CARD_TRANSACTION",
                "paidAt": iso_ms(core.invoice_ms + rng.between(8, 20) * HOUR_MS + rng.between(0, 59) * MINUTE_MS),
            }
        else:
            record["documentType"] = CREDIT_NOTE_TYPE if core.minor < 0 else DOCUMENT_TYPES.pick(rng)
        record["splitPostings"] = self._splits(rng, core, gl_default, po_number)

    def _reimbursement_fields(self, rng: Rng, core: PostingCore, record: dict[str, Any]) -> None:
        employee = self.parties.employees[int(rng.random() * len(self.parties.employees))]
        rtype = REIMBURSEMENT_TYPES[int(rng.random() * len(REIMBURSEMENT_TYPES))]
        reason = (
            f"{rng.pick(REIMBURSEMENT_REASONS)} {rng.pick(['Berlin', 'München', 'Hamburg', 'Köln', 'Wien', 'Zürich'])}"
        )
        month = time.strftime("%m/%Y", time.gmtime(core.invoice_ms // 1000))
        record["reason"] = reason
        record["reimbursementType"] = rtype
        record["employee"] = {"name": employee.name, "accountsPayableNumber": employee.accounts_payable_number}
        record["reimbursementDate"] = iso_s(core.invoice_ms + rng.between(3, 20) * DAY_MS)
        record["reimbursementCase"] = {
            "id": stable_uuid(self.seed, "case", employee.id, month),
            "title": f"Auslagen {month} – {employee.name}",
        }
        gl = {"PER_DIEM": GL_PER_DIEM[0], "MILEAGE": GL_MILEAGE[0]}.get(rtype, "6650")
        record["splitPostings"] = self._splits(rng, core, gl, None, vat=0 if rtype in ("PER_DIEM", "MILEAGE") else None)

    def _splits(
        self, rng: Rng, core: PostingCore, gl_default: str, po_number: str | None, vat: int | None = None
    ) -> list[dict[str, Any]]:
        rnd = rng.random  # hot path (thousands of postings per response): plain draws, local names
        count = SPLIT_COUNTS.at(rnd())
        amounts = split(core.minor, count, rng, min_part=100 if abs(core.minor) >= 100 * count else 1)
        out = []
        last = len(amounts) - 1
        for k, amount in enumerate(amounts):
            if k == 0 and gl_default in GL_BY_CODE:
                code, _, rate = GL_BY_CODE[gl_default]
            elif k == 0:
                code, rate = gl_default, 19
            else:
                code, _, rate = _GL_EXPENSES[int(rnd() * len(_GL_EXPENSES))]
            if vat is not None:
                rate = vat
            net, tax = net_and_tax(amount, rate)
            quantity = 1
            for q in (_QUANTITIES[int(rnd() * len(_QUANTITIES))], 2, 5):
                if abs(net) % q == 0:
                    quantity = q
                    break
            delivery_cost = count > 1 and k == last and rnd() < 0.15
            cost_center = COST_CENTERS[int(rnd() * len(COST_CENTERS))][0]
            cost_object = COST_OBJECTS[int(rnd() * len(COST_OBJECTS))][0] if rnd() < 0.35 else None
            note = ITEM_NOTES[int(rnd() * len(ITEM_NOTES))]
            text = POSTING_TEXTS[int(rnd() * len(POSTING_TEXTS))]
            split_posting: dict[str, Any] = {
                "amount": number(amount),
                "generalLedgerAccount": code,
            }
            if note:
                split_posting["note"] = note
            split_posting.update(
                {
                    "postingText": f"{text} {core.invoice_id}",
                    "unitPrice": number(net // quantity),
                    "quantity": quantity,
                    "netAmount": number(net),
                    "taxAmount": number(tax),
                    "type": "ADDITIONAL_DELIVERY_COST" if delivery_cost else "ITEM",
                    "costCenter": {"code": cost_center},
                }
            )
            if cost_object:
                split_posting["costObject"] = {"code": cost_object}
            if rnd() < 0.1:
                split_posting["customCostDimension"] = {"code": f"CCD-{1 + int(rnd() * 9):02d}"}
            split_posting["bookingKey"] = {"taxCode": TAX_CODES[rate][0]}
            # Element shapes as in the OpenAPI: the purchase-order line this split books (`lineNumber` is the
            # order line, `itemNumber` the article) and, for goods already received, the goods-receipt line.
            # `locationCode` / `externalLineId` are nullable there: set for some, null for the others.
            order_line: dict[str, Any] | None = None
            if po_number:
                item_number = f"ART-{10000 + int(rnd() * 90000)}"
                location = "LAGER-01" if rnd() < 0.4 else None
                order_line = {
                    "orderNumber": po_number,
                    "lineNumber": k + 1,
                    "itemNumber": item_number,
                    "locationCode": location,
                    "externalLineId": f"{po_number}/{k + 1}" if rnd() < 0.3 else None,
                }
            split_posting["purchaseOrderMetadata"] = [order_line] if order_line else []
            split_posting["goodsReceiptMetadata"] = (
                [
                    {
                        "receiptNumber": f"WE-{1 + int(rnd() * 99999):05d}",
                        "lineNumber": k + 1,
                        "itemNumber": order_line["itemNumber"],
                        "locationCode": order_line["locationCode"],
                        "externalLineId": None,
                    }
                ]
                if order_line and rnd() < 0.6
                else []
            )
            split_posting["additionalDeliveryCostsMetadata"] = (
                [{"code": EXTRA_COST_INFOS[int(rnd() * len(EXTRA_COST_INFOS))][0]}] if delivery_cost else []
            )
            out.append(split_posting)
        return out

    # -- failed postings ------------------------------------------------------------------------------
    def failed_posting(self, export_key: str, position: int) -> dict[str, Any]:
        rng = record_rng(self.seed, "failed_postings", f"{export_key}:{position}")
        # The OpenAPI's failed posting is {id*, entityId, errorCode*}; nothing more.
        return {
            "id": rng.uuid(),
            "entityId": rng.uuid(),
            "errorCode": FAILED_POSTING_ERRORS[0] if rng.random() < 0.8 else FAILED_POSTING_ERRORS[1],
        }
