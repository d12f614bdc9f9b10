"""The Candis emulator: provider hooks for the shared framework, and ``create_app``."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any, Mapping

from fastapi import FastAPI
from starlette.responses import Response

from ..framework.app import build_app
from ..framework.jsonutil import json_response
from ..framework.provider import AdminError, SandboxProvider
from ..framework.timeutil import utc_now
from .admin import candis_admin_router, parse_modify
from .config import CandisConfig
from .oauth import bearer_token, oauth_router
from .routes import api_router, base_url
from .state import CandisState

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


class _Headers:
    """Read-only view of ASGI scope headers with ``get`` (lower-case names)."""

    def __init__(self, scope: dict) -> None:
        self._scope = scope

    def get(self, name: str) -> str | None:
        wanted = name.encode()
        for key, value in self._scope.get("headers", ()):
            if key.lower() == wanted:
                return value.decode("latin-1")
        return None


class CandisProvider(SandboxProvider):
    name = "candis"

    def __init__(self, config: CandisConfig | None = None) -> None:
        super().__init__()
        self.config = config or CandisConfig()
        self.state = CandisState(self.config, self.now_ms)

    def now(self) -> datetime:
        return self.config.clock() if self.config.clock is not None else utc_now()

    # -- framework hooks -------------------------------------------------------------------------------
    def error_response(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        body: dict[str, Any] = {
            "errorCode": code or ERROR_CODES.get(status, "INTERNAL_SERVER_ERROR" if status >= 500 else "BAD_REQUEST"),
            "message": message,
            "requestId": str(uuid.uuid4()),
        }
        if errors is not None:
            body["errors"] = errors
        return json_response(body, status=status, headers=headers)

    def organization_of(self, scope: dict[str, Any]) -> str | None:
        match = _ORG_PATH.match(scope["path"])
        if match is None:
            return None
        if match.group(1) == "info":
            return self.state.tokens.organization_for(bearer_token(_Headers(scope)))
        return match.group(1)

    def is_rate_limited(self, scope: dict[str, Any]) -> bool:
        return not scope["path"].startswith("/auth/")

    @property
    def rate_limit(self) -> int:
        return self.config.rate_limit

    def expire_tokens(self) -> None:
        self.state.tokens.expire_all()

    def validate_mutate(self, params: dict[str, Any]) -> None:
        parse_modify(params)

    def mutate(self, params: dict[str, Any]) -> dict[str, Any]:
        stream, count = parse_modify(params)
        changed = self.state.modify(stream, count)
        records = self.state.streams[stream]
        overlay = self.state.overlay[stream]
        return {
            "stream": stream,
            "modified": len(changed),
            "ids": [records.record(i, overlay[i])["id"] for i in changed[:1000]],
        }

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
            raise AdminError(f"reset takes only 'seed' and 'scale' (got {', '.join(sorted(extra))}); use /_sandbox/config for the rest")
        seed = params.get("seed", self.config.seed)
        scale = params.get("scale", self.config.scale)
        for key, value in (("seed", seed), ("scale", scale)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise AdminError(f"'{key}' must be an integer >= 0")
        try:
            CandisConfig(seed=seed, scale=scale)
        except ValueError as exc:
            raise AdminError(str(exc)) from None
        self.config.seed, self.config.scale = seed, scale
        self.state = CandisState(self.config, self.now_ms)
        self.clear_runtime()
        return self.config.view()


def create_app(config: CandisConfig | None = None) -> FastAPI:
    """The Candis emulator as an ASGI app (serve it with ``sandbox.framework.server.serve_in_thread``)."""
    provider = CandisProvider(config)
    return build_app(
        provider,
        [oauth_router(lambda: provider.state.tokens, base_url), api_router(provider), candis_admin_router(provider)],
        title="Candis API sandbox",
    )


def provider_of(app: FastAPI) -> CandisProvider:
    provider = app.state.provider
    assert isinstance(provider, CandisProvider)
    return provider
