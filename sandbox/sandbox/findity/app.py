"""The Findity emulator: provider hooks for the shared framework, and ``create_app``."""

from __future__ import annotations

import re
from typing import Any, Mapping

from fastapi import FastAPI
from starlette.responses import Response

from ..framework.app import build_app
from ..framework.jsonutil import json_response
from ..framework.provider import AdminError, ConfiguredProvider, reset_values
from .admin import findity_admin_router
from .config import FindityConfig
from .oauth import oauth_router
from .routes import api_router
from .state import FindityState

ERROR_CODES = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND",
               405: "METHOD_NOT_ALLOWED", 429: "TOO_MANY_REQUESTS", 500: "INTERNAL_SERVER_ERROR",
               503: "SERVICE_UNAVAILABLE"}
_ORG_PATH = re.compile(r"^/api/v1/connect/organizations/([^/]+)")


class FindityProvider(ConfiguredProvider):
    name = "findity"

    config_class = FindityConfig
    state_class = FindityState

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

    def expire_tokens(self) -> None:
        self.state.tokens.expire_all()

    def reset(self, params: dict[str, Any]) -> dict[str, Any]:
        allowed = {"seed", "scale", "initial_exports", "export_size"}
        values = reset_values(params, {key: getattr(self.config, key) for key in allowed}, takes=", ".join(sorted(allowed)))
        try:
            self.config.copy_with(**values)
        except ValueError as exc:
            raise AdminError(str(exc)) from None
        for key, value in values.items():
            setattr(self.config, key, value)
        return self.renew_state()


def create_app(config: FindityConfig | None = None) -> FastAPI:
    """The Findity emulator as an ASGI app: API under ``/api``, token endpoint at ``/oauth/token``."""
    provider = FindityProvider(config)
    return build_app(provider, [oauth_router(lambda: provider.state.tokens), api_router(provider),
                                findity_admin_router(provider)], title="Findity Connect API sandbox")


def provider_of(app: FastAPI) -> FindityProvider:
    provider = app.state.provider
    assert isinstance(provider, FindityProvider)
    return provider
