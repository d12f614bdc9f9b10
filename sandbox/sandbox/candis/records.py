"""Record generators of the three offset-paged list streams: reimbursement items, invoices, purchase requests.

Every stream has ``scale`` records. Record ``i``'s time fields never decrease with ``i`` (createdAt,
updatedAt, invoice/expense dates; see :class:`MonotonicSchedule`), so date filters are bisections and the
sort orders are index order; status/type come from a keyed hash (cheap to scan for filters) and so do the
amounts (cheap to total for the ground truth). Everything else comes from
``random.Random(f"{seed}:{stream}:{i}")``.

A *modified* record (admin ``modify`` or the ``mutate`` fault) gets ``updatedAt`` = the modification time
and a visible change (see each stream's ``_modify``); the state keeps only ``{index: updatedAt}``.
"""

from __future__ import annotations

import time
from typing import Any, NamedTuple

from ..framework.data import Draws, MonotonicSchedule, Rng, Weighted, person_name, record_rng, stable_uuid, stream_key
from ..framework.money import apply_rate, number, split, tax_on_net
from ..framework.paging import IndexedStream
from ..framework.timeutil import DAY_MS, HOUR_MS, MINUTE_MS, day_floor, iso_ms, iso_s, ms_of
from .config import ARCHIVE_BASE
from .parties import Parties
from .reference import (
    COST_CENTERS,
    COST_OBJECTS,
    CREDIT_NOTE_TYPE,
    CURRENCIES,
    CUSTOM_CATEGORIES,
    DOCUMENT_TYPES,
    EUR_RATE_E4,
    EXTRA_COST_INFOS,
    GENERAL_EXPENSE_TITLES,
    GL_ACCOUNTS,
    GL_BY_CODE,
    GL_HOSPITALITY,
    GL_HOSPITALITY_NON_DEDUCTIBLE,
    GL_MILEAGE,
    GL_PER_DIEM,
    MILEAGE_CITIES,
    MILEAGE_RATES,
    PER_DIEM_COUNTRIES,
    POSTING_TEXTS,
    PURCHASE_REQUEST_STATUSES,
    PURCHASE_REQUEST_WEIGHTS,
    PURCHASE_TITLES,
    REIMBURSEMENT_TYPES,
    TAX_CODES,
)

DATA_START = ms_of(2024, 1, 1)
DATA_END = ms_of(2026, 10, 31)
UPDATE_LAG_MS = 3 * DAY_MS  # records are last updated ~3 days after creation (approval, export)


def _booking(
    rng: Rng,
    amount: int,
    base_amount: int | None,
    gl: tuple[str, str],
    vat: int,
    due_ms: int,
    note: str | None,
    cost_center: int | None = None,
    *,
    nulls: bool,
) -> dict[str, Any]:
    """One booking line as Candis' OpenAPI describes it (amounts in major units, as the vendor doc shows).

    ``nulls``: the reimbursement items' OpenAPI marks the optional booking fields ``nullable`` (they are sent
    as null when empty); the invoices' does not, so there an empty field is left out.
    """
    cc = COST_CENTERS[cost_center if cost_center is not None else int(rng.random() * len(COST_CENTERS))]
    co = COST_OBJECTS[int(rng.random() * len(COST_OBJECTS))] if rng.random() < 0.3 else None
    tax_code, tax_description = TAX_CODES[vat]
    booking: dict[str, Any] = {"dueDate": iso_ms(due_ms), "amount": number(amount)}
    if base_amount is not None:
        booking["baseAmount"] = number(base_amount)
    booking.update(
        {
            "costCenter": {"code": cc[0], "name": cc[1]},
            "costObject": {"code": co[0], "name": co[1]} if co else None,
            "generalLedgerAccount": {"accountCode": gl[0], "name": gl[1]},
            "extraCostInfo": None,
            "artistSocialInsuranceCode": None,
            "bookingKey": {"taxCode": tax_code, "description": tax_description},
            "vatRate": vat,
            "note": note,
            "postingText": rng.pick(POSTING_TEXTS),
        }
    )
    if not nulls:
        booking = {key: value for key, value in booking.items() if value is not None}
    return booking


def _split_with_base(rng: Rng, total: int, base_total: int, parts: int) -> list[tuple[int, int]]:
    """Split an amount and its base-currency amount into matching parts; both sum exactly."""
    amounts = split(total, parts, rng, min_part=100 if abs(total) >= 100 * parts else 1)
    out = []
    remaining_base = base_total
    for k, a in enumerate(amounts):
        if k == len(amounts) - 1:
            b = remaining_base
        else:
            b = (base_total * a) // total if total else 0
            remaining_base -= b
        out.append((a, b))
    return out


def _amount_object(minor: int, currency: str, rate_e4: int, rate_day_ms: int) -> dict[str, Any]:
    """Reimbursement money as the OpenAPI gives it: `amount` and the EUR `baseAmount` as numbers in major units.

    The vendor guide also shows `precision`/`basePrecision` with integer minor units; the OpenAPI has neither
    field, so the emulator sends the OpenAPI's shape (the tap reads both).
    """
    return {
        "amount": number(minor),
        "currency": currency,
        "baseAmount": number(apply_rate(minor, rate_e4)),
        "baseCurrency": "EUR",
        "exchangeRate": number(rate_e4, 4),
        "exchangeRateDate": iso_s(day_floor(rate_day_ms) + 12 * HOUR_MS),
    }


class ListStream:
    name = "stream"
    list_key = "items"
    group_count = 1

    def __init__(self, seed: int, n: int, parties: Parties, org_id: str) -> None:
        self.seed = seed
        self.n = n
        self.parties = parties
        self.org_id = org_id
        self.key = stream_key(seed, self.name)
        self.schedule = MonotonicSchedule(self.key, n, DATA_START, DATA_END)
        self.index = IndexedStream(n, self.updated_ms, self.group_of, self.group_count)

    def created_ms(self, i: int) -> int:
        return self.schedule.created(i)

    def updated_ms(self, i: int) -> int:
        return self.schedule.updated(i, UPDATE_LAG_MS)

    def draws(self, i: int) -> Draws:
        return Draws(self.key, i)

    def group_of(self, i: int) -> int:
        return 0

    def record(self, i: int, modified_ms: int | None = None) -> dict[str, Any]:
        raise NotImplementedError

    def money(self, i: int, modified_ms: int | None = None) -> tuple[str, int]:
        """(currency, minor units) of the stream's ground-truth money field."""
        raise NotImplementedError


# --------------------------------------------------------------------------- reimbursement items

REIMBURSEMENT_TYPE_WEIGHTS = Weighted([(0, 50), (1, 20), (2, 15), (3, 15)])
REIMBURSEMENT_STATUSES = ("APPROVED", "EXPORTED")
PER_DIEM_CITIES = {
    "DE": [("Berlin", "Berlin"), ("Munich", "München"), ("Hamburg", "Hamburg"), ("Cologne", "Köln")],
    "AT": [("Vienna", "Wien"), ("Graz", "Graz"), ("Salzburg", "Salzburg")],
    "CH": [("Zurich", "Zürich"), ("Geneva", "Genf"), ("Basel", "Basel")],
    "FR": [("Paris", "Paris"), ("Lyon", "Lyon"), ("Strasbourg", "Straßburg")],
    "NL": [("Amsterdam", "Amsterdam"), ("Rotterdam", "Rotterdam"), ("Utrecht", "Utrecht")],
}
HOSPITALITY_CURRENCIES = Weighted([("EUR", 90), ("CHF", 10)])
PER_DIEM_WEIGHTS = Weighted([(k, c[5]) for k, c in enumerate(PER_DIEM_COUNTRIES)])


class ReimbursementCore(NamedTuple):
    status: str
    type: str
    currency: str
    minor: int
    rate_e4: int
    receipt: int = 0
    tip: int = 0
    per_diem: tuple = ()  # (country index, ((minutes, breakfast, lunch, dinner, rate, reimbursable), ...))
    mileage: tuple = ()  # (km, round trip, vehicle, override km or 0)

    @property
    def base_minor(self) -> int:
        return apply_rate(self.minor, self.rate_e4)


class ReimbursementItems(ListStream):
    name = "reimbursement_items"
    list_key = "reimbursementItems"
    group_count = 8  # status (2) x type (4)

    def group_of(self, i: int) -> int:
        d = self.draws(i)
        status = 1 if d.unit(1) < 0.7 else 0
        return status * 4 + REIMBURSEMENT_TYPE_WEIGHTS.at(d.unit(2))

    @staticmethod
    def groups_for(statuses: list[str], types: list[str]) -> list[int]:
        return [
            s * 4 + t
            for s, st in enumerate(REIMBURSEMENT_STATUSES)
            if st in statuses
            for t, ty in enumerate(REIMBURSEMENT_TYPES)
            if ty in types
        ]

    def expense_ms(self, i: int) -> int:
        # The expense happened ~2 days before the item was created; dates are noon UTC like the vendor samples.
        return day_floor(self.schedule.created(i) - 2 * DAY_MS) + 12 * HOUR_MS

    def core(self, i: int) -> ReimbursementCore:
        d = self.draws(i)
        group = self.group_of(i)
        status = REIMBURSEMENT_STATUSES[group // 4]
        rtype = REIMBURSEMENT_TYPES[group % 4]
        if rtype == "GENERAL_EXPENSE":
            currency = CURRENCIES.at(d.unit(3))
            return ReimbursementCore(status, rtype, currency, d.log_amount(4, 500, 50_000), self._rate(d, currency))
        if rtype == "HOSPITALITY_EXPENSE":
            currency = HOSPITALITY_CURRENCIES.at(d.unit(3))
            receipt = d.log_amount(4, 4_000, 60_000)
            tip = (receipt * d.below(5, 11) // 100) // 50 * 50
            return ReimbursementCore(
                status, rtype, currency, receipt + tip, self._rate(d, currency), receipt=receipt, tip=tip
            )
        if rtype == "PER_DIEM":
            country = PER_DIEM_WEIGHTS.at(d.unit(3))
            full, partial = PER_DIEM_COUNTRIES[country][3], PER_DIEM_COUNTRIES[country][4]
            days_count = 1 + d.below(4, 4)
            bits = d.u64(5)
            days = []
            for k in range(days_count):
                if days_count == 1:
                    minutes, rate = 481 + d.below(6, 480), partial
                elif k in (0, days_count - 1):
                    minutes, rate = 240 + d.below(6 + k, 900), partial
                else:
                    minutes, rate = 1440, full
                breakfast, lunch, dinner = (
                    bool(bits >> (3 * k) & 1),
                    bool(bits >> (3 * k + 1) & 1),
                    bool(bits >> (3 * k + 2) & 1),
                )
                if days_count > 1 and k == 0:
                    breakfast = False  # the trip starts after breakfast at home
                deduction = (full * 20 // 100) * breakfast + (full * 40 // 100) * lunch + (full * 40 // 100) * dinner
                days.append((minutes, breakfast, lunch, dinner, rate, max(0, rate - deduction)))
            total = sum(day[5] for day in days)
            return ReimbursementCore(status, rtype, "EUR", total, 10000, per_diem=(country, tuple(days)))
        km = 5 + d.below(3, 400)
        round_trip = d.unit(4) < 0.4
        vehicle = "MOTORBIKE" if d.unit(5) < 0.08 else "CAR"
        override = km + 1 + d.below(6, 30) if d.unit(7) < 0.1 else 0
        # [I] calculatedDistanceInKm is one way; a round trip doubles it.
        total = (override or km) * MILEAGE_RATES[vehicle] * (2 if round_trip else 1)
        return ReimbursementCore(status, rtype, "EUR", total, 10000, mileage=(km, round_trip, vehicle, override))

    @staticmethod
    def _rate(d: Draws, currency: str) -> int:
        base, spread = EUR_RATE_E4[currency]
        return base + (d.below(9, spread) if spread else 0)

    def money(self, i: int, modified_ms: int | None = None) -> tuple[str, int]:
        core = self.core(i)
        return core.currency, core.minor

    def record(self, i: int, modified_ms: int | None = None) -> dict[str, Any]:
        core = self.core(i)
        rng = record_rng(self.seed, self.name, i)
        employee = self.parties.employees[int(rng.random() * len(self.parties.employees))]
        created = self.created_ms(i)
        expense = self.expense_ms(i)
        # A case groups an employee's items created on one day; it was submitted the next morning.
        case_day = day_floor(created)
        submitted = case_day + DAY_MS + 9 * HOUR_MS
        item_id = rng.uuid()
        title, gl, vat, extra = self._details(rng, core, expense)
        base_minor = core.base_minor
        due = day_floor(created) + 14 * DAY_MS
        parts = (
            2
            if core.type in ("HOSPITALITY_EXPENSE",)
            else (1 + (rng.random() < 0.25) if core.type == "GENERAL_EXPENSE" else 1)
        )
        bookings = []
        for k, (amount, base) in enumerate(_split_with_base(rng, core.minor, base_minor, parts)):
            if core.type == "HOSPITALITY_EXPENSE":
                # German rule: 70 % of business meals are deductible, 30 % are not (two bookings).
                gl_k, vat_k = (GL_HOSPITALITY, 19) if k == 0 else (GL_HOSPITALITY_NON_DEDUCTIBLE, 19)
            elif k == 0:
                gl_k, vat_k = gl, vat
            else:
                code, name, vat_k = GL_BY_CODE["6815"]
                gl_k = (code, name)
            bookings.append(
                _booking(rng, amount, base, gl_k, vat_k, due, None if k else title, employee.cost_center, nulls=True)
            )
        if core.type == "HOSPITALITY_EXPENSE":
            self._hospitality_shares(core, base_minor, bookings)
        record: dict[str, Any] = {
            "id": item_id,
            "type": core.type,
            "status": core.status,
            "createdAt": iso_ms(created),
            "updatedAt": iso_ms(self.updated_ms(i) if modified_ms is None else modified_ms),
            "title": title,
            "invoiceNumber": f"BELEG-{time.gmtime(expense // 1000).tm_year}-{rng.between(1, 99999):05d}",
            "expenseDate": iso_s(expense),
            "totalAmount": _amount_object(core.minor, core.currency, core.rate_e4, expense),
            "reimbursementCase": {
                "id": stable_uuid(self.seed, "case", employee.id, case_day),
                "title": f"Auslagen {time.strftime('%d.%m.%Y', time.gmtime(case_day // 1000))} – {employee.name}",
                "submittedForReviewAt": iso_ms(submitted),
            },
            "contact": {
                "name": employee.name,
                "accountsPayableNumber": employee.accounts_payable_number,
                "paymentInfo": {
                    "iban": employee.iban,
                    "swiftCode": employee.swift,
                    "bankAccountNumber": None,
                    "accountHolder": employee.name,
                },
            },
            "bookings": bookings,
        }
        record.update(extra)
        if modified_ms is not None:
            record["title"] = f"{title} (korrigiert)"
            record["bookings"][0]["note"] = "Beleg nachgereicht"
        return record

    @staticmethod
    def _hospitality_shares(core: ReimbursementCore, base_minor: int, bookings: list[dict[str, Any]]) -> None:
        deductible = core.minor * 70 // 100
        base_deductible = base_minor * 70 // 100
        bookings[0]["amount"], bookings[0]["baseAmount"] = number(deductible), number(base_deductible)
        bookings[1]["amount"], bookings[1]["baseAmount"] = (
            number(core.minor - deductible),
            number(base_minor - base_deductible),
        )

    def _details(
        self, rng: Rng, core: ReimbursementCore, expense: int
    ) -> tuple[str, tuple[str, str], int, dict[str, Any]]:
        if core.type == "GENERAL_EXPENSE":
            title, code, vat = rng.pick(GENERAL_EXPENSE_TITLES)
            name = GL_BY_CODE[code][1] if code in GL_BY_CODE else "Reisekosten Arbeitnehmer"
            return title, (code, name), vat, {}
        if core.type == "HOSPITALITY_EXPENSE":
            guest_company = self.parties.suppliers[int(rng.random() * len(self.parties.suppliers))].name
            internal = [e.name for e in rng.sample(self.parties.employees, rng.between(1, 3))]
            external = [f"{rng.pick(['Dr. ', '', '', 'Prof. '])}{person_name(rng)}" for _ in range(rng.between(0, 3))]
            restaurant = rng.pick(
                [
                    "Restaurant Zum Goldenen Adler",
                    "Trattoria Da Luigi",
                    "Brauhaus am Markt",
                    "Café Rheinblick",
                    "Sushi Kaiten",
                ]
            )
            extra = {
                "location": f"{restaurant}, {rng.pick(['Berlin', 'München', 'Hamburg', 'Köln', 'Frankfurt am Main'])}",
                "internalGuests": internal,
                "externalGuests": [f"{g} ({guest_company})" for g in external],
                # [I] the OpenAPI gives these the totalAmount structure; minor units + precision like it.
                "tipAmount": _amount_object(core.tip, core.currency, core.rate_e4, expense) if core.tip else None,
                "receiptAmount": _amount_object(core.receipt, core.currency, core.rate_e4, expense),
            }
            return f"Geschäftsessen mit {guest_company}", GL_HOSPITALITY, 19, extra
        if core.type == "PER_DIEM":
            country_index, days = core.per_diem
            iso, en, de = PER_DIEM_COUNTRIES[country_index][:3]
            first = day_floor(expense)
            if len(days) == 1:
                start = first + 7 * HOUR_MS
                end = start + days[0][0] * MINUTE_MS
            else:
                start = first + (1440 - days[0][0]) * MINUTE_MS
                end = first + (len(days) - 1) * DAY_MS + days[-1][0] * MINUTE_MS
            city = rng.pick(PER_DIEM_CITIES[iso])
            location = {
                "region": {"en": "Europe", "de": "Europa"},
                "countryIsoCode": iso,
                "country": {"en": en, "de": de},
                "location": {"en": city[0], "de": city[1]},
            }
            extra = {
                "segments": [{"startAt": iso_s(start), "endAt": iso_s(end), "location": location}],
                # [I] day rates are plain major-unit numbers, as in the vendor sample ("amount": 24).
                "days": [
                    {
                        "date": iso_s(first + k * DAY_MS),
                        "numberOfMinutes": minutes,
                        "dayRate": {"amount": number(rate), "currency": "EUR"},
                        "reimbursableRate": {"amount": number(reimbursable), "currency": "EUR"},
                        "location": location,
                        "providedBreakfast": breakfast,
                        "providedLunch": lunch,
                        "providedDinner": dinner,
                        "providedAccommodation": k < len(days) - 1,
                    }
                    for k, (minutes, breakfast, lunch, dinner, rate, reimbursable) in enumerate(days)
                ],
            }
            return f"Verpflegungsmehraufwand {de}", GL_PER_DIEM, 0, extra
        km, round_trip, vehicle, override = core.mileage
        a, b = rng.sample(MILEAGE_CITIES, 2)
        extra = {
            "locations": [{"en": a[0], "de": a[1]}, {"en": b[0], "de": b[1]}]
            + ([{"en": a[0], "de": a[1]}] if round_trip else []),
            # [I] per-km rates are plain major-unit numbers, as in the vendor sample (0.3 EUR/km).
            "applicableRate": {"amount": number(MILEAGE_RATES[vehicle]), "currency": "EUR"},
            "distanceOverride": {
                "enabled": bool(override),
                "distanceInKm": override or None,
                "reason": "Umleitung wegen Baustelle" if override else None,
            },
            "vehicleType": vehicle,
            "calculatedDistanceInKm": km,
            "isRoundTrip": round_trip,
        }
        return f"Fahrt {a[1]} – {b[1]}", GL_MILEAGE, 0, extra


# --------------------------------------------------------------------------- invoices

INVOICE_STATUSES = ("APPROVED", "EXPORTED")


class Invoices(ListStream):
    name = "invoices"
    list_key = "invoices"
    group_count = 2  # APPROVED, EXPORTED

    def group_of(self, i: int) -> int:
        return 1 if self.draws(i).unit(1) < 0.6 else 0

    def invoice_ms(self, i: int) -> int:
        return day_floor(self.schedule.base(i)) - 3 * DAY_MS

    def money(self, i: int, modified_ms: int | None = None) -> tuple[str, int]:
        d = self.draws(i)
        currency = CURRENCIES.at(d.unit(3))
        minor = d.log_amount(4, 2_000, 2_500_000)
        if d.unit(5) < 0.03:
            minor = -minor  # credit note
        if modified_ms is not None and self.group_of(i) == 0:
            minor += 100  # an approved invoice corrected by 1.00 before export
        return currency, minor

    def record(self, i: int, modified_ms: int | None = None) -> dict[str, Any]:
        status = INVOICE_STATUSES[self.group_of(i)]
        currency, minor = self.money(i, modified_ms)
        rng = record_rng(self.seed, self.name, i)
        invoice_id = rng.uuid()
        supplier = self.parties.suppliers[int(rng.random() * len(self.parties.suppliers))]
        created, updated = self.created_ms(i), self.updated_ms(i)
        requested = created + rng.between(1, 60) * MINUTE_MS
        approved = requested + rng.between(60, 2880) * MINUTE_MS
        invoice_day = self.invoice_ms(i)
        year = time.gmtime(invoice_day // 1000).tm_year
        due = invoice_day + rng.pick((14, 30, 30, 45)) * DAY_MS
        payment = None
        if status == "EXPORTED" and rng.random() < 0.5:
            # The OpenAPI's only payment method is CARD_TRANSACTION (nullable: paid some other way). `payment`
            # itself is not nullable: an unpaid invoice has none.
            method = "CARD_TRANSACTION" if rng.random() < 0.3 else None
            payment = {"method": method, "paidAt": iso_s(approved + int(rng.random() * (updated - approved)))}
        parts = SPLIT_WEIGHTS.pick(rng)
        discount = rng.pick((0, 0, 2, 3))
        bookings = []
        for k, amount in enumerate(split(minor, parts, rng, min_part=100 if abs(minor) >= 100 * parts else 1)):
            code, name, vat = (
                GL_BY_CODE[supplier.gl_code] if k == 0 else GL_ACCOUNTS[int(rng.random() * len(GL_ACCOUNTS))]
            )
            booking = _booking(rng, amount, None, (code, name), vat, due, None, nulls=False)
            if discount:
                booking["paymentCondition"] = {
                    "discountAmount": number(amount * discount // 100),
                    "discountPaymentDate": iso_ms(invoice_day + 14 * DAY_MS),
                    "discountPercentage": discount,
                }
            bookings.append(booking)
        po = f"PO-{year}-{rng.between(1, 9999):04d}" if rng.random() < 0.3 else None
        record: dict[str, Any] = {
            "id": invoice_id,
            "organizationId": self.org_id,
            "status": status,
            "createdAt": iso_ms(created),
            "updatedAt": iso_ms(updated if modified_ms is None else modified_ms),
            "requestedAt": iso_ms(requested),
            "approvedAt": iso_ms(approved),
            "amount": {"value": number(minor), "currencyCode": currency},
            "automaticPayment": rng.random() < 0.2,
            "bankAccount": {"iban": supplier.iban, "swiftCode": supplier.swift},
            "category": {"documentType": CREDIT_NOTE_TYPE if minor < 0 else DOCUMENT_TYPES.pick(rng)},
            # Note the singular "accountPayableNumber" here (postings say "accountsPayableNumber").
            "contact": {
                "name": supplier.name,
                "accountPayableNumber": supplier.accounts_payable_number,
                "accountReceivableNumber": supplier.accounts_receivable_number,
            },
            "deliveryDate": iso_s(invoice_day - rng.between(0, 10) * DAY_MS) if rng.random() < 0.7 else None,
            "invoiceDate": iso_s(invoice_day),
            "invoiceId": f"RE-{year}-{rng.between(1, 99999):05d}",
            "payment": payment,
            "purchaseOrderNumber": po,
            "archiveUrl": f"{ARCHIVE_BASE}/{self.org_id}/archive/{invoice_id}",
            "bookings": bookings,
        }
        if modified_ms is not None and status == "EXPORTED":
            # Exported invoices cannot change any more, except their payment state (PUT /invoices/{id}).
            record["payment"] = {"method": None, "paidAt": iso_s(modified_ms)}
        return _without_nulls(record, NULLABLE_INVOICE_FIELDS)


SPLIT_WEIGHTS = Weighted([(1, 60), (2, 25), (3, 15)])
NULLABLE_INVOICE_FIELDS: frozenset[str] = frozenset()  # the invoice's OpenAPI marks no top-level field nullable
NULLABLE_PURCHASE_REQUEST_FIELDS: frozenset[str] = frozenset()  # nor the purchase request's


def _without_nulls(record: dict[str, Any], nullable: frozenset[str]) -> dict[str, Any]:
    """Leave out empty optional fields the OpenAPI does not mark nullable (one level deep: contact, supplier)."""
    out = {}
    for key, value in record.items():
        if value is None and key not in nullable:
            continue
        if isinstance(value, dict) and None in value.values():
            value = {k: v for k, v in value.items() if v is not None or (key == "payment" and k == "method")}
        out[key] = value
    return out


# --------------------------------------------------------------------------- purchase requests

PR_STATUS_WEIGHTS = Weighted(list(zip(range(len(PURCHASE_REQUEST_STATUSES)), PURCHASE_REQUEST_WEIGHTS, strict=False)))
PR_CURRENCIES = Weighted([("EUR", 90), ("CHF", 5), ("USD", 5)])


class PurchaseRequests(ListStream):
    name = "purchase_requests"
    list_key = "purchaseRequests"
    group_count = len(PURCHASE_REQUEST_STATUSES)

    def group_of(self, i: int) -> int:
        return PR_STATUS_WEIGHTS.at(self.draws(i).unit(1))

    def _amounts(self, i: int) -> tuple[str, int, int, int]:
        d = self.draws(i)
        currency = PR_CURRENCIES.at(d.unit(3))
        net = d.log_amount(4, 5_000, 5_000_000)
        vat = 7 if d.unit(5) < 0.1 else 19
        return currency, net, net + tax_on_net(net, vat), vat

    def money(self, i: int, modified_ms: int | None = None) -> tuple[str, int]:
        currency, _, gross, _ = self._amounts(i)
        return currency, gross

    def record(self, i: int, modified_ms: int | None = None) -> dict[str, Any]:
        status = PURCHASE_REQUEST_STATUSES[self.group_of(i)]
        currency, net, gross, vat = self._amounts(i)
        rng = record_rng(self.seed, self.name, i)
        supplier = self.parties.suppliers[int(rng.random() * len(self.parties.suppliers))]
        created = self.created_ms(i)
        title, category_id = rng.pick(PURCHASE_TITLES)
        category = next(c for c in CUSTOM_CATEGORIES if c[0] == category_id)
        if status in ("FULFILLED", "REJECTED", "CANCELLED"):
            outstanding = 0
        elif status == "PARTIALLY_FULFILLED":
            outstanding = net * rng.between(30, 70) // 100
        else:
            outstanding = net
        cc = COST_CENTERS[int(rng.random() * len(COST_CENTERS))]
        co = COST_OBJECTS[int(rng.random() * len(COST_OBJECTS))] if rng.random() < 0.3 else None
        code, gl_name, _ = GL_BY_CODE[supplier.gl_code]
        extra = EXTRA_COST_INFOS[int(rng.random() * len(EXTRA_COST_INFOS))] if rng.random() < 0.1 else None
        requester = self.parties.employees[int(rng.random() * len(self.parties.employees))].name
        delivery = day_floor(created) + rng.between(7, 60) * DAY_MS
        record: dict[str, Any] = {
            "id": rng.uuid(),
            "status": status,
            "createdAt": iso_ms(created),
            "updatedAt": iso_ms(self.updated_ms(i) if modified_ms is None else modified_ms),
            "supplier": {
                "name": supplier.name,
                "accountPayableNumber": supplier.accounts_payable_number,
                "accountReceivableNumber": supplier.accounts_receivable_number,
            },
            "title": title,
            "description": f"{title} – angefordert von {requester}",
            "requestNumber": f"BANF-{time.gmtime(created // 1000).tm_year}-{i + 1:06d}",
            "grossAmount": {"value": number(gross), "currencyCode": currency},
            "netAmount": {"value": number(net), "currencyCode": currency},
            "outstandingNetAmount": {"value": number(outstanding), "currencyCode": currency},
            "deliveryDate": iso_ms(delivery),
            "notes": rng.pick(
                [None, None, "Bitte Rahmenvertrag beachten", "Dringend", "Angebot liegt vor", f"{vat} % USt."]
            ),
            "costCenter": {"code": cc[0], "name": cc[1]},
            "costObject": {"code": co[0], "name": co[1]} if co else None,
            "generalLedgerAccount": {"code": code, "name": gl_name},
            "extraCostInfo": {"code": extra[0], "name": extra[1]} if extra else None,
            "customCategory": {"id": category[0], "value": category[1]},
        }
        if modified_ms is not None:
            record["notes"] = (
                f"Liefertermin verschoben auf {time.strftime('%d.%m.%Y', time.gmtime((delivery + 14 * DAY_MS) // 1000))}"
            )
            record["deliveryDate"] = iso_ms(delivery + 14 * DAY_MS)
        return _without_nulls(record, NULLABLE_PURCHASE_REQUEST_FIELDS)


STREAM_CLASSES = {cls.name: cls for cls in (ReimbursementItems, Invoices, PurchaseRequests)}
