"""Pleo emulator settings, the sandbox credentials and the companies it holds."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..framework.config import SandboxConfig, check_between

# Sandbox credentials (documented in sandbox/README.md).
API_KEY = "plp_sandbox_0rg4n1s4t10n_k3y"  # organization-scoped API key: HTTP Basic user, empty password
#: a company-scoped API key is this prefix + the company id (company_api_key); it reads only that company
COMPANY_KEY_PREFIX = "plp_sandbox_c0mp4ny_k3y_"
CLIENT_ID = "sandbox-pleo-client"
CLIENT_SECRET = "sandbox-pleo-secret"
INITIAL_REFRESH_TOKEN = "sandbox-pleo-refresh-token"
TOKEN_PATH = "/oauth/token"  # production: https://auth.pleo.io/oauth/token (its own host)
#: pre-signed receipt downloads (standing in for Pleo's storage host; no API credentials)
FILE_PREFIX = "/_files/receipts/"
SCOPES = (
    "export-jobs:read export-jobs:write export-items:read accounts:read companies:read "
    "tax-codes:read tag-groups:read users:read"
)

ORGANIZATION_ID = "4f1c2a9e-6b1d-4c55-9d7e-0e3a5b7c9d21"


@dataclass(frozen=True)
class Company:
    id: str
    name: str
    country: str  # ISO 3166 alpha-2
    currency: str
    vat_id: str
    vat_rates: tuple[int, ...]  # percent, standard first
    tz: str
    domain: str  # of the employees' e-mail addresses


COMPANIES = (
    Company(
        "9b2f6a3c-1d4e-4f7a-8b9c-0a1b2c3d4e51",
        "Nordlys Design ApS",
        "DK",
        "DKK",
        "DK38475612",
        (25, 0),
        "Europe/Copenhagen",
        "nordlys.dk",
    ),
    Company(
        "9b2f6a3c-1d4e-4f7a-8b9c-0a1b2c3d4e52",
        "Skärgårds Konsult AB",
        "SE",
        "SEK",
        "SE556677889901",
        (25, 12, 6, 0),
        "Europe/Stockholm",
        "skargardskonsult.se",
    ),
    Company(
        "9b2f6a3c-1d4e-4f7a-8b9c-0a1b2c3d4e53",
        "Hanse Logistik GmbH",
        "DE",
        "EUR",
        "DE284719365",
        (19, 7, 0),
        "Europe/Berlin",
        "hanse-logistik.de",
    ),
)
COMPANY_BY_ID = {c.id: c for c in COMPANIES}
DEFAULT_COMPANY_ID = COMPANIES[0].id

# The companies after the three above (multi-tenant mode): in turn Danish, Swedish, German, with the
# currency, VAT rates and time zone of the fixed company of their country and a name from these parts.
_NAME_PARTS = {
    "DK": (
        ("Fjord", "Havbrise", "Kystlys", "Lyngbo", "Skovly", "Bølge"),
        ("Design", "Rådgivning", "Byg", "Data"),
        "ApS",
    ),
    "SE": (
        ("Fjällvind", "Älvdal", "Skogsö", "Ljung", "Granit", "Vågbrott"),
        ("Konsult", "Media", "Bygg", "Data"),
        "AB",
    ),
    "DE": (
        ("Elbufer", "Rheinblick", "Nordlicht", "Heide", "Alster", "Brücken"),
        ("Logistik", "Technik", "Bau", "Daten"),
        "GmbH",
    ),
}
_VAT_DIGITS = {"DK": 8, "SE": 10, "DE": 9}  # Swedish VAT numbers end in 01


def company_id(k: int) -> str:
    """The id of company ``k`` (0-based): the three fixed ones end in 4e51..4e53, the next count on."""
    return f"9b2f6a3c-1d4e-4f7a-8b9c-0a1b2c3d{0x4E51 + k:04x}"


def _generated_company(k: int) -> Company:
    like = COMPANIES[k % 3]
    country = like.country
    stems, trades, form = _NAME_PARTS[country]
    j = k // 3 - 1  # the how-manieth generated company of its country
    name = f"{stems[j % len(stems)]} {trades[(j // len(stems)) % len(trades)]}"
    if j >= len(stems) * len(trades):
        name += f" {j // (len(stems) * len(trades)) + 1}"
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    digits = str(int(hashlib.sha256(f"pleo-company:{k}".encode()).hexdigest(), 16))[: _VAT_DIGITS[country]]
    return Company(
        company_id(k),
        f"{name} {form}",
        country,
        like.currency,
        f"{country}{digits}{'01' if country == 'SE' else ''}",
        like.vat_rates,
        like.tz,
        f"{ascii_name.replace(' ', '-')}.{country.lower()}",
    )


def pleo_companies(count: int) -> tuple[Company, ...]:
    """The organization's ``count`` companies: the fixed three first (fewer when ``count`` < 3), then generated."""
    return tuple(COMPANIES[k] if k < len(COMPANIES) else _generated_company(k) for k in range(count))


def company_api_key(company_id: str) -> str:
    """The company-scoped API key of a company (HTTP Basic user name, empty password)."""
    return COMPANY_KEY_PREFIX + company_id


WEB_BASE = "https://app.pleo.io"
DEFAULT_LIMIT = 20  # Pleo's default page size
MAX_LIMIT = 100
MAX_ITEMS_PER_UPDATE = 100


@dataclass
class PleoConfig(SandboxConfig):
    seed: int = 42
    scale: int = 200  # accounting entries per company (export history, open queue, one pending job)
    token_lifetime: int = 3600  # access token seconds
    job_expires_in: int = 3600  # [I] an open export job expires this long after its last action
    open_job_size: int = 0  # items of the pending job seeded per company; 0 = min(40, scale // 5)
    rate_limit: int = 500  # requests per rolling minute per organization; 0 disables
    file_url_lifetime: int = 86400  # pre-signed file URLs are valid 24 h
    clock: Callable[[], datetime] | None = None
    # the organization's companies, each with `scale` entries of its own (multi-tenant mode: sandbox/README.md)
    companies: int = len(COMPANIES)

    RUNTIME = ("token_lifetime", "job_expires_in", "rate_limit", "file_url_lifetime")
    DATA_SETTINGS = ("seed", "scale", "open_job_size")
    TENANT_SETTINGS = ("companies",)

    def __post_init__(self) -> None:
        if self.scale < 0 or self.scale >= 10_000_000:
            raise ValueError("scale must be between 0 and 10,000,000")
        check_between("companies", self.companies, 1, 4096)

    @classmethod
    def tenant_settings(cls, count: int) -> dict[str, Any]:
        return {"companies": count}

    @property
    def pending_job_size(self) -> int:
        return self.open_job_size or min(40, self.scale // 5)
