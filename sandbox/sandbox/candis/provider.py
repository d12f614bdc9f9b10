"""The Candis emulator's provider: its hooks for the shared framework."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

from fastapi import Depends

from ..framework.errors import admin_int, admin_object
from ..framework.http import ScopeHeaders
from ..framework.oauth import bearer_token
from ..framework.provider import AdminError, ConfiguredProvider, current_provider
from ..framework.tenants import admin_tenant
from .config import CandisConfig
from .records import STREAM_CLASSES
from .state import CandisState, OrganizationData

ERROR_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    429: "TOO_MANY_REQUEST",
    500: "INTERNAL_SERVER_ERROR",
    503: "SERVICE_UNAVAILABLE",
}
_ORG_PATH = re.compile(r"^/v1/organizations/([^/]+)")


def parse_modify(params: Any) -> tuple[str, int]:
    """``{"stream": ..., "count": n, "organizationId"?: slug}`` of the admin ``modify`` and the ``mutate`` fault."""
    admin_object(params, ("stream", "count", "organizationId"), 'expected a JSON object {"stream": ..., "count": n}')
    stream = params.get("stream")
    if stream not in STREAM_CLASSES:
        raise AdminError(f"'stream' must be one of {', '.join(STREAM_CLASSES)}")
    return stream, admin_int(params, "count", 1, 1)


class CandisProvider(ConfiguredProvider):
    name = "candis"
    contract_name = "candis"
    contract_error_code = "BAD_INPUT"

    config_class = CandisConfig
    state_class = CandisState

    error_codes = ERROR_CODES

    # -- organizations ---------------------------------------------------------------------------------
    def token_organizations(self, token: str | None) -> set[str]:
        """The organizations an access token may read (empty: no such valid token): the one access check of
        the API routes and ``/v1/organizations/info``. What a token is bound to is the token endpoint's
        business (``oauth.py``); by default the organization of its grant."""
        organization = self.state.tokens.organization_for(token)
        return set() if organization is None else {organization}

    def token_organization(self, token: str | None) -> str | None:
        """The organization ``/v1/organizations/info`` answers: the first configured one the token may read."""
        readable = self.token_organizations(token)
        return next((slug for slug in self.config.organizations if slug in readable), min(readable, default=None))

    def admin_organization(self, slug: Any) -> OrganizationData:
        """The organization an admin request names (``organizationId``; the first one when absent)."""
        return admin_tenant(slug, self.state.organizations, "organizationId")

    # -- framework hooks -------------------------------------------------------------------------------
    def error_body(self, message: str, code: str, errors: list[dict[str, Any]] | None) -> dict[str, Any]:
        body: dict[str, Any] = {"errorCode": code, "message": message, "requestId": str(uuid.uuid4())}
        if errors is not None:
            body["errors"] = errors
        return body

    def organization_of(self, scope: dict[str, Any]) -> str | None:
        match = _ORG_PATH.match(scope["path"])
        if match is None:
            return None
        if match.group(1) == "info":
            return self.token_organization(bearer_token(ScopeHeaders(scope)))
        return match.group(1)

    def is_rate_limited(self, scope: dict[str, Any]) -> bool:
        return not scope["path"].startswith("/auth/")

    def expire_tokens(self) -> None:
        self.state.tokens.expire_all()

    def validate_mutate(self, params: dict[str, Any]) -> None:
        parse_modify(params)
        self.admin_organization(params.get("organizationId"))

    def mutate(self, params: dict[str, Any]) -> dict[str, Any]:
        stream, count = parse_modify(params)
        data = self.admin_organization(params.get("organizationId"))
        changed = data.modify(stream, count)
        records = data.streams[stream]
        overlay = data.overlay[stream]
        return {
            "stream": stream,
            "modified": len(changed),
            "ids": [records.record(i, overlay[i])["id"] for i in changed[:1000]],
        }


#: a route's ``provider`` parameter
Candis = Annotated[CandisProvider, Depends(current_provider)]
