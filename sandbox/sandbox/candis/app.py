"""The Candis emulator: provider hooks for the shared framework, and ``create_app``."""

from __future__ import annotations

import re
import uuid
from typing import Any, Mapping

from fastapi import FastAPI
from starlette.responses import Response

from ..framework.app import build_app
from ..framework.jsonutil import json_response
from ..framework.http import ScopeHeaders, base_url
from ..framework.provider import ConfiguredProvider
from .admin import candis_admin_router, parse_modify
from .config import CandisConfig
from .oauth import bearer_token, oauth_router
from .routes import api_router
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


class CandisProvider(ConfiguredProvider):
    name = "candis"
    contract_name = "candis"
    contract_error_code = "BAD_INPUT"

    config_class = CandisConfig
    state_class = CandisState

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
            return self.state.tokens.organization_for(bearer_token(ScopeHeaders(scope)))
        return match.group(1)

    def is_rate_limited(self, scope: dict[str, Any]) -> bool:
        return not scope["path"].startswith("/auth/")

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
