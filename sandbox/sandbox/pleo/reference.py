"""Pleo reference data per company: chart of accounts, tax codes, tag groups and tags, employees, teams,
vendors. Small and fixed per (seed, company), so it is built once and kept in memory.

Records hold the fields of Pleo's published models (``BookkeepingAccountRestModelV1``, ``TaxCodeModel``,
``TagGroupModel``, ``TagModel``, ``ExternalEmployeeResponseModel``, ``VendorResponse``); keys starting with
``_`` are the emulator's own (what the export payload needs: an account's kind, a tag's group code, an
employee's team, a vendor's merchant category) and are never served (:func:`public`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..framework.data import COUNTRIES, email_for, record_rng
from ..framework.timeutil import iso_ms, ms_of
from .config import Company
from .ids import ref_id

# (code, name, kind) per country; the last "liability" account is the contra account of card spend. The three
# charts share their layout on purpose (VENDORS name expense accounts by position): alike as data, not as code.
ACCOUNTS = {
    "DK": [
        ("2210", "Rejseudgifter", "expense"),
        ("2230", "Repræsentation", "expense"),
        ("2800", "Kontorartikler", "expense"),
        ("2850", "Software og abonnementer", "expense"),
        ("2870", "Telefon og internet", "expense"),
        ("2300", "Kørselsgodtgørelse", "expense"),
        ("2750", "Småanskaffelser", "expense"),
        ("7250", "Bankgebyrer", "expense"),
        ("14610", "Købsmoms", "asset"),
        ("14620", "Moms af EU-køb", "liability"),
        ("5820", "Pleo-konto", "liability"),
    ],
    "SE": [
        ("5800", "Resekostnader", "expense"),
        ("6071", "Representation, avdragsgill", "expense"),
        ("6110", "Kontorsmateriel", "expense"),
        ("6540", "IT-tjänster", "expense"),
        ("6212", "Mobiltelefon", "expense"),
        ("7331", "Skattefria bilersättningar", "expense"),
        ("5410", "Förbrukningsinventarier", "expense"),
        ("6570", "Bankkostnader", "expense"),
        ("2640", "Ingående moms", "asset"),
        ("2614", "Utgående moms omvänd skattskyldighet", "liability"),
        ("1930", "Pleo-konto", "liability"),
    ],
    "DE": [
        ("4660", "Reisekosten Arbeitnehmer", "expense"),
        ("4650", "Bewirtungskosten", "expense"),
        ("4930", "Bürobedarf", "expense"),
        ("4964", "Software und Lizenzen", "expense"),
        ("4920", "Telefon", "expense"),
        ("4663", "Fahrtkosten Arbeitnehmer", "expense"),
        ("4985", "Werkzeuge und Kleingeräte", "expense"),
        ("4970", "Nebenkosten des Geldverkehrs", "expense"),
        ("1576", "Abziehbare Vorsteuer 19 %", "asset"),
        ("1787", "Umsatzsteuer nach § 13b UStG", "liability"),
        ("1360", "Geldtransit Pleo", "liability"),
    ],
}
TAG_GROUPS = {
    "DK": [
        ("AFD", "Afdeling", ["Salg", "Marketing", "Udvikling", "Administration", "Drift"]),
        ("PRJ", "Projekt", ["Kunde Aarhus", "Messe København", "Website 2025", "Intern"]),
    ],
    "SE": [
        ("AVD", "Avdelning", ["Försäljning", "Marknad", "Utveckling", "Ekonomi"]),
        ("PRJ", "Projekt", ["Kund Göteborg", "Mässa Stockholm", "Intern"]),
    ],
    "DE": [
        ("KST", "Kostenstelle", ["Vertrieb", "Marketing", "Entwicklung", "Verwaltung", "Lager"]),
        ("PRJ", "Projekt", ["Kunde Hamburg", "Messe München", "Relaunch 2025", "Intern"]),
    ],
}
# The names Pleo's seeded employees are drawn from (the Swedish surnames are framework.data's: one list of them).
FIRST = {
    "DK": ["Mette", "Lars", "Sofie", "Mads", "Freja", "Rasmus", "Ida", "Søren", "Anne", "Jesper", "Camilla", "Niels"],
    "SE": ["Erik", "Anna", "Johan", "Karin", "Oskar", "Linnea", "Per", "Sara", "Nils", "Elin", "Anders", "Maria"],
    "DE": [
        "Anna",
        "Lukas",
        "Leonie",
        "Jonas",
        "Sabine",
        "Jürgen",
        "Katharina",
        "Sören",
        "Miriam",
        "Tobias",
        "Birgit",
        "Felix",
    ],
}
LAST = {
    "DK": [
        "Jensen",
        "Nielsen",
        "Hansen",
        "Pedersen",
        "Andersen",
        "Christensen",
        "Larsen",
        "Sørensen",
        "Rasmussen",
        "Jørgensen",
    ],
    "SE": COUNTRIES["SE"]["last"],
    "DE": ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schäfer", "Köhler"],
}
TEAMS = {
    "DK": ["Salg", "Udvikling", "Administration"],
    "SE": ["Försäljning", "Utveckling", "Ekonomi"],
    "DE": ["Vertrieb", "Entwicklung", "Verwaltung"],
}
# (name, country, MCC, default currency, expense account index, tax id prefix)
VENDORS = [
    ("Scandinavian Airlines", "SE", "3058", "SEK", 0),
    ("DSB", "DK", "4112", "DKK", 0),
    ("Deutsche Bahn", "DE", "4112", "EUR", 0),
    ("Lufthansa", "DE", "3008", "EUR", 0),
    ("Scandic Hotels", "SE", "3640", "SEK", 0),
    ("Hotel Adlon", "DE", "7011", "EUR", 0),
    ("Restaurant Noma", "DK", "5812", "DKK", 1),
    ("Vapiano", "DE", "5812", "EUR", 1),
    ("Espresso House", "SE", "5814", "SEK", 1),
    ("Staples", "DE", "5111", "EUR", 2),
    ("Lyreco", "DK", "5111", "DKK", 2),
    ("Clas Ohlson", "SE", "5251", "SEK", 6),
    ("Slack Technologies", "US", "5734", "USD", 3),
    ("Atlassian", "AU", "5734", "USD", 3),
    ("Adobe", "IE", "5734", "EUR", 3),
    ("Telia", "SE", "4814", "SEK", 4),
    ("Telekom Deutschland", "DE", "4814", "EUR", 4),
    ("TDC Erhverv", "DK", "4814", "DKK", 4),
    ("Circle K", "DK", "5541", "DKK", 5),
    ("Aral", "DE", "5541", "EUR", 5),
    ("Preem", "SE", "5541", "SEK", 5),
    ("IKEA", "SE", "5712", "SEK", 6),
    ("Amazon EU", "LU", "5942", "EUR", 6),
    ("Google Ireland", "IE", "7311", "EUR", 3),
]
CREATED = ms_of(2023, 11, 1, 9, 0, 0)
#: the accounting system each company's Pleo is connected to ([I] one per country)
SYSTEMS = {"DK": "e-conomic", "SE": "fortnox", "DE": "datev"}


@dataclass
class CompanyRefs:
    company: Company
    accounts: list[dict[str, Any]] = field(default_factory=list)
    tax_codes: list[dict[str, Any]] = field(default_factory=list)
    tag_groups: list[dict[str, Any]] = field(default_factory=list)
    tags: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # group id -> tags
    employees: list[dict[str, Any]] = field(default_factory=list)
    teams: list[dict[str, Any]] = field(default_factory=list)
    vendors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def expense_accounts(self) -> list[dict[str, Any]]:
        return [a for a in self.accounts if a["_kind"] == "expense"]

    @property
    def contra_account(self) -> dict[str, Any]:
        return self.accounts[-1]

    def all_tags(self) -> list[dict[str, Any]]:
        return [t for g in self.tag_groups for t in self.tags[g["id"]]]


def build_refs(seed: int, company_index: int, company: Company) -> CompanyRefs:
    c = company.country
    refs = CompanyRefs(company)
    created = iso_ms(CREATED + company_index * 3_600_000)

    def rid(kind: int, n: int) -> str:
        return ref_id(seed, company_index, kind, n)

    for n, (code, name, kind) in enumerate(ACCOUNTS[c]):
        refs.accounts.append(
            {
                "id": rid(1, n),
                "companyId": company.id,
                "code": code,
                "name": name,
                "externalId": f"{c}-{code}",
                "archived": False,
                "metadata": {},
                "taxCodeExternalId": f"I{company.vat_rates[0]}" if kind == "expense" else None,
                "_kind": kind,
            }
        )
    purchase_vat = next(a for a in refs.accounts if a["_kind"] == "asset")
    reverse_vat = next(a for a in refs.accounts if a["_kind"] == "liability")
    for n, rate in enumerate(company.vat_rates):
        label = {"DK": "Købsmoms", "SE": "Ingående moms", "DE": "Vorsteuer"}[c]
        refs.tax_codes.append(
            {
                "id": rid(2, n),
                "companyId": company.id,
                "code": f"I{rate}" if rate else "E0",
                "name": f"{label} {rate} %" if rate else {"DK": "Momsfri", "SE": "Momsfri", "DE": "Steuerfrei"}[c],
                "rate": rate / 100 if rate % 100 else rate // 100,
                "type": "inclusive",
                "ingoingTaxAccount": purchase_vat["code"] if rate else None,
                "outgoingTaxAccount": None,
                "archived": False,
                "accountingIntegrationSystem": SYSTEMS[c],
                "createdAt": created,
                "updatedAt": created,
            }
        )
    std = company.vat_rates[0]
    refs.tax_codes.append(
        {
            "id": rid(2, 90),
            "companyId": company.id,
            "code": f"RC{std}",
            "name": {
                "DK": "Omvendt betalingspligt EU",
                "SE": "Omvänd skattskyldighet EU",
                "DE": "Reverse Charge § 13b UStG",
            }[c],
            "rate": std / 100,
            "type": "reverse",
            "ingoingTaxAccount": purchase_vat["code"],
            "outgoingTaxAccount": reverse_vat["code"],
            "archived": False,
            "accountingIntegrationSystem": SYSTEMS[c],
            "createdAt": created,
            "updatedAt": created,
        }
    )
    for g, (code, name, values) in enumerate(TAG_GROUPS[c]):
        gid = rid(3, g)
        refs.tag_groups.append(
            {
                "id": gid,
                "companyId": company.id,
                "code": code,
                "name": name,
                "archived": False,
                "metadata": {},
                "createdAt": created,
                "updatedAt": created,
            }
        )
        refs.tags[gid] = [
            {
                "id": rid(4, g * 100 + n),
                "groupId": gid,
                "code": f"{code}{n + 1:02d}",
                "name": value,
                "archived": False,
                "createdAt": created,
                "updatedAt": created,
                "_groupCode": code,
            }
            for n, value in enumerate(values)
        ]
    for n, name in enumerate(TEAMS[c]):
        refs.teams.append({"id": rid(5, n), "name": name, "code": f"T{n + 1}"})
    domain = company.domain
    for n in range(12):
        rng = record_rng(seed, f"pleo:employee:{company_index}", n)
        first, last = rng.pick(FIRST[c]), rng.pick(LAST[c])
        team = refs.teams[n % len(refs.teams)]
        refs.employees.append(
            {
                "id": rid(6, n),
                "companyId": company.id,
                "firstName": first,
                "lastName": last,
                "email": email_for(f"{first} {last}", domain),
                "code": f"E{100 + n}",
                "jobTitle": "CEO" if n == 0 else ("Bookkeeper" if n == 1 else team["name"]),
                **({"phone": f"+{ {'DK': 45, 'SE': 46, 'DE': 49}[c] } {20000000 + n * 7919}"} if n % 3 == 0 else {}),
                "_teamId": team["id"],
            }
        )
    for n, (name, country, mcc, currency, _) in enumerate(VENDORS):
        refs.vendors.append(
            {
                "id": rid(7, n),
                "companyId": company.id,
                "name": name,
                "defaultCurrency": currency,
                "country": country,
                "code": f"V{1000 + n}",
                "state": "ACTIVE",
                "externalId": f"{SYSTEMS[c]}:{70000 + n}",
                "accountingSystem": SYSTEMS[c],
                **({"registrationNumber": f"{(seed * 31 + n * 7727) % 10**8:08d}"} if country == c else {}),
                "taxRegistrationNumber": f"{country}{(seed * 7919 + n * 104729) % 10**9:09d}",
                "createdAt": created,
                "updatedAt": created,
                "_categoryCode": mcc,
            }
        )
    return refs


def public(record: dict[str, Any]) -> dict[str, Any]:
    """A reference record as Pleo serves it: without the emulator's own ``_`` keys."""
    return {k: v for k, v in record.items() if not k.startswith("_")}


def build_all(seed: int, companies: tuple[Company, ...]) -> list[CompanyRefs]:
    return [build_refs(seed, i, company) for i, company in enumerate(companies)]
