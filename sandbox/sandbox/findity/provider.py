"""The Findity emulator's provider: its hooks for the shared framework."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Depends

from ..framework.provider import ConfiguredProvider, current_provider
from ..framework.tenants import admin_tenant
from .config import FindityConfig
from .state import FindityState, OrganizationData

ERROR_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_SERVER_ERROR",
    503: "SERVICE_UNAVAILABLE",
}
_ORG_PATH = re.compile(r"^/api/v1/connect/organizations/([^/]+)")


class FindityProvider(ConfiguredProvider):
    name = "findity"

    config_class = FindityConfig
    state_class = FindityState
    reset_keys = ("seed", "scale", "initial_exports", "export_size")
    reset_takes = ", ".join(sorted(reset_keys))
    reset_hint = ""

    error_codes = ERROR_CODES

    def error_body(self, message: str, code: str, errors: list[dict[str, Any]] | None) -> dict[str, Any]:
        """Findity errors: ``{"code": "EXPORT_NOT_FOUND", "message": "..."}`` (SCREAMING_SNAKE codes)."""
        return {"code": code, "message": message}

    def token_organizations(self, token: str | None) -> set[str]:
        """The organizations an access token may read (empty: no such valid token): the one access check of
        the Connect routes. A token reads what the OAuth client was configured for when it was issued."""
        return set(self.state.tokens.organizations_for(token) or ())

    def admin_organization(self, organization_id: Any) -> OrganizationData:
        """The organization an admin request names (``organizationId``; the first one when absent)."""
        return admin_tenant(organization_id, self.state.organizations, "organizationId")

    def organization_of(self, scope: dict[str, Any]) -> str | None:
        match = _ORG_PATH.match(scope["path"])
        return match.group(1) if match else None

    def is_rate_limited(self, scope: dict[str, Any]) -> bool:
        return scope["path"].startswith("/api/")

    def expire_tokens(self) -> None:
        self.state.tokens.expire_all()


#: a route's ``provider`` parameter
Findity = Annotated[FindityProvider, Depends(current_provider)]
