"""Candis emulator settings and the sandbox credentials."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..framework.config import RESET_HINT_SEED_SCALE, SandboxConfig

# Sandbox credentials (documented in sandbox/README.md).
CLIENT_ID = "sandbox-client"
CLIENT_SECRET = "sandbox-secret"
INITIAL_REFRESH_TOKEN = "sandbox-refresh-token"
ORGANIZATION_ID = "alpha-organization"
ORGANIZATION_NAME = "Alpha Handels GmbH"
# A second organization the token may NOT read (403 FORBIDDEN), unless it is one of `organizations`.
OTHER_ORGANIZATION_ID = "beta-organization"
OTHER_ORGANIZATION_NAME = "Beta Logistik AG"
#: the names of the organizations known by slug (any other slug gets a generated name, state.py)
ORGANIZATIONS = {ORGANIZATION_ID: ORGANIZATION_NAME, OTHER_ORGANIZATION_ID: OTHER_ORGANIZATION_NAME}
#: the slugs `sandbox serve --candis-tenants N` gives its N organizations, after `alpha-organization` (beta is
#: left out, so it stays the organization no token may read), then organization-022, organization-023, ...
_GREEK = "alpha gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau upsilon phi chi"
TENANT_SLUGS = tuple(f"{letter}-organization" for letter in _GREEK.split())
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")

REALM_PATH = "/auth/realms/candis"
TOKEN_PATH = f"{REALM_PATH}/protocol/openid-connect/token"
SCOPE = "exports core_data offline_access"
ARCHIVE_BASE = "https://my.candis.io"
MAX_LIMIT = 50
DEFAULT_LIMIT = 50


def tenant_slugs(count: int) -> list[str]:
    """The slugs of ``count`` organizations (``sandbox serve --candis-tenants``), ``alpha-organization`` first."""
    return [TENANT_SLUGS[k] if k < len(TENANT_SLUGS) else f"organization-{k + 1:03d}" for k in range(count)]


def initial_refresh_token(slug: str, organizations: Sequence[str] = (ORGANIZATION_ID,)) -> str:
    """The initial refresh token of organization ``slug`` among ``organizations`` (pass the config's list):
    ``INITIAL_REFRESH_TOKEN`` for the first, ``f"{INITIAL_REFRESH_TOKEN}-{slug}"`` for the others."""
    return INITIAL_REFRESH_TOKEN if organizations and slug == organizations[0] else f"{INITIAL_REFRESH_TOKEN}-{slug}"


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
    # The organizations (slugs), each with its own data, refresh token and rate-limit budget; the first keeps
    # `seed` and `scale` (multi-tenant mode: sandbox/README.md).
    organizations: list[str] = field(default_factory=lambda: [ORGANIZATION_ID])

    RUNTIME = ("token_lifetime", "refresh_lifetime", "export_delay", "rate_limit", "refresh_token_reuse")
    RESET_HINT = RESET_HINT_SEED_SCALE
    TENANT_SETTINGS = ("organizations",)

    def __post_init__(self) -> None:
        if self.scale < 0:
            raise ValueError("scale must be >= 0")
        if self.scale >= 50_000_000:
            raise ValueError("scale must be < 50,000,000")
        self.organizations = list(self.organizations)
        if not self.organizations or len(set(self.organizations)) != len(self.organizations):
            raise ValueError("organizations must be a non-empty list of distinct slugs")
        bad = [s for s in self.organizations if not isinstance(s, str) or not _SLUG.match(s) or s == "info"]
        if bad:
            raise ValueError(f"organization slugs are lower-case letters, digits and '-', not 'info' (got {bad[0]!r})")

    @classmethod
    def tenant_settings(cls, count: int) -> dict[str, Any]:
        return {"organizations": tenant_slugs(count)}

    def initial_refresh_tokens(self) -> dict[str, str]:
        """Each organization's initial refresh token (:func:`initial_refresh_token`), by slug."""
        return {slug: initial_refresh_token(slug, self.organizations) for slug in self.organizations}
