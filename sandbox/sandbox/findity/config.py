"""Findity emulator settings and the sandbox credentials."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..framework.config import SandboxConfig

# Sandbox credentials (documented in sandbox/README.md). IDs are 32-char hex, as Findity's.
CLIENT_ID = "sandbox-findity-client"
CLIENT_SECRET = "sandbox-findity-secret"
ORGANIZATION_ID = "8ab28c4f8499e01c01849e2631a107a9"
ORGANIZATION_NAME = "Norrsken Konsult AB"
EXTERNAL_ORGANIZATION_ID = "My1234"
CLIENT_APPLICATION_ID = "16200214"
RECIPIENT_ID = "5f0c7d2a9b8e4c1d8a6f3e2b1c0d9e8f"
RECIPIENT_NAME = "Bokföring (API)"

API_PREFIX = "/api"  # what the tap calls api_url ends here: {base}/api
CONNECT = f"{API_PREFIX}/v1/connect/organizations/{{organizationId}}"
TOKEN_PATH = "/oauth/token"  # not under /api: the token URL is a separate setting

#: verificationListsType values (Findity's voucher output formats), accounting formats first.
ACCOUNTING_FORMATS = ("REPORT_PER_EXPENSE", "REPORT_PER_ACCOUNT", "USER_PER_EXPENSE", "USER_PER_ACCOUNT", "EXPENSE")
PAID_FORMATS = ("REPORT_PER_REPORT_PAID", "USER_PER_REPORT_PAID", "REPORT_PER_EXPENSE_PAID")
FORMATS = ACCOUNTING_FORMATS + PAID_FORMATS
ENVELOPES = ("array", "envelope")
_ORGANIZATION_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def tenant_organization_ids(count: int) -> list[str]:
    """The ids of ``count`` organizations (``sandbox serve --findity-tenants``): ``ORGANIZATION_ID`` first, then
    32-character hex ids of their own."""
    return [
        ORGANIZATION_ID if k == 0 else hashlib.sha256(f"findity-organization:{k}".encode()).hexdigest()[:32]
        for k in range(count)
    ]


@dataclass
class FindityConfig(SandboxConfig):
    seed: int = 42
    scale: int = 200  # approved expense reports (READY_TO_SEND) the organization starts with
    initial_exports: int = 8  # exports already sent at start (formats cycle through FORMATS)
    export_size: int = 10  # reports per initial export (and default of a bulk send)
    token_lifetime: int = 3600  # access-token seconds (Findity: about an hour)
    refresh_token_reuse: bool = False  # refresh tokens are single use ([C]); True lets them be reused
    verification_lists_type: str = "REPORT_PER_EXPENSE"  # the API recipient's format for new exports
    webhook_url: str = ""  # the recipient's webhook URL ("" = none)
    list_envelope: str = "array"  # GET /exports: "array" (bare) or "envelope" ({data, meta: {total}}) [I]
    recipient_configured: bool = True  # False: the API report recipient is missing (RECIPIENT_NOT_FOUND)
    voucher_ids: bool = True  # False: vouchers come without `id` (tolerance tests)
    rate_limit: int = 0  # requests per rolling minute per organization (unpublished by Findity; 0 = off)
    clock: Callable[[], datetime] | None = None  # aware UTC datetime; None = real time
    # The organizations, each with its own reports, exports and ground truth; the first keeps `seed` and
    # `scale` (multi-tenant mode: sandbox/README.md). The sandbox's one OAuth client is configured for
    # `client_organizations` of them (None: all): its tokens read those.
    organizations: list[str] = field(default_factory=lambda: [ORGANIZATION_ID])
    client_organizations: list[str] | None = None

    RUNTIME = (
        "token_lifetime",
        "refresh_token_reuse",
        "verification_lists_type",
        "webhook_url",
        "list_envelope",
        "recipient_configured",
        "voucher_ids",
        "rate_limit",
    )
    DATA_SETTINGS = ("seed", "scale", "initial_exports", "export_size")
    TENANT_SETTINGS = ("organizations", "client_organizations")

    def __post_init__(self) -> None:
        if self.scale < 0 or self.scale >= 50_000_000:
            raise ValueError("scale must be >= 0 and < 50,000,000")
        self.organizations = list(self.organizations)
        if not self.organizations or len(set(self.organizations)) != len(self.organizations):
            raise ValueError("organizations must be a non-empty list of distinct ids")
        bad = [o for o in self.organizations if not isinstance(o, str) or not _ORGANIZATION_ID.match(o)]
        if bad:
            raise ValueError(f"organization ids are 1-64 letters, digits, '-' or '_' (got {bad[0]!r})")
        if self.client_organizations is not None:
            self.client_organizations = list(self.client_organizations)
            if not set(self.client_organizations) <= set(self.organizations):
                raise ValueError("client_organizations must be some of organizations")
        if self.initial_exports < 0 or self.export_size < 1:
            raise ValueError("initial_exports must be >= 0 and export_size >= 1")
        self._check("verification_lists_type", self.verification_lists_type)
        self._check("list_envelope", self.list_envelope)

    @property
    def readable_organizations(self) -> tuple[str, ...]:
        """The organizations the OAuth client is configured for (its tokens read them)."""
        return tuple(self.organizations if self.client_organizations is None else self.client_organizations)

    @classmethod
    def tenant_settings(cls, count: int) -> dict[str, Any]:
        return {"organizations": tenant_organization_ids(count)}

    @staticmethod
    def _check(key: str, value: Any) -> None:
        if key == "verification_lists_type" and value not in FORMATS:
            raise ValueError(f"'verification_lists_type' must be one of {', '.join(FORMATS)}")
        if key == "list_envelope" and value not in ENVELOPES:
            raise ValueError(f"'list_envelope' must be one of {', '.join(ENVELOPES)}")

    def check_setting(self, key: str, kind: type, value: Any) -> Any:
        value = super().check_setting(key, kind, value)
        self._check(key, value)
        return value
