"""The account's client companies (buyers, `companycode`) and their suppliers (sellers).

An Įvesk account is usually an accounting firm: documents belong to one of its client companies, identified
by the Lithuanian legal-entity code (9 digits, `companycode`); the seller is a supplier from the document.
"""

from __future__ import annotations

from typing import NamedTuple

from ..framework.data import COUNTRIES, Rng, company_name, iban_and_bic, person_name, record_rng, street_address, vat_id


class Party(NamedTuple):
    code: str  # company code (juridinio asmens kodas) or personal id for persons
    vat: str | None
    name: str
    address: str
    country: str  # ISO-2, lower case as Įvesk sends it
    iban: str | None
    isperson: bool


# The account's client companies: (company code, VAT code, name, address).
COMPANIES: tuple[Party, ...] = (
    Party(
        "302320404",
        "LT100004993613",
        'UAB "Baltijos logistika"',
        "Savanorių pr. 178, LT-03154 Vilnius",
        "lt",
        "LT417300010123456789",
        False,
    ),
    Party(
        "304567812",
        "LT100011223314",
        'UAB "Neries technologijos"',
        "Laisvės al. 53, LT-44309 Kaunas",
        "lt",
        "LT607044060007654321",
        False,
    ),
    Party(
        "110053842",
        "LT100538421219",
        'AB "Gintaro prekyba"',
        "Taikos pr. 61, LT-91182 Klaipėda",
        "lt",
        "LT284010051000123456",
        False,
    ),
)
COMPANY_CODES = tuple(c.code for c in COMPANIES)
COMPANY_BY_CODE = {c.code: c for c in COMPANIES}
#: each company's share of the documents: the three above 50/30/20 %, every further one 10, 15 or 20
SHARES = (50, 30, 20)

SUPPLIER_COUNT = 150
_FOREIGN = ("DE", "SE")
_POSTCODE_PREFIX = {"LT": "LT-", "DE": "", "SE": "SE-"}


def _ascii(text: str) -> str:
    table = str.maketrans("ąčęėįšųūžĄČĘĖĮŠŲŪŽäöüßåÄÖÜÅé", "aceeisuuzACEEISUUZaousaAOUAe")
    return text.translate(table).replace("ß", "ss")


def nameascii(name: str) -> str:
    return _ascii(name)


def supplier(seed: int, index: int) -> Party:
    """Supplier ``index`` (0..SUPPLIER_COUNT-1): mostly Lithuanian companies, some foreign, a few persons."""
    rng: Rng = record_rng(seed, "ivesk-supplier", index)
    country = "LT" if rng.random() < 0.85 else rng.pick(_FOREIGN)
    isperson = country == "LT" and rng.random() < 0.06
    if isperson:  # individual activity (individuali veikla): personal code, usually no VAT code
        name = person_name(rng, "LT")
        code = rng.pick("34") + rng.digits(10)
        vat = None
    else:
        name = company_name(rng, country)
        code = ("30" + rng.digits(7)) if country == "LT" else rng.digits(9)
        vat = vat_id(rng, country)
    postcode, town = COUNTRIES[country]["cities"][int(rng.random() * len(COUNTRIES[country]["cities"]))]
    address = f"{street_address(rng, country)}, {_POSTCODE_PREFIX[country]}{postcode} {town}"
    iban = iban_and_bic(rng, country)[0] if rng.random() < 0.9 else None
    return Party(code, vat, name, address, country.lower(), iban, isperson)


def _client_company(k: int, taken: set[str]) -> Party:
    """Client company ``k`` after the three fixed ones: a Lithuanian company with a code and name of its own."""
    rng: Rng = record_rng(0, "ivesk-client-company", k)
    code, name = "30" + rng.digits(7), company_name(rng, "LT")
    while code in taken or name in taken:
        code, name = "30" + rng.digits(7), company_name(rng, "LT")
    postcode, town = COUNTRIES["LT"]["cities"][int(rng.random() * len(COUNTRIES["LT"]["cities"]))]
    address = f"{street_address(rng, 'LT')}, LT-{postcode} {town}"
    return Party(code, "LT1" + rng.digits(11), name, address, "lt", iban_and_bic(rng, "LT")[0], False)


def client_companies(count: int) -> tuple[Party, ...]:
    """The account's ``count`` client companies: the three fixed ones first (fewer when ``count`` < 3), then
    generated ones (the same codes and names for the same ``k``, whatever ``count`` is)."""
    out = list(COMPANIES[:count])
    taken = {c.code for c in COMPANIES} | {c.name for c in COMPANIES}
    for k in range(len(COMPANIES), count):
        company = _client_company(k, taken)
        taken |= {company.code, company.name}
        out.append(company)
    return tuple(out)


def company_shares(count: int) -> tuple[int, ...]:
    """The weights of ``count`` companies in the documents (SHARES, then 10, 15, 20, 10, …)."""
    return tuple(SHARES[k] if k < len(SHARES) else 10 + 5 * (k % 3) for k in range(count))
