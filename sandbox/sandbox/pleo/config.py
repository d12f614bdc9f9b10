"""Pleo emulator settings, the sandbox credentials and the companies it holds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ..framework.config import SandboxConfig

# Sandbox credentials (documented in sandbox/README.md).
API_KEY = "plp_sandbox_0rg4n1s4t10n_k3y"  # organization-scoped API key: HTTP Basic user, empty password
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


COMPANIES = (
    Company(
        "9b2f6a3c-1d4e-4f7a-8b9c-0a1b2c3d4e51",
        "Nordlys Design ApS",
        "DK",
        "DKK",
        "DK38475612",
        (25, 0),
        "Europe/Copenhagen",
    ),
    Company(
        "9b2f6a3c-1d4e-4f7a-8b9c-0a1b2c3d4e52",
        "Skärgårds Konsult AB",
        "SE",
        "SEK",
        "SE556677889901",
        (25, 12, 6, 0),
        "Europe/Stockholm",
    ),
    Company(
        "9b2f6a3c-1d4e-4f7a-8b9c-0a1b2c3d4e53",
        "Hanse Logistik GmbH",
        "DE",
        "EUR",
        "DE284719365",
        (19, 7, 0),
        "Europe/Berlin",
    ),
)
COMPANY_BY_ID = {c.id: c for c in COMPANIES}
DEFAULT_COMPANY_ID = COMPANIES[0].id

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

    RUNTIME = ("token_lifetime", "job_expires_in", "rate_limit", "file_url_lifetime")
    DATA_SETTINGS = ("seed", "scale", "open_job_size")

    def __post_init__(self) -> None:
        if self.scale < 0 or self.scale >= 10_000_000:
            raise ValueError("scale must be between 0 and 10,000,000")

    @property
    def pending_job_size(self) -> int:
        return self.open_job_size or min(40, self.scale // 5)
