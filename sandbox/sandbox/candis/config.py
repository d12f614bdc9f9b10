"""Candis emulator settings and the sandbox credentials."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ..framework.config import RESET_HINT_SEED_SCALE, SandboxConfig

# Sandbox credentials (documented in sandbox/README.md).
CLIENT_ID = "sandbox-client"
CLIENT_SECRET = "sandbox-secret"
INITIAL_REFRESH_TOKEN = "sandbox-refresh-token"
ORGANIZATION_ID = "alpha-organization"
ORGANIZATION_NAME = "Alpha Handels GmbH"
# A second organization the token may NOT read (403 FORBIDDEN).
OTHER_ORGANIZATION_ID = "beta-organization"
OTHER_ORGANIZATION_NAME = "Beta Logistik AG"
ORGANIZATIONS = {ORGANIZATION_ID: ORGANIZATION_NAME, OTHER_ORGANIZATION_ID: OTHER_ORGANIZATION_NAME}

REALM_PATH = "/auth/realms/candis"
TOKEN_PATH = f"{REALM_PATH}/protocol/openid-connect/token"
SCOPE = "exports core_data offline_access"
ARCHIVE_BASE = "https://my.candis.io"
MAX_LIMIT = 50
DEFAULT_LIMIT = 50


@dataclass
class CandisConfig(SandboxConfig):
    seed: int = 42
    scale: int = 200  # records per stream (successful historical postings, reimbursement items, invoices, …)
    token_lifetime: int = 1209600  # access token seconds (~14 days, as Candis' Keycloak)
    refresh_lifetime: int = 15551995  # refresh token seconds (~180 days)
    export_delay: float = 2.0  # seconds an export created via POST stays EXPORTING
    rate_limit: int = 500  # requests per rolling minute per organization; 0 disables
    # Whether a refresh token keeps working after it was used. Candis' behaviour is unknown ([I]); the
    # strict reading (each refresh spends the token and returns a new one) is the default.
    refresh_token_reuse: bool = False
    clock: Callable[[], datetime] | None = None  # returns an aware UTC datetime; None = real time

    RUNTIME = ("token_lifetime", "refresh_lifetime", "export_delay", "rate_limit", "refresh_token_reuse")
    RESET_HINT = RESET_HINT_SEED_SCALE

    def __post_init__(self) -> None:
        if self.scale < 0:
            raise ValueError("scale must be >= 0")
        if self.scale >= 50_000_000:
            raise ValueError("scale must be < 50,000,000")
