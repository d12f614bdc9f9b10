"""The Pleo emulator: provider hooks for the shared framework, and ``create_app``."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from fastapi import FastAPI, Request
from starlette.responses import Response

from ..framework.app import build_app
from ..framework.jsonutil import json_response
from ..framework.provider import AdminError, SandboxProvider
from ..framework.timeutil import utc_now
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


class _Headers:
    def __init__(self, scope: dict) -> None:
        self._scope = scope

    def get(self, name: str) -> str | None:
        wanted = name.encode()
        for key, value in self._scope.get("headers", ()):
            if key.lower() == wanted:
                return value.decode("latin-1")
        return None


class PleoProvider(SandboxProvider):
    name = "pleo"

    def __init__(self, config: PleoConfig | None = None) -> None:
        super().__init__()
        self.config = config or PleoConfig()
        self.state = PleoState(self.config, self.now_ms)

    def now(self) -> datetime:
        return self.config.clock() if self.config.clock is not None else utc_now()

    # -- helpers for the routes --------------------------------------------------------------------------
    def authorize(self, request: Request) -> str:
        organization = require_principal(request, self.state.tokens)
        self.state.tick()
        return organization

    @staticmethod
    def public_base(request: Request) -> str:
        return str(request.base_url).rstrip("/")

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
        return principal(_Headers(scope), self.state.tokens)

    def is_rate_limited(self, scope: dict[str, Any]) -> bool:
        return scope["path"] != TOKEN_PATH and not scope["path"].startswith(FILE_PREFIX)

    @property
    def rate_limit(self) -> int:
        return self.config.rate_limit

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

    def ground_truth(self) -> dict[str, Any]:
        return self.state.ground_truth()

    def config_view(self) -> dict[str, Any]:
        return self.config.view()

    def update_config(self, changes: dict[str, Any]) -> dict[str, Any]:
        try:
            self.config.apply(changes)
        except ValueError as exc:
            raise AdminError(str(exc)) from None
        return self.config.view()

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
        self.state = PleoState(self.config, self.now_ms)
        self.clear_runtime()
        return self.config.view()


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

