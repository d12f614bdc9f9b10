"""Accounting entries and their export payload (ExportItemV3), generated per (seed, company, index).

The attributes totals and filters scan (type, currencies, amounts, receipt count, performedAt) come from a
keyed hash (:class:`EntryCore`, cheap for 100,000 entries); the rest from ``record_rng``. Money is integer
minor units throughout: ``{currency, value}`` (``MoneyModel``) in the export API, every amount of an export
item and of its lines in both the supplier's and the wallet's currency (``{inSupplierCurrency,
inWalletCurrency}``); ``{currency, minors}`` (``Money``) in accounting entries. The shapes are those of Pleo's
published ``ExportItemV3`` and ``AccountingEntryV1``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..framework.data import Draws, MonotonicSchedule, Weighted, record_rng, stream_key
from ..framework.money import apply_rate, net_and_tax, split
from ..framework.pdf import pdf_size, tiny_pdf
from ..framework.timeutil import DAY_MS, HOUR_MS, MINUTE_MS, iso_date, iso_ms, ms_of
from . import ids
from .config import WEB_BASE
from .reference import VENDORS, CompanyRefs

DATA_START = ms_of(2024, 1, 1)
DATA_END = ms_of(2026, 6, 30)
TYPES = Weighted(
    [
        ("card_purchase", 58),
        ("out_of_pocket", 10),
        ("mileage", 4),
        ("per_diem", 3),
        ("invoice", 8),
        ("card_invoice", 3),
        ("refund", 4),
        ("fee", 3),
        ("atm_withdrawal", 2),
        ("cashback", 1),
        ("wallet_topup", 2),
        ("chargeback", 1),
        ("personal_spend", 1),
    ]
)
# Accounting-entry family and sub-family (AccountingEntryFamily / AccountingEntrySubFamily) of each export
# item type (ExportItemTypeV3). [I] the documents do not map one onto the other; this follows their prose.
FAMILIES = {
    "card_purchase": "CARD_PURCHASE",
    "card_invoice": "CARD_PURCHASE",
    "refund": "CARD_PURCHASE",
    "chargeback": "CARD_PURCHASE",
    "cashback": "CASHBACK",
    "atm_withdrawal": "CARD_PURCHASE",
    "fee": "OVERDRAFT",
    "out_of_pocket": "OUT_OF_POCKET",
    "mileage": "MILEAGE",
    "per_diem": "PER_DIEM",
    "invoice": "BILL_INVOICE",
    "wallet_topup": "WALLET",
    "personal_spend": "REIMBURSEMENT",
}
SUB_FAMILIES = {
    "atm_withdrawal": "ATM",
    "fee": "FEE",
    "wallet_topup": "LOAD",
    "personal_spend": "REIMBURSEMENT_TO_COMPANY",
    "out_of_pocket": "REIMBURSEMENT_TO_EMPLOYEE",
}
#: export item subType (ExportItemSubTypeV3) where one applies
SUB_TYPES = {"personal_spend": "reimbursement_to_company", "out_of_pocket": "reimbursement_to_employee"}
RECEIPT_SOURCES = ("CAMERA", "EMAIL_FORWARDING")
NEGATIVE = {"refund", "chargeback", "cashback"}  # money coming back: negative amounts
NO_VAT = {"mileage", "per_diem", "fee", "atm_withdrawal", "wallet_topup", "personal_spend", "cashback"}
FOREIGN = Weighted([("EUR", 40), ("USD", 25), ("SEK", 12), ("DKK", 10), ("GBP", 8), ("NOK", 5)])
EUR_PER = {"EUR": 10000, "DKK": 1341, "SEK": 876, "USD": 9210, "GBP": 11690, "NOK": 852}  # value of 1 unit in EUR, e4
NOTES = {
    "DK": [
        "Frokostmøde med kunde",
        "Togbillet til Aarhus",
        "Kontorartikler",
        "Softwareabonnement",
        "Taxa til lufthavnen",
        "Hotel under messe",
        "Parkering",
        "Kaffe til teamet",
    ],
    "SE": [
        "Lunchmöte med kund",
        "Tågbiljett till Göteborg",
        "Kontorsmaterial",
        "Programvara, månadsavgift",
        "Taxi till Arlanda",
        "Hotell under mässan",
        "Parkering",
        "Fika med teamet",
    ],
    "DE": [
        "Geschäftsessen mit Kunde",
        "Bahnticket nach Hamburg",
        "Büromaterial",
        "Software-Abo",
        "Taxi zum Flughafen",
        "Hotel während der Messe",
        "Parkgebühr",
        "Kaffee für das Team",
    ],
}


def fx_rate_e4(src: str, dst: str) -> int:
    return (EUR_PER[src] * 10000 + EUR_PER[dst] // 2) // EUR_PER[dst]


@dataclass(frozen=True)
class EntryCore:
    company: int
    index: int
    type: str
    performed_ms: int
    supplier_currency: str
    supplier_minor: int
    wallet_currency: str
    wallet_minor: int
    nfiles: int
    vendor: int


class EntryFactory:
    """Entries of one company."""

    def __init__(self, seed: int, company_index: int, refs: CompanyRefs, n: int) -> None:
        self.seed = seed
        self.company_index = company_index
        self.refs = refs
        self.company = refs.company
        self.n = n
        self.key = stream_key(seed, f"pleo:entries:{company_index}")
        self.schedule = MonotonicSchedule(self.key, n, DATA_START, DATA_END)

    # -- cheap attributes ---------------------------------------------------------------------------
    def entry_id(self, index: int) -> str:
        return ids.make(self.seed, self.company_index, ids.ENTRY, index)

    def performed_ms(self, index: int) -> int:
        return self.schedule.created(index)

    def core(self, index: int) -> EntryCore:
        d = Draws(self.key, index)
        etype = d.weighted(3, TYPES)
        home = self.company.currency
        supplier_currency = home if d.unit(4) < 0.72 or etype in ("mileage", "per_diem") else d.weighted(5, FOREIGN)
        minor = d.log_amount(6, 350, 1_800_000)
        if etype == "fee":
            minor = d.between(6, 500, 4_500)
        sign = -1 if etype in NEGATIVE else 1
        supplier_minor = sign * minor
        wallet_minor = apply_rate(supplier_minor, fx_rate_e4(supplier_currency, home))
        if wallet_minor == 0:
            wallet_minor = sign
        nfiles = 0 if etype in ("mileage", "per_diem", "fee", "wallet_topup") else (1 if d.unit(7) < 0.85 else 2)
        return EntryCore(
            self.company_index,
            index,
            etype,
            self.performed_ms(index),
            supplier_currency,
            supplier_minor,
            home,
            wallet_minor,
            nfiles,
            d.below(8, len(VENDORS)),
        )

    def created_ms(self, index: int) -> int:
        return self.performed_ms(index) + 5 * MINUTE_MS + Draws(self.key, index).below(9, 2 * DAY_MS)

    def base_updated_ms(self, index: int) -> int:
        return self.created_ms(index) + HOUR_MS + Draws(self.key, index).below(10, 5 * DAY_MS)

    # -- receipts / files ----------------------------------------------------------------------------
    def receipt_id(self, index: int, position: int) -> str:
        return ids.make(self.seed, self.company_index, ids.RECEIPT, index * 4 + position)

    def receipt_lines(self, core: EntryCore, position: int) -> list[str]:
        vendor = VENDORS[core.vendor][0]
        return [
            f"{vendor} - Kvittering / Kvitto / Beleg {position + 1}",
            f"Pleo sandbox receipt {self.receipt_id(core.index, position)}",
            f"Dato: {iso_date(core.performed_ms)}",
            f"Belob: {core.supplier_minor / 100:.2f} {core.supplier_currency}",
            f"Company: {self.company.name}",
        ]

    def receipt_size(self, core: EntryCore, position: int) -> int:
        return pdf_size(self.receipt_lines(core, position))

    def receipt_pdf(self, core: EntryCore, position: int) -> bytes:
        return tiny_pdf(self.receipt_lines(core, position))

    # -- details -------------------------------------------------------------------------------------
    def _lines(self, core: EntryCore) -> list[dict[str, Any]]:
        rng = record_rng(self.seed, f"pleo:lines:{self.company_index}", core.index)
        refs = self.refs
        expense = refs.expense_accounts
        vendor_account = VENDORS[core.vendor][4]
        parts = split(core.wallet_minor, 1 if rng.random() < 0.75 else rng.between(2, 3), rng, min_part=1)
        supplier_parts = apportion(core.supplier_minor, parts)
        out = []
        for n, (part, supplier_part) in enumerate(zip(parts, supplier_parts, strict=False)):
            account = expense[vendor_account if n == 0 else rng.between(0, len(expense) - 1)]
            if core.type == "mileage":
                account = expense[5]
            if core.type in NO_VAT:
                tax_code = next(t for t in refs.tax_codes if t["rate"] == 0 and t["type"] == "inclusive")
            elif core.supplier_currency != self.company.currency and rng.random() < 0.5:
                tax_code = next(t for t in refs.tax_codes if t["type"] == "reverse")
            else:
                tax_code = refs.tax_codes[0 if rng.random() < 0.8 else rng.between(0, len(refs.tax_codes) - 2)]
            percent = round(tax_code["rate"] * 100) if tax_code["rate"] else 0
            (net, tax), (supplier_net, supplier_tax) = (
                _net_tax(tax_code["type"], m, percent) for m in (part, supplier_part)
            )
            tags = []
            for group in refs.tag_groups:
                if rng.random() < 0.7:
                    tag = rng.pick(refs.tags[group["id"]])
                    tags.append({"id": tag["id"], "code": tag["code"], "groupCode": group["code"]})
            cur, sup = self.company.currency, core.supplier_currency
            tax_view = {
                "id": tax_code["id"],
                "rate": tax_code["rate"],
                "type": tax_code["type"],
                "amount": both(sup, supplier_tax, cur, tax),
                "code": tax_code["code"],
            }
            for key in ("ingoingTaxAccount", "outgoingTaxAccount"):  # strings, not nullable: absent when unset
                if tax_code[key] is not None:
                    tax_view[key] = tax_code[key]
            out.append(
                {
                    "accountingEntryLineId": ids.make(self.seed, self.company_index, ids.LINE, core.index * 4 + n),
                    "lineAmount": both(sup, supplier_part, cur, part),
                    "netAmount": both(sup, supplier_net, cur, net),
                    "account": {
                        "id": account["id"],
                        "name": account["name"],
                        "code": account["code"],
                        "identifier": account["externalId"],
                    },
                    "tags": tags,
                    "tax": tax_view,
                }
            )
        return out

    def _people(self, core: EntryCore) -> tuple[dict, dict]:
        employee = self.refs.employees[Draws(self.key, core.index).below(11, len(self.refs.employees))]
        team = next(t for t in self.refs.teams if t["id"] == employee["_teamId"])
        return employee, team

    def export_item(self, core: EntryCore, api_base: str, file_url: Any) -> dict[str, Any]:
        """ExportItemV3. ``file_url(core, position)`` gives a pre-signed receipt URL."""
        rng = record_rng(self.seed, f"pleo:item:{self.company_index}", core.index)
        rng.random()  # the draw that once chose a subType: kept so the other fields keep their values
        entry_id = self.entry_id(core.index)
        employee, team = self._people(core)
        vendor_name, vendor_country, mcc, vendor_currency, _ = VENDORS[core.vendor]
        vendor = self.refs.vendors[core.vendor]
        lines = self._lines(core)
        cur = self.company.currency
        contra = self.refs.contra_account
        invoice = core.type == "invoice"
        item: dict[str, Any] = {
            # [I] LinksResponse gives each link as an object of strings; the key is not documented ("href")
            "_links": {
                "api": {"href": f"{api_base}/v1/accounting-entries/{entry_id}"},
                "mobile": {"href": f"pleo://accounting-entries/{entry_id}"},
                "web": {"href": f"{WEB_BASE}/export?accountingEntryId={entry_id}"},
            },
            "accountingEntryId": entry_id,
            "companyId": self.company.id,
            "type": core.type,
            "date": iso_ms(core.performed_ms),
            "note": rng.pick(NOTES[self.company.country]) if rng.random() < 0.8 else None,
            "amount": both(core.supplier_currency, core.supplier_minor, cur, core.wallet_minor),
            "files": [
                {"url": file_url(core, p), "type": "application/pdf", "size": self.receipt_size(core, p)}
                for p in range(core.nfiles)
            ],
            "bookkeeping": {"method": "accounts_payable" if invoice else "journal"},
            "contraAccount": {
                "id": contra["id"],
                "name": contra["name"],
                "code": contra["code"],
                "identifier": contra["externalId"],
            },
            "additionalInformation": {
                "reconciliationId": f"R{core.company}{core.index:09d}",
                "attendees": [rng.pick(self.refs.employees)["firstName"]]
                if core.type == "card_purchase" and rng.random() < 0.2
                else [],
                "reconciledEntries": [],
                "invoiceInformation": {
                    "invoiceNumber": f"INV-{rng.digits(6)}",
                    "status": "paid",
                    "dueDate": iso_ms(_midnight(core.performed_ms + 30 * DAY_MS)),
                    "invoiceDate": iso_ms(_midnight(core.performed_ms)),
                }
                if invoice
                else None,
            },
            "supplier": {
                "name": vendor_name,
                "code": vendor["code"],
                "account": None,
                "categoryCode": mcc,
                "country": vendor_country,
                "taxIdentifier": vendor["taxRegistrationNumber"],
            },
            "vendor": {
                "id": vendor["id"],
                "name": vendor_name,
                "defaultCurrency": vendor_currency,
                "code": vendor["code"],
                "country": vendor_country,
                "taxRegistrationNumber": vendor["taxRegistrationNumber"],
            },
            "team": {"id": team["id"], "name": team["name"], "code": team["code"]},
            "user": {
                "id": employee["id"],
                "name": f"{employee['firstName']} {employee['lastName']}",
                "code": employee["code"],
            },
            "accountingEntryLines": lines,
        }
        if core.type in SUB_TYPES:
            item["subType"] = SUB_TYPES[core.type]
        if invoice:
            item["servicePeriod"] = {
                "from": iso_ms(_midnight(core.performed_ms - 30 * DAY_MS)),
                "to": iso_ms(_midnight(core.performed_ms)),
            }
        return item

    def accounting_entry(self, core: EntryCore, export_status: str, updated_ms: int) -> dict[str, Any]:
        """AccountingEntryV1 (money as ``{currency, minors}``). ``transactionValue`` is in the currency the
        payment was made in (the supplier's), ``totalBillValue`` in the company's (the wallet's)."""
        rng = record_rng(self.seed, f"pleo:entry:{self.company_index}", core.index)
        employee, team = self._people(core)
        lines = self._lines(core)
        cur = self.company.currency
        settled = core.performed_ms + (1 + Draws(self.key, core.index).below(12, 3)) * DAY_MS
        created = iso_ms(self.created_ms(core.index))
        updated = iso_ms(updated_ms)
        family = FAMILIES[core.type]
        review = "OK" if rng.random() < 0.9 else "NOT_REQUIRED"
        note = rng.pick(NOTES[self.company.country]) if rng.random() < 0.6 else None
        entry: dict[str, Any] = {
            "id": self.entry_id(core.index),
            "companyId": self.company.id,
            "createdAt": created,
            "updatedAt": updated,
            "performedAt": iso_ms(core.performed_ms),
            "bookkeepingDate": iso_ms(_midnight(core.performed_ms)),
            "exportStatus": export_status,
            "family": family,
            "reviewStatus": review,
            # [I] AccountingEntryStatus: settled entries COMPLETED, the rest PENDING
            "status": "COMPLETED" if settled <= DATA_END else "PENDING",
            "employeeId": employee["id"],
            "teamId": team["id"],
            "receiptIds": [self.receipt_id(core.index, p) for p in range(core.nfiles)],
            "transactionValue": {"currency": core.supplier_currency, "minors": core.supplier_minor},
            "totalBillValue": {"currency": cur, "minors": core.wallet_minor},
            "splitItems": [
                {
                    "id": line["accountingEntryLineId"],
                    "createdAt": created,
                    "updatedAt": updated,
                    "accountId": line["account"]["id"],
                    "accountCode": line["account"]["code"],
                    "taxCodeId": line["tax"]["id"],
                    "tags": [{"tagGroupId": self._group_of(t["id"]), "tagId": t["id"]} for t in line["tags"]],
                    "transactionValue": {
                        "currency": core.supplier_currency,
                        "minors": line["lineAmount"]["inSupplierCurrency"]["value"],
                    },
                    "totalBillValue": {"currency": cur, "minors": line["lineAmount"]["inWalletCurrency"]["value"]},
                }
                for line in lines
            ],
            "tags": sorted(
                (
                    {"tagGroupId": self._group_of(i), "tagId": i}
                    for i in {t["id"] for line in lines for t in line["tags"]}
                ),
                key=lambda tag: tag["tagId"],
            ),
            "attendees": [],
            "supplier": {"externalSupplierId": self.refs.vendors[core.vendor]["code"]},
        }
        if len(lines) == 1:  # [I] an entry that is not split names its account and tax code itself
            split_item = entry["splitItems"][0]
            entry.update({k: split_item[k] for k in ("accountId", "accountCode", "taxCodeId")})
        if family == "BILL_INVOICE":  # [I] the id Pleo's bills API gave the invoice behind the entry
            entry["foreignExtensionId"] = f"bill-{entry['id']}"
        if core.type in SUB_FAMILIES:
            entry["subFamily"] = SUB_FAMILIES[core.type]
        elif family == "CARD_PURCHASE":
            entry["subFamily"] = "ONLINE" if Draws(self.key, core.index).unit(13) < 0.4 else "IN_STORE"
        if family in ("CARD_PURCHASE", "OVERDRAFT", "CASHBACK"):  # money that moved on the card / wallet
            entry["settledAt"] = iso_ms(settled)
        if note is not None:  # strings, not nullable: absent when unset
            entry["note"] = note
        return entry

    def _group_of(self, tag_id: str) -> str:
        for group_id, tags in self.refs.tags.items():
            if any(t["id"] == tag_id for t in tags):
                return group_id
        raise KeyError(tag_id)


def both(supplier_currency: str, supplier_minor: int, wallet_currency: str, wallet_minor: int) -> dict[str, Any]:
    """An amount in both currencies, as every amount of an export item is (``ExportItemLineAmountV3`` etc.)."""
    return {
        "inSupplierCurrency": {"currency": supplier_currency, "value": supplier_minor},
        "inWalletCurrency": {"currency": wallet_currency, "value": wallet_minor},
    }


def apportion(total: int, weights: list[int]) -> list[int]:
    """``total`` minor units split in the proportions of ``weights`` (largest remainder), summing exactly."""
    wsum = sum(weights)
    if wsum == 0:
        return [total] + [0] * (len(weights) - 1)
    exact = [total * w for w in weights]
    parts = [e // wsum for e in exact]
    rest = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: -(exact[i] % wsum))
    for i in order[:rest]:
        parts[i] += 1
    return parts


def _net_tax(kind: str, gross: int, percent: int) -> tuple[int, int]:
    if kind == "reverse":
        return gross, (abs(gross) * percent + 50) // 100 * (1 if gross >= 0 else -1)
    return net_and_tax(gross, percent)


def _midnight(ms: int) -> int:
    return ms - ms % DAY_MS
