"""Deterministic, realistic test data, generated per record on demand.

Two sources of randomness, both pure functions of ``(seed, stream, index)`` so nothing has to be held in
memory and the same seed always gives byte-identical data:

* :func:`record_rng` — ``random.Random(f"{seed}:{stream}:{index}")`` (a subclass with a few helpers) for
  the detailed fields of record ``index``;
* :class:`Draws` — a keyed 64-bit hash (splitmix64) for the few attributes that must be scanned over a
  whole stream quickly (status, type, currency, amount): filters and ground-truth totals read those for
  100,000 records in well under a second, which ``random.Random`` seeding (~6 µs per record) would not.
"""

from __future__ import annotations

import hashlib
import math
import random
import uuid
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate
from typing import TypeVar

T = TypeVar("T")
MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_UUID_SET = (0x4000 << 64) | (0x8000 << 48)
_NAMESPACE = uuid.UUID("6f0c3e0e-4d2b-5b8e-9a57-0b5d6c1f2a10")


# --------------------------------------------------------------------------- randomness


class Rng(random.Random):
    """``random.Random`` with the few helpers record generators need (same draws as the base class)."""

    def pick(self, seq: Sequence[T]) -> T:
        return seq[int(self.random() * len(seq))]

    def chance(self, p: float) -> bool:
        return self.random() < p

    def between(self, lo: int, hi: int) -> int:
        """Integer in [lo, hi] (inclusive)."""
        return lo + int(self.random() * (hi - lo + 1))

    def digits(self, n: int) -> str:
        return "".join(str(int(self.random() * 10)) for _ in range(n))

    def uuid(self) -> str:
        """A version-4 UUID string from this generator (same value as ``uuid.UUID(int=…, version=4)``)."""
        n = (self.getrandbits(128) & _UUID_CLEAR) | _UUID_SET
        h = f"{n:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def log_amount(self, lo_minor: int, hi_minor: int) -> int:
        """Amount between lo and hi minor units, log-uniform (many small, few large), like real invoices."""
        return int(lo_minor * math.exp(self.random() * math.log(hi_minor / lo_minor)))


def record_rng(seed: int, stream: str, index: int | str) -> Rng:
    return Rng(f"{seed}:{stream}:{index}")


def stable_uuid(seed: int, *parts: object) -> str:
    """uuid5 of ``seed:part:part…`` — stable ids for things addressed by name (exports, cases, …)."""
    return str(uuid.uuid5(_NAMESPACE, ":".join(str(p) for p in (seed, *parts))))


def stream_key(seed: int, stream: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"{seed}:{stream}".encode(), digest_size=8).digest(), "big")


_SALT = 0xD1B54A32D192ED03
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_INV53 = 1.0 / (1 << 53)


def mix64(key: int, index: int, salt: int = 0) -> int:
    """splitmix64 finalizer over (key, index, salt): a fast, well-mixed 64-bit hash."""
    x = (key ^ (index * _GOLDEN) ^ (salt * _SALT) ^ _GOLDEN) & MASK64
    x = ((x ^ (x >> 30)) * _M1) & MASK64
    x = ((x ^ (x >> 27)) * _M2) & MASK64
    return x ^ (x >> 31)


class Draws:
    """Cheap keyed draws for record ``index`` of a stream: ``draws.unit(salt)`` etc. are pure functions.

    ``Draws(key, i).u64(salt) == mix64(key, i, salt)``.
    """

    __slots__ = ("_base", "index", "key")

    def __init__(self, key: int, index: int) -> None:
        self.key = key
        self.index = index
        self._base = key ^ (index * _GOLDEN) ^ _GOLDEN

    def u64(self, salt: int) -> int:
        x = (self._base ^ (salt * _SALT)) & MASK64
        x = ((x ^ (x >> 30)) * _M1) & MASK64
        x = ((x ^ (x >> 27)) * _M2) & MASK64
        return x ^ (x >> 31)

    def unit(self, salt: int) -> float:
        return (self.u64(salt) >> 11) * _INV53

    def below(self, salt: int, n: int) -> int:
        return self.u64(salt) % n

    def between(self, salt: int, lo: int, hi: int) -> int:
        return lo + self.u64(salt) % (hi - lo + 1)

    def pick(self, salt: int, seq: Sequence[T]) -> T:
        return seq[self.u64(salt) % len(seq)]

    def weighted(self, salt: int, table: Weighted[T]) -> T:
        return table.at(self.unit(salt))

    def log_amount(self, salt: int, lo_minor: int, hi_minor: int) -> int:
        """Amount between lo and hi minor units, log-uniform (many small, few large), like real invoices."""
        return int(lo_minor * math.exp(self.unit(salt) * math.log(hi_minor / lo_minor)))


class Weighted:
    """A weighted choice table: ``Weighted([("EUR", 85), ("CHF", 8), ("USD", 7)]).at(u)`` for u in [0, 1)."""

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        self.values = [v for v, _ in pairs]
        total = float(sum(w for _, w in pairs))
        self.cumulative = [c / total for c in accumulate(w for _, w in pairs)]

    def at(self, u: float) -> T:
        return self.values[min(bisect_right(self.cumulative, u), len(self.values) - 1)]

    def pick(self, rng: random.Random) -> T:
        return self.at(rng.random())


class MonotonicSchedule:
    """Timestamps for ``n`` records spread over ``[start_ms, end_ms)`` that never decrease with the index.

    ``created(i)`` is strictly increasing, and so is ``updated(i, lag)`` (always ``>= created(i) + lag``):
    a time range then maps to an index range by bisection, which keeps filtered and sorted listing of
    100,000 records O(log n) per request. Jitter comes from a keyed hash, so both are pure and cheap.
    """

    def __init__(self, key: int, n: int, start_ms: int, end_ms: int) -> None:
        self.key = key
        self.n = max(n, 1)
        self.start = start_ms
        self.span = max(end_ms - start_ms, 2 * self.n)

    def base(self, i: int) -> int:
        return self.start + (i * self.span) // self.n

    def _gap(self, i: int) -> int:
        return self.base(i + 1) - self.base(i)

    def created(self, i: int) -> int:
        return self.base(i) + mix64(self.key, i, 1) % self._gap(i)

    def updated(self, i: int, lag_ms: int) -> int:
        gap = self._gap(i)
        jc = mix64(self.key, i, 1) % gap
        return self.base(i) + lag_ms + jc + mix64(self.key, i, 2) % (gap - jc)


# --------------------------------------------------------------------------- names, banks, tax ids

# One table per country, all of the same shape: data that lines up, not repeated code (a country is a row).
COUNTRIES: dict[str, dict] = {
    "DE": {
        "first": [
            "Anna",
            "Lukas",
            "Leonie",
            "Jonas",
            "Marie",
            "Felix",
            "Sophie",
            "Maximilian",
            "Laura",
            "Paul",
            "Julia",
            "Tobias",
            "Katharina",
            "Stefan",
            "Sabine",
            "Thomas",
            "Andrea",
            "Michael",
            "Claudia",
            "Christian",
            "Nina",
            "Florian",
            "Hannah",
            "Jan",
            "Lea",
            "Markus",
            "Miriam",
            "Sebastian",
            "Jana",
            "Matthias",
            "Franziska",
            "Alexander",
            "Birgit",
            "Daniel",
            "Ursula",
            "Jürgen",
            "Sören",
            "Jörg",
        ],
        "last": [
            "Müller",
            "Schmidt",
            "Schneider",
            "Fischer",
            "Weber",
            "Meyer",
            "Wagner",
            "Becker",
            "Schulz",
            "Hoffmann",
            "Schäfer",
            "Koch",
            "Bauer",
            "Richter",
            "Klein",
            "Wolf",
            "Schröder",
            "Neumann",
            "Schwarz",
            "Zimmermann",
            "Braun",
            "Krüger",
            "Hofmann",
            "Hartmann",
            "Lange",
            "Schmitt",
            "Werner",
            "Krause",
            "Meier",
            "Lehmann",
            "Köhler",
            "Herrmann",
            "König",
            "Walter",
            "Mayer",
            "Huber",
            "Kaiser",
            "Fuchs",
            "Peters",
            "Lang",
            "Scholz",
            "Möller",
            "Weiß",
            "Jung",
            "Hahn",
            "Vogel",
            "Friedrich",
        ],
        "company_stems": [
            "Nordlicht",
            "Rheintal",
            "Alpenblick",
            "Hanse",
            "Spree",
            "Elbe",
            "Isar",
            "Main",
            "Schwarzwald",
            "Bergmann",
            "Sonnenhof",
            "Lindner",
            "Eichenwald",
            "Weserland",
            "Ostsee",
            "Brandt",
            "Falkenstein",
            "Greif",
            "Adler",
            "Sternberg",
            "Mosel",
            "Harz",
            "Donau",
            "Westfalen",
            "Kranich",
            "Blau",
        ],
        "industries": [
            "Logistik",
            "Bürotechnik",
            "IT-Service",
            "Consulting",
            "Elektrotechnik",
            "Bau",
            "Druckerei",
            "Catering",
            "Gebäudereinigung",
            "Metallbau",
            "Verpackung",
            "Software",
            "Maschinenbau",
            "Energie",
            "Medien",
            "Personalservice",
            "Steuerberatung",
            "Facility Management",
            "Handel",
        ],
        "legal_forms": [
            ("GmbH", 55),
            ("AG", 10),
            ("GmbH & Co. KG", 15),
            ("KG", 5),
            ("e.K.", 5),
            ("SE", 2),
            ("UG (haftungsbeschränkt)", 8),
        ],
        "cities": [
            ("10115", "Berlin"),
            ("20095", "Hamburg"),
            ("80331", "München"),
            ("50667", "Köln"),
            ("60311", "Frankfurt am Main"),
            ("70173", "Stuttgart"),
            ("40213", "Düsseldorf"),
            ("04109", "Leipzig"),
            ("44135", "Dortmund"),
            ("45127", "Essen"),
            ("28195", "Bremen"),
            ("01067", "Dresden"),
            ("30159", "Hannover"),
            ("90402", "Nürnberg"),
            ("68159", "Mannheim"),
            ("53111", "Bonn"),
        ],
        "streets": [
            "Hauptstraße",
            "Bahnhofstraße",
            "Gartenweg",
            "Industriestraße",
            "Schillerstraße",
            "Goethestraße",
            "Lindenallee",
            "Am Markt",
            "Hafenstraße",
        ],
        "banks": [
            ("10010010", "PBNKDEFFXXX"),
            ("20050550", "HASPDEHHXXX"),
            ("37040044", "COBADEFFXXX"),
            ("50010517", "INGDDEFFXXX"),
            ("70150000", "SSKMDEMMXXX"),
            ("12030000", "BYLADEM1001"),
            ("43060967", "GENODEM1GLS"),
            ("60050101", "SOLADEST600"),
            ("50070010", "DEUTDEFFXXX"),
        ],
        "iban_account_digits": 10,
        "vat_rates": [19, 7, 0],
        "currency": "EUR",
    },
    "LT": {
        "first": [
            "Jonas",
            "Tomas",
            "Mantas",
            "Lukas",
            "Ieva",
            "Rūta",
            "Eglė",
            "Agnė",
            "Darius",
            "Gintarė",
            "Paulius",
            "Aistė",
            "Vytautas",
            "Justė",
            "Andrius",
            "Inga",
        ],
        "last": [
            "Kazlauskas",
            "Petrauskas",
            "Jankauskas",
            "Stankevičius",
            "Vasiliauskas",
            "Žukauskas",
            "Butkus",
            "Paulauskas",
            "Urbonas",
            "Kavaliauskas",
            "Navickas",
            "Ramanauskas",
        ],
        "company_stems": [
            "Baltijos",
            "Nemuno",
            "Vilniaus",
            "Gintaro",
            "Žalgirio",
            "Dainavos",
            "Aukštaitijos",
            "Neries",
        ],
        "industries": ["prekyba", "logistika", "statyba", "paslaugos", "technologijos", "spauda"],
        "legal_forms": [("UAB", 85), ("AB", 10), ("MB", 5)],
        "cities": [
            ("01100", "Vilnius"),
            ("44280", "Kaunas"),
            ("91100", "Klaipėda"),
            ("76280", "Šiauliai"),
            ("35100", "Panevėžys"),
        ],
        "streets": ["Gedimino pr.", "Laisvės al.", "Konstitucijos pr.", "Savanorių pr.", "Ukmergės g."],
        "banks": [
            ("73000", "HABALT22XXX"),
            ("70440", "CBVILT2XXXX"),
            ("40100", "AGBLLT2XXXX"),
            ("21400", "NDEALT2XXXX"),
        ],
        "iban_account_digits": 11,
        "vat_rates": [21, 9, 5, 0],
        "currency": "EUR",
    },
    "SE": {
        "first": [
            "Erik",
            "Lars",
            "Anna",
            "Karin",
            "Johan",
            "Maria",
            "Anders",
            "Emma",
            "Per",
            "Sara",
            "Nils",
            "Elin",
            "Oskar",
            "Linnea",
        ],
        "last": [
            "Andersson",
            "Johansson",
            "Karlsson",
            "Nilsson",
            "Eriksson",
            "Larsson",
            "Olsson",
            "Persson",
            "Svensson",
            "Gustafsson",
            "Lindberg",
            "Lindqvist",
        ],
        "company_stems": ["Norrsken", "Fjäll", "Skärgårds", "Älv", "Björk", "Gran", "Vinter", "Sjö"],
        "industries": ["Logistik", "Konsult", "Bygg", "Data", "Tryck", "Handel"],
        "legal_forms": [("AB", 90), ("HB", 5), ("KB", 5)],
        "cities": [
            ("111 20", "Stockholm"),
            ("411 04", "Göteborg"),
            ("211 22", "Malmö"),
            ("753 20", "Uppsala"),
            ("582 23", "Linköping"),
        ],
        "streets": ["Drottninggatan", "Storgatan", "Kungsgatan", "Vasagatan", "Sveavägen"],
        "banks": [("500", "ESSESESSXXX"), ("800", "SWEDSESSXXX"), ("600", "HANDSESSXXX"), ("300", "NDEASESSXXX")],
        "iban_account_digits": 17,
        "vat_rates": [25, 12, 6, 0],
        "currency": "SEK",
    },
}

_LEGAL_FORMS = {c: Weighted(v["legal_forms"]) for c, v in COUNTRIES.items()}


def person_name(rng: random.Random, country: str = "DE") -> str:
    c = COUNTRIES[country]
    first = c["first"][int(rng.random() * len(c["first"]))]
    last = c["last"][int(rng.random() * len(c["last"]))]
    if country == "LT" and first.endswith(("a", "ė")) and last.endswith("as"):
        last = last[:-2] + "ienė"  # Lithuanian married-name form for women
    return f"{first} {last}"


def company_name(rng: random.Random, country: str = "DE") -> str:
    c = COUNTRIES[country]
    stem = c["company_stems"][int(rng.random() * len(c["company_stems"]))]
    if rng.random() < 0.3:
        stem = c["last"][int(rng.random() * len(c["last"]))]
    industry = c["industries"][int(rng.random() * len(c["industries"]))]
    form = _LEGAL_FORMS[country].pick(rng)
    if country == "LT":
        return f'{form} "{stem} {industry}"'
    return f"{stem} {industry} {form}"


def city(rng: random.Random, country: str = "DE") -> tuple[str, str]:
    cities = COUNTRIES[country]["cities"]
    return cities[int(rng.random() * len(cities))]


def street_address(rng: random.Random, country: str = "DE") -> str:
    streets = COUNTRIES[country]["streets"]
    return f"{streets[int(rng.random() * len(streets))]} {1 + int(rng.random() * 120)}"


def iban_checksum(country: str, bban: str) -> str:
    rearranged = bban + country + "00"
    numeric = "".join(str(int(ch, 36)) for ch in rearranged)
    return f"{98 - int(numeric) % 97:02d}"


def iban_and_bic(rng: random.Random, country: str = "DE") -> tuple[str, str]:
    """A valid IBAN (correct mod-97 check digits, real bank codes) and the matching BIC."""
    c = COUNTRIES[country]
    bank, bic = c["banks"][int(rng.random() * len(c["banks"]))]
    account = "".join(str(int(rng.random() * 10)) for _ in range(c["iban_account_digits"]))
    bban = bank + account
    return f"{country}{iban_checksum(country, bban)}{bban}", bic


def iban_is_valid(iban: str) -> bool:
    iban = iban.replace(" ", "").upper()
    numeric = "".join(str(int(ch, 36)) for ch in iban[4:] + iban[:4])
    return int(numeric) % 97 == 1


def vat_id(rng: random.Random, country: str = "DE") -> str:
    if country == "DE":
        return "DE" + str(1 + int(rng.random() * 9)) + "".join(str(int(rng.random() * 10)) for _ in range(8))
    if country == "LT":
        return (
            "LT"
            + "".join(str(int(rng.random() * 10)) for _ in range(8))
            + "1"
            + "".join(str(int(rng.random() * 10)) for _ in range(3))
        )
    if country == "SE":
        return "SE" + "".join(str(int(rng.random() * 10)) for _ in range(10)) + "01"
    raise ValueError(f"no VAT id format for {country}")


def email_for(name: str, domain: str) -> str:
    table = str.maketrans(
        {
            "ä": "ae",
            "ö": "oe",
            "ü": "ue",
            "ß": "ss",
            "Ä": "Ae",
            "Ö": "Oe",
            "Ü": "Ue",
            "é": "e",
            "ė": "e",
            "ū": "u",
            "č": "c",
            "ž": "z",
            "š": "s",
            "å": "a",
        }
    )
    local = ".".join(part.lower().translate(table) for part in name.split())
    return f"{local}@{domain}"
