"""The Pleo emulator: provider hooks for the shared framework, and ``create_app``."""

from __future__ import annotations

from typing import Any, Mapping

from fastapi import FastAPI, Request
from starlette.responses import Response

from ..framework.app import build_app
from ..framework.jsonutil import json_response
from ..framework.http import ScopeHeaders, base_url
from ..framework.provider import AdminError, ConfiguredProvider
from .admin import pleo_admin_router
from .auth import oauth_router, principal, require_principal
from .config import TOKEN_PATH, PleoConfig
from .routes_entries import FILE_PREFIX, entries_router, signed_url
from .routes_export import export_router
from .routes_reference import reference_router
from .state import CompanyData, PleoState

ERROR_TYPES = {400: "INVALID_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED",
               409: "CONFLICT", 413: "PAYLOAD_TOO_LARGE", 422: "UNPROCESSABLE_ENTITY", 429: "TOO_MANY_REQUESTS",
               500: "INTERNAL_SERVER_ERROR", 502: "BAD_GATEWAY", 503: "SERVICE_UNAVAILABLE"}


class PleoProvider(ConfiguredProvider):
    name = "pleo"
    contract_name = "pleo"

    config_class = PleoConfig
    state_class = PleoState

    # -- helpers for the routes --------------------------------------------------------------------------
    def authorize(self, request: Request) -> str:
        organization = require_principal(request, self.state.tokens)
        self.state.tick()
        return organization

    public_base = staticmethod(base_url)

    def file_url(self, base: str, data: CompanyData, core: Any, position: int) -> str:
        return signed_url(self, base, data, core, position)

    # -- framework hooks ---------------------------------------------------------------------------------
    def error_response(self, status: int, message: str, *, code: str | None = None,
                       errors: list[dict[str, Any]] | None = None, headers: Mapping[str, str] | None = None) -> Response:
        body: dict[str, Any] = {"type": code or ERROR_TYPES.get(status, "INTERNAL_SERVER_ERROR" if status >= 500 else "INVALID_REQUEST"),
                                "message": message}
        return json_response(body, status=status, headers=headers)

    def organization_of(self, scope: dict[str, Any]) -> str | None:
        if scope["path"] == TOKEN_PATH or scope["path"].startswith(FILE_PREFIX):
            return None
        return principal(ScopeHeaders(scope), self.state.tokens)

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

    def reset(self, params: dict[str, Any]) -> dict[str, Any]:
        extra = set(params) - {"seed", "scale"}
        if extra:
            raise AdminError(f"reset takes only 'seed' and 'scale' (got {', '.join(sorted(extra))})")
        for key in ("seed", "scale"):
            value = params.get(key, getattr(self.config, key))
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise AdminError(f"'{key}' must be an integer >= 0")
            setattr(self.config, key, value)
        try:
            self.config.__post_init__()
        except ValueError as exc:
            raise AdminError(str(exc)) from None
        return self.renew_state()


def create_app(config: PleoConfig | None = None) -> FastAPI:
    """The Pleo emulator as an ASGI app (serve it with ``sandbox.framework.server.serve_in_thread``)."""
    provider = PleoProvider(config)
    return build_app(
        provider,
        [oauth_router(lambda: provider.state.tokens), export_router(provider), entries_router(provider),
         reference_router(provider), pleo_admin_router(provider)],
        title="Pleo API sandbox",
    )


def provider_of(app: FastAPI) -> PleoProvider:
    provider = app.state.provider
    assert isinstance(provider, PleoProvider)
    return provider

