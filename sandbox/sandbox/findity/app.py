"""The Findity emulator: provider hooks for the shared framework, and ``create_app``."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Mapping

from fastapi import FastAPI
from starlette.responses import Response

from ..framework.app import build_app
from ..framework.jsonutil import json_response
from ..framework.provider import AdminError, SandboxProvider
from ..framework.timeutil import utc_now
from .admin import findity_admin_router
from .config import FindityConfig
from .oauth import oauth_router
from .routes import api_router
from .state import FindityState

ERROR_CODES = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND",
               405: "METHOD_NOT_ALLOWED", 429: "TOO_MANY_REQUESTS", 500: "INTERNAL_SERVER_ERROR",
               503: "SERVICE_UNAVAILABLE"}
_ORG_PATH = re.compile(r"^/api/v1/connect/organizations/([^/]+)")


class FindityProvider(SandboxProvider):
    name = "findity"

    def __init__(self, config: FindityConfig | None = None) -> None:
        super().__init__()
        self.config = config or FindityConfig()
        self.state = FindityState(self.config, self.now_ms)

    def now(self) -> datetime:
        return self.config.clock() if self.config.clock is not None else utc_now()

    def error_response(self, status: int, message: str, *, code: str | None = None,
                       errors: list[dict[str, Any]] | None = None, headers: Mapping[str, str] | None = None) -> Response:
        """Findity errors: ``{"code": "EXPORT_NOT_FOUND", "message": "..."}`` (SCREAMING_SNAKE codes)."""
        code = code or ERROR_CODES.get(status, "INTERNAL_SERVER_ERROR" if status >= 500 else "BAD_REQUEST")
        return json_response({"code": code, "message": message}, status=status, headers=headers)

    def organization_of(self, scope: dict[str, Any]) -> str | None:
        match = _ORG_PATH.match(scope["path"])
        return match.group(1) if match else None

    def is_rate_limited(self, scope: dict[str, Any]) -> bool:
        return scope["path"].startswith("/api/")

    @property
    def rate_limit(self) -> int:
        return self.config.rate_limit

    def expire_tokens(self) -> None:
        self.state.tokens.expire_all()

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
        allowed = {"seed", "scale", "initial_exports", "export_size"}
        extra = set(params) - allowed
        if extra:
            raise AdminError(f"reset takes only {', '.join(sorted(allowed))} (got {', '.join(sorted(extra))})")
        values = {key: params.get(key, getattr(self.config, key)) for key in allowed}
        for key, value in values.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise AdminError(f"'{key}' must be an integer >= 0")
        try:
            self.config.copy_with(**values)
        except ValueError as exc:
            raise AdminError(str(exc)) from None
        for key, value in values.items():
            setattr(self.config, key, value)
        self.state = FindityState(self.config, self.now_ms)
        self.clear_runtime()
        return self.config.view()


def create_app(config: FindityConfig | None = None) -> FastAPI:
    """The Findity emulator as an ASGI app: API under ``/api``, token endpoint at ``/oauth/token``."""
    provider = FindityProvider(config)
    return build_app(provider, [oauth_router(lambda: provider.state.tokens), api_router(provider),
                                findity_admin_router(provider)], title="Findity Connect API sandbox")


def provider_of(app: FastAPI) -> FindityProvider:
    provider = app.state.provider
    assert isinstance(provider, FindityProvider)
    return provider
