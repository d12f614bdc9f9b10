"""The underlying expense data, generated per record from the seed: users, approved reports, expenses.

Every voucher format renders the same reports, so totals reconcile across formats. Amounts are integer
minor units here; the gross of each expense splits exactly into net + VAT.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

from ..framework.data import COUNTRIES, Draws, Weighted, record_rng, stream_key
from ..framework.money import net_and_tax
from ..framework.timeutil import DAY_MS, iso_date, ms_of

#: country -> currency, VAT account, liability account (owed to the employee), VAT rates per category
COUNTRY = {
    "SE": {
        "currency": "SEK",
        "vat_account": "2641",
        "liability": "2821",
        "vat": {"hotel": 12, "travel": 6, "meal": 12, "office": 25, "parking": 25},
    },
    "NO": {
        "currency": "NOK",
        "vat_account": "2710",
        "liability": "2930",
        "vat": {"hotel": 12, "travel": 12, "meal": 15, "office": 25, "parking": 25},
    },
    "FI": {
        "currency": "EUR",
        "vat_account": "1763",
        "liability": "2871",
        "vat": {"hotel": 10, "travel": 10, "meal": 14, "office": 24, "parking": 24},
    },
}
NAMES = {
    "SE": (COUNTRIES["SE"]["first"], COUNTRIES["SE"]["last"]),
    "NO": (
        ["Ole", "Kari", "Ingrid", "Magnus", "Sigrid", "Håkon", "Solveig", "Eirik", "Ragnhild", "Torbjørn"],
        ["Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen", "Berg", "Haugen"],
    ),
    "FI": (
        ["Mikko", "Aino", "Juha", "Laura", "Antti", "Eeva", "Ville", "Sanna", "Jukka", "Satu"],
        ["Korhonen", "Virtanen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine", "Heikkinen", "Koskinen"],
    ),
}
_COUNTRY_PICK = Weighted([("SE", 60), ("NO", 20), ("FI", 20)])

# category: (label, account, vat key or None, salary code or None, merchants)
CATEGORIES = {
    "HOTEL": ("Hotell", "5831", "hotel", None, ["Scandic", "Clarion", "Radisson Blu", "Elite Hotel", "Thon Hotel"]),
    "TRAIN": ("Tågresa", "5811", "travel", None, ["SJ", "Vy", "VR", "MTR Express"]),
    "TAXI": ("Taxi", "5611", "travel", None, ["Taxi Stockholm", "Uber", "Norgestaxi", "Taxi Helsinki"]),
    "MEAL": ("Representation", "6071", "meal", None, ["Operakällaren", "Pinchos", "Max", "Espresso House"]),
    "OFFICE": ("Kontorsmaterial", "6110", "office", None, ["Clas Ohlson", "Staples", "Kjell & Co"]),
    "PARKING": ("Parkering", "5616", "parking", None, ["EasyPark", "Aimo Park", "Apcoa"]),
    "MILEAGE": ("Milersättning", "7331", None, "741", []),
    "PER_DIEM": ("Traktamente", "7321", None, "731", []),
}
_CATEGORY_PICK = Weighted(
    [
        ("HOTEL", 14),
        ("TRAIN", 14),
        ("TAXI", 16),
        ("MEAL", 18),
        ("OFFICE", 10),
        ("PARKING", 10),
        ("MILEAGE", 10),
        ("PER_DIEM", 8),
    ]
)
COST_CENTERS = ["100", "200", "310", "420", "500"]
PROJECTS = ["P-2041", "P-2107", "P-3310", None, None]
REPORT_TITLES = ["Kundbesök", "Konferens", "Projektresa", "Utbildning", "Mässa", "Säljmöte", "Workshop"]
CITIES = ["Stockholm", "Göteborg", "Malmö", "Oslo", "Bergen", "Helsinki", "Uppsala", "Tampere"]
BASE_DATE_MS = ms_of(2025, 1, 6)


def hex_id(seed: int, *parts: object) -> str:
    """A stable 32-char hex id (Findity's id format) for a named thing."""
    return hashlib.md5(":".join(str(p) for p in (seed, "findity", *parts)).encode()).hexdigest()  # noqa: S324


@dataclass(frozen=True)
class User:
    index: int
    id: str
    name: str
    employee_number: str
    country: str
    cost_center: str

    @property
    def currency(self) -> str:
        return COUNTRY[self.country]["currency"]


@dataclass(frozen=True)
class Expense:
    id: str
    position: int
    category: str
    gross: int  # minor units
    vat_percent: int
    date: str
    text: str
    cost_center: str
    project: str | None

    @property
    def net(self) -> int:
        return net_and_tax(self.gross, self.vat_percent)[0]

    @property
    def vat(self) -> int:
        """The VAT the gross contains (0 at 0 %), so that net + vat == gross exactly."""
        return net_and_tax(self.gross, self.vat_percent)[1]

    @property
    def account(self) -> str:
        return CATEGORIES[self.category][1]

    @property
    def salary_code(self) -> str | None:
        return CATEGORIES[self.category][3]


@dataclass(frozen=True)
class Report:
    index: int
    id: str
    owner: User
    title: str
    date: str
    expenses: tuple[Expense, ...]

    @property
    def currency(self) -> str:
        return self.owner.currency

    @property
    def gross(self) -> int:
        return sum(e.gross for e in self.expenses)

    @property
    def vat(self) -> int:
        return sum(e.vat for e in self.expenses)


class ExpenseData:
    """Users and reports of one seed; ``report(i)`` for i in [0, reports)."""

    def __init__(self, seed: int, reports: int) -> None:
        self.seed = seed
        self.reports = reports
        self.users = max(3, reports // 6)
        self._owner_key = stream_key(seed, "findity-owner")
        self.report = lru_cache(maxsize=4096)(self._report)  # type: ignore[method-assign]

    def user(self, u: int) -> User:
        rng = record_rng(self.seed, "findity-user", u)
        country = _COUNTRY_PICK.pick(rng)
        first, last = NAMES[country]
        name = f"{rng.pick(first)} {rng.pick(last)}"
        return User(u, hex_id(self.seed, "user", u), name, str(1001 + u), country, rng.pick(COST_CENTERS))

    def owner_index(self, r: int) -> int:
        return Draws(self._owner_key, r).below(1, self.users)

    def _report(self, r: int) -> Report:
        rng = record_rng(self.seed, "findity-report", r)
        owner = self.user(self.owner_index(r))
        country = COUNTRY[owner.country]
        city = rng.pick(CITIES)
        day_ms = BASE_DATE_MS + (r * 3 // 2) * DAY_MS // 4
        expenses = []
        for e in range(rng.between(1, 5)):
            category = _CATEGORY_PICK.pick(rng)
            label, _account, vat_key, _salary, merchants = CATEGORIES[category]
            if category == "MILEAGE":
                km = rng.between(12, 480)
                rate = 250 if owner.country == "SE" else (450 if owner.country == "NO" else 57)  # per km, minor
                gross, text = km * rate, f"{label} {km} km {city}"
            elif category == "PER_DIEM":
                days = rng.between(1, 4)
                rate = 29000 if owner.country == "SE" else (101200 if owner.country == "NO" else 5300)
                gross, text = days * rate, f"{label} {days} dag(ar) {city}"
            else:
                gross = rng.log_amount(
                    2500 if owner.country != "FI" else 300, 650000 if owner.country != "FI" else 65000
                )
                text = f"{label} {rng.pick(merchants)} {city}"
            expenses.append(
                Expense(
                    id=hex_id(self.seed, "expense", r, e),
                    position=e,
                    category=category,
                    gross=gross,
                    vat_percent=country["vat"][vat_key] if vat_key else 0,
                    date=iso_date(day_ms + e * DAY_MS // 3),
                    text=text,
                    cost_center=owner.cost_center if rng.chance(0.8) else rng.pick(COST_CENTERS),
                    project=rng.pick(PROJECTS),
                )
            )
        title = f"{rng.pick(REPORT_TITLES)} {city}"
        return Report(r, hex_id(self.seed, "report", r), owner, title, iso_date(day_ms), tuple(expenses))
