"""Code lists (`GET /columns/{companyCode}?column=…`): allocation accounts, departments, warehouses, objects.

Each company has its own lists. Items are ``{code, description, modifiedat}``; seeded ones get a fixed
``modifiedat`` in 2025–2026, and admin changes (``POST /_sandbox/ivesk/columns``) rewrite a description or
add a code with ``modifiedat`` = now.
"""

from __future__ import annotations

from ..framework.data import mix64, stream_key
from ..framework.timeutil import DAY_MS, ms_of

ALLOCATIONS = (
    ("6110", "Parduotų prekių savikaina"),
    ("6304", "Ryšių sąnaudos"),
    ("6305", "Transporto sąnaudos"),
    ("6306", "Komandiruočių sąnaudos"),
    ("6307", "Patalpų nuomos sąnaudos"),
    ("6308", "Komunalinės paslaugos"),
    ("6309", "Kanceliarinės prekės"),
    ("6310", "Reklamos sąnaudos"),
    ("6311", "Reprezentacinės sąnaudos"),
    ("6312", "Mokymų sąnaudos"),
    ("6313", "Draudimo sąnaudos"),
    ("6314", "IT paslaugos"),
    ("6315", "Buhalterinės apskaitos paslaugos"),
    ("6316", "Teisinės paslaugos"),
    ("6317", "Remonto sąnaudos"),
    ("6318", "Kuro sąnaudos"),
    ("6319", "Banko paslaugos"),
    ("6320", "Prenumeratos ir licencijos"),
    ("6321", "Darbo saugos priemonės"),
    ("6322", "Pašto ir kurjerių paslaugos"),
)
DEPARTMENTS = (
    ("ADM", "Administracija"),
    ("PARD", "Pardavimai"),
    ("LOG", "Logistika"),
    ("IT", "Informacinės technologijos"),
    ("FIN", "Finansai"),
    ("GAM", "Gamyba"),
    ("VLN", "Vilniaus filialas"),
    ("KNS", "Kauno filialas"),
    ("KLP", "Klaipėdos filialas"),
    ("RINK", "Rinkodara"),
    ("PERS", "Personalas"),
    ("SAN", "Sandėliavimas"),
)
WAREHOUSES = (
    ("C01", "Centrinis sandėlis"),
    ("VLN-1", "Vilniaus sandėlis"),
    ("KNS-1", "Kauno sandėlis"),
    ("KLP-1", "Klaipėdos uosto sandėlis"),
    ("TRANZ", "Tranzitas"),
)
SEED_START = ms_of(2025, 1, 1)
SEED_SPAN = 600 * DAY_MS


def _items_for(column: str, company_index: int) -> list[tuple[str, str | None]]:
    if column == "allocation":
        base = list(ALLOCATIONS)
        # sub-accounts per department, more for bigger companies: 60, 75 and 90 codes
        wanted = 60 + 15 * company_index
        subs = [
            (f"{code}.{n:02d}", f"{text} ({dept_text.lower()})")
            for n, (dept, dept_text) in enumerate(DEPARTMENTS, start=1)
            for code, text in ALLOCATIONS
        ]
        return sorted(base + subs[: wanted - len(base)])
    if column == "department":
        return sorted(DEPARTMENTS[: 9 + company_index])
    if column == "warehouse":
        return sorted(WAREHOUSES[: 3 + company_index])
    if column == "object":
        return [
            (f"P-2025-{n:03d}", None if n % 4 == 0 else f"Projektas Nr. {n}") for n in range(1, 16 + 4 * company_index)
        ]
    raise KeyError(column)


def seeded_items(seed: int, company_index: int, column: str) -> list[dict]:
    """The seeded list, sorted by code: ``[{code, description?, modifiedat_ms}]``."""
    key = stream_key(seed, f"ivesk-columns:{company_index}:{column}")
    out = []
    for n, (code, description) in enumerate(_items_for(column, company_index)):
        item: dict = {"code": code, "modifiedat_ms": SEED_START + mix64(key, n) % SEED_SPAN}
        if description is not None:
            item["description"] = description
        out.append(item)
    return out
