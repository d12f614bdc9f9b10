"""The Pleo emulator's provider: its hooks for the shared framework and the helpers its routes share."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from ..framework.http import ScopeHeaders
from ..framework.provider import AdminError, ApiError, ConfiguredProvider, current_provider
from .access import Access, company_key_access
from .auth import principal, require_principal
from .config import FILE_PREFIX, TOKEN_PATH, PleoConfig
from .state import CompanyData, PleoState

ERROR_TYPES = {
    400: "INVALID_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    422: "UNPROCESSABLE_ENTITY",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_SERVER_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
}


def invalid_json(detail: str | None) -> ApiError:
    """Pleo's answer to a malformed JSON body."""
    return ApiError(400, "The request body is not valid JSON", code="INVALID_REQUEST")


class PleoProvider(ConfiguredProvider):
    name = "pleo"
    file_prefixes = (FILE_PREFIX,)  # the pre-signed receipts (Pleo's storage host)
    contract_name = "pleo"

    config_class = PleoConfig
    state_class = PleoState
    reset_hint = ""
    error_codes = ERROR_TYPES
    default_error_code = "INVALID_REQUEST"

    # -- helpers for the routes --------------------------------------------------------------------------
    def authorize(self, request: Request) -> Access:
        """What the request's credentials may read (401 without valid ones): the one access check of the
        routes. A company-scoped API key reads its company; the organization's key and OAuth tokens
        (``auth.py``: the organization they belong to) every company of that organization."""
        access = company_key_access(request.headers, self.state)
        if access is None:
            organization = require_principal(request, self.state.tokens)
            access = Access(organization, self.state.companies_of(organization))
        self.state.tick()
        return access

    def file_url(self, base: str, data: CompanyData, core: Any, position: int) -> str:
        """A pre-signed receipt download URL (``FILE_PREFIX``), valid ``file_url_lifetime`` seconds."""
        receipt_id = data.entries.receipt_id(core.index, position)
        expires = self.now_ms() // 1000 + self.config.file_url_lifetime
        sig = self.state.file_signature(receipt_id, expires)
        return f"{base}{FILE_PREFIX}{receipt_id}?X-Amz-Expires-At={expires}&X-Amz-Signature={sig}"

    # -- framework hooks ---------------------------------------------------------------------------------
    def error_body(self, message: str, code: str, errors: list[dict[str, Any]] | None) -> dict[str, Any]:
        return {"type": code, "message": message}

    def organization_of(self, scope: dict[str, Any]) -> str | None:
        if scope["path"] == TOKEN_PATH or scope["path"].startswith(FILE_PREFIX):
            return None
        headers = ScopeHeaders(scope)
        access = company_key_access(headers, self.state)  # a company key counts for its organization
        return access.organization if access is not None else principal(headers, self.state.tokens)

    def is_rate_limited(self, scope: dict[str, Any]) -> bool:
        return scope["path"] != TOKEN_PATH and not scope["path"].startswith(FILE_PREFIX)

    def expire_tokens(self) -> None:
        self.state.tokens.expire_all()

    def validate_mutate(self, params: dict[str, Any]) -> None:
        if params != {"action": "expire_jobs"}:
            raise AdminError('the Pleo mutate fault takes {"action": "expire_jobs"} (every open job expires now)')

    def mutate(self, params: dict[str, Any]) -> list[str]:
        """Fault ``mutate`` / ``expire_jobs``: every open job expires right before the request is served."""
        expired = []
        now = self.now_ms()
        for data in self.state.companies:
            job = data.jobs.open_job()
            if job is not None:
                job.last_action_ms = now - job.expires_in * 1000
                data.jobs.refresh(job, now)
                data.touch_entries(job, now)
                expired.append(job.id)
        return expired


#: a route's ``provider`` parameter
Pleo = Annotated[PleoProvider, Depends(current_provider)]
