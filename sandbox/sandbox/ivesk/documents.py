"""Digitized documents, generated per index: a cheap *core* (id, company, amounts, currency) from a keyed
hash, so queue paging and ground-truth totals over 100,000 documents stay fast, and the rest (parties, dates,
lines) from ``random.Random(f"{seed}:{space}:{index}")``.

Two spaces: ``seed`` (the account's history, index 0..scale-1) and ``upload`` (files uploaded through the API
while the sandbox runs, index = upload number). Field names are the vendor's lowercase export names.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ..framework.data import Draws, MonotonicSchedule, Weighted, record_rng, stream_key
from ..framework.money import decimal_str, net_and_tax, number, split
from ..framework.pdf import pdf_size, tiny_pdf
from ..framework.timeutil import DAY_MS, HOUR_MS, iso_date, iso_ms, ms_of
from .parties import COMPANIES, SUPPLIER_COUNT, Party, company_shares, nameascii, supplier

DOCTYPES = Weighted([("invoice", 86), ("creditinvoice", 4), ("receipt", 10)])
CURRENCIES = Weighted([("EUR", 95), ("USD", 3), ("PLN", 2)])
VAT_RATES = Weighted([(21, 80), (9, 8), (5, 4), (0, 8)])
VAT_CLASSES = {21: "PVM1", 9: "PVM2", 5: "PVM3", 0: "PVM5"}  # Lithuanian i.SAF VAT classifier codes
LINE_COUNTS = Weighted([(1, 40), (2, 25), (3, 15), (4, 10), (6, 6), (9, 4)])
ITEMS = (
    ("Kuras (dyzelinas)", "l"),
    ("Biuro popierius A4", "pak."),
    ("Transporto paslaugos", "vnt."),
    ("Buhalterinės paslaugos", "mėn."),
    ("Patalpų nuoma", "mėn."),
    ("Elektros energija", "kWh"),
    ("Programinės įrangos licencija", "vnt."),
    ("Kompiuterių remontas", "val."),
    ("Kavos pupelės", "kg"),
    ("Reklamos paslaugos", "vnt."),
    ("Mobilaus ryšio paslaugos", "mėn."),
    ("Kurjerio paslaugos", "vnt."),
    ("Darbo drabužiai", "vnt."),
    ("Valymo paslaugos", "val."),
    ("Spausdinimo paslaugos", "vnt."),
)
PREFIXES = ("SF", "PVM", "BAL", "NEM", "VLN", "KLP", "INV", "SAS")
PAYMENT_TERMS = (0, 7, 14, 14, 30, 30, 30, 45, 60)
QUANTITIES = (1, 1, 1, 2, 3, 4, 5, 10, 12, 25)

# Seeded history: digitized between these dates, exported (by the accountant) some hours to days later.
SEED_START = ms_of(2025, 1, 1)
SEED_END = ms_of(2026, 10, 31)
EXPORT_LAG = 6 * HOUR_MS
WAITING_SHARE = 10  # percent: the newest seeded documents the accountant has not exported yet


class DocCore(NamedTuple):
    space: str
    index: int
    id: str
    companycode: str
    doctype: str
    currency: str
    vatpercent: int
    subtotal: int  # minor units
    vat: int
    total: int
    supplier: int
    nlines: int
    docnum: str


def _uuid(a: int, b: int) -> str:
    n = ((a << 64) | b) & ((1 << 128) - 1)
    n = (n & ~((0xF000 << 64) | (0xC000 << 48))) | (0x4000 << 64) | (0x8000 << 48)
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class CoreFactory:
    """Document cores of one seed, spread over the account's client ``companies`` by their shares."""

    def __init__(self, seed: int, companies: tuple[Party, ...] = COMPANIES) -> None:
        self.seed = seed
        self.keys = {space: stream_key(seed, f"ivesk-{space}") for space in ("seed", "upload")}
        self.weights = Weighted([(c.code, w) for c, w in zip(companies, company_shares(len(companies)), strict=True)])

    def core(self, space: str, index: int) -> DocCore:
        d = Draws(self.keys[space], index)
        doctype = d.weighted(3, DOCTYPES)
        currency = d.weighted(4, CURRENCIES)
        rate = d.weighted(5, VAT_RATES)
        hi = 30_000 if doctype == "receipt" else 2_500_000
        gross = d.log_amount(6, 150, hi)
        if doctype == "creditinvoice":
            gross = -gross
        net, tax = net_and_tax(gross, rate)
        number_ = d.between(9, 100, 99999)
        docnum = (
            f"{d.pick(10, PREFIXES)} {number_:05d}"
            if d.unit(11) < 0.7
            else f"{d.pick(10, PREFIXES)}-{2025 + d.below(12, 2)}/{number_}"
        )
        return DocCore(
            space,
            index,
            _uuid(d.u64(1), d.u64(2)),
            d.weighted(13, self.weights),
            doctype,
            currency,
            rate,
            net,
            tax,
            gross,
            d.below(7, SUPPLIER_COUNT),
            d.weighted(8, LINE_COUNTS),
            docnum,
        )


class SeedTimeline:
    """When seeded document ``i`` was digitized and (if it was) exported; both never decrease with ``i``.

    Exports happen in sessions (the accountant clicks Export for a batch), so exported timestamps are
    rounded up to a session boundary and several documents share one ``exportedat`` — ties a client must
    handle at page and run boundaries.
    """

    def __init__(self, seed: int, n: int) -> None:
        self.n = n
        self.key = stream_key(seed, "ivesk-timeline")
        self.schedule = MonotonicSchedule(self.key, n, SEED_START, SEED_END)
        gap = (SEED_END - SEED_START) // max(n, 1)
        self.session = min(max(4 * gap, HOUR_MS), 7 * DAY_MS)
        self.cutoff = n - (n * WAITING_SHARE) // 100

    def digitized_ms(self, i: int) -> int:
        return self.schedule.created(i)

    def export_candidate_ms(self, i: int) -> int:
        raw = self.schedule.updated(i, EXPORT_LAG)
        return -(-raw // self.session) * self.session + 313  # sessions end at :00:00.313

    def is_exported(self, i: int) -> bool:
        return i < self.cutoff and Draws(self.key, i).unit(21) < 0.96


def pdf_lines(core: DocCore, company: Party) -> list[str]:
    """The text of a seeded document's PDF (``company``: its buyer, the client company)."""
    return [
        f"{nameascii(company.name)} - Ivesk.lt sandbox",
        f"Saskaita faktura {core.docnum}",
        f"Suma: {decimal_str(core.total)} {core.currency}",
        f"Dokumento ID: {core.id}",
    ]


def seeded_pdf(core: DocCore, company: Party) -> bytes:
    return tiny_pdf(pdf_lines(core, company))


def seeded_pdf_size(core: DocCore, company: Party) -> int:
    return pdf_size(pdf_lines(core, company))


def _line_quantity(subtotal: int, rng: Any) -> int:
    for _ in range(3):
        q = rng.pick(QUANTITIES)
        if subtotal % q == 0:
            return q
    return 1


def document(
    core: DocCore,
    buyer: Party,
    seed: int,
    digitized_ms: int,
    exported_ms: int | None,
    upload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The document as the queues send it (without ``url``, which the route presigns per response);
    ``buyer`` is the client company of ``core.companycode``."""
    rng = record_rng(seed, f"ivesk-{core.space}", core.index)
    seller = supplier(seed, core.supplier)
    date_ms = digitized_ms - rng.between(0, 12) * DAY_MS
    term = rng.pick(PAYMENT_TERMS)
    lines: list[dict[str, Any]] = []
    options = (upload or {}).get("options") or {}
    if options.get("processlines", True):
        parts = split(core.subtotal, core.nlines, rng)
        vat_left = core.vat
        for n, part in enumerate(parts):
            line_vat = vat_left if n == len(parts) - 1 else (core.vat * part) // core.subtotal if core.subtotal else 0
            vat_left -= line_vat
            qty = _line_quantity(part, rng)
            name, unit = rng.pick(ITEMS)
            lines.append(
                {
                    "lineid": n + 1,
                    "code": f"PR-{rng.between(1000, 9999)}" if rng.chance(0.5) else None,
                    "name": name,
                    "unit": unit,
                    "quantity": qty,
                    "price": number(part // qty),
                    "subtotal": number(part),
                    "vat": number(line_vat),
                    "vatpercent": core.vatpercent,
                    "total": number(part + line_vat),
                    "vatclass": VAT_CLASSES[core.vatpercent],
                    "warehouse": options.get("warehouse") or (rng.pick(("C01", "VLN-1", None, None))),
                    "object": None,
                    "allocation": options.get("allocation") or rng.pick(("6304", "6305", "6309", "6314", "6318", None)),
                }
            )
    doc: dict[str, Any] = {
        "id": core.id,
        "companycode": core.companycode,
        "doctype": core.doctype,
        "date": iso_date(date_ms),
        "operationdate": iso_date(date_ms) if rng.chance(0.6) else None,
        "duedate": iso_date(date_ms + term * DAY_MS),
        "paymentterm": term,
        "docnum": core.docnum,
        "ordernum": f"U-{rng.between(10000, 99999)}" if rng.chance(0.2) else None,
        "subtotal": number(core.subtotal),
        "vat": number(core.vat),
        "total": number(core.total),
        "currency": core.currency,
        "filename": (upload or {}).get("fileName") or f"{core.docnum.replace(' ', '_').replace('/', '-')}.pdf",
        "report2isaf": core.doctype != "receipt",
        "separatevat": False,
        "sellerid": f"s{core.supplier:05d}",
        "sellercode": seller.code,
        "sellervat": seller.vat,
        "sellername": seller.name,
        "sellernameascii": nameascii(seller.name),
        "selleraddress": seller.address,
        "sellerisperson": seller.isperson,
        "sellercountry": seller.country,
        "selleriban": seller.iban,
        "sellerisfavorite": rng.chance(0.3),
        "buyerid": f"c{buyer.code}",
        "buyercode": buyer.code,
        "buyervat": buyer.vat,
        "buyername": buyer.name,
        "buyernameascii": nameascii(buyer.name),
        "buyeraddress": buyer.address,
        "buyerisperson": False,
        "buyercountry": buyer.country,
        "buyerisfavorite": rng.chance(0.8),
        "hasreceipt": core.doctype == "receipt",
        "lines": lines,
        "digitizedat": iso_ms(digitized_ms),
    }
    if exported_ms is not None:
        doc["exportedat"] = iso_ms(exported_ms)
    if upload is not None:
        if upload.get("sourcedata") is not None:
            doc["sourcedata"] = upload["sourcedata"]
        if upload.get("userdata") is not None:
            doc["userdata"] = upload["userdata"]
        if options.get("tags"):
            doc["tags"] = options["tags"]
    return doc
