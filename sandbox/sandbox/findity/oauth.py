"""Findity's OAuth2 token endpoint (client credentials, single-use refresh tokens) and Bearer checks.

* ``POST /oauth/token`` form ``grant_type=client_credentials&client_id=…&client_secret=…`` [C] (HTTP Basic
  client authentication is accepted too) -> ``{access_token, token_type: "Bearer", expires_in, refresh_token}``.
* ``grant_type=refresh_token&refresh_token=…`` (+ client credentials): a refresh token works once [C]; the
  answer carries a new one. Unknown or spent -> 400 ``invalid_grant``.
* Wrong client -> 401 ``invalid_client``; other grants -> 400 ``unsupported_grant_type``.
* Access tokens live ``token_lifetime`` seconds; an expired or unknown one gets 401 on the API.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import Any, Callable
from urllib.parse import parse_qs, unquote_plus

from fastapi import APIRouter, Request
from starlette.responses import Response

from ..framework.jsonutil import json_response
from ..framework.provider import ApiError
from .config import CLIENT_ID, CLIENT_SECRET, ORGANIZATION_ID, TOKEN_PATH, FindityConfig


class TokenStore:
    def __init__(self, config: FindityConfig, now_ms: Callable[[], int]) -> None:
        self.config = config
        self.now_ms = now_ms
        self.access: dict[str, tuple[str, int]] = {}  # token -> (organization, expires ms)
        self.refresh: set[str] = set()
        #: every token handed out, for "no secret leaks" tests (admin only)
        self.issued: list[str] = []

    def organization_for(self, token: str | None) -> str | None:
        grant = self.access.get(token or "")
        if grant is None:
            return None
        if self.now_ms() >= grant[1]:
            del self.access[token]  # type: ignore[arg-type]
            return None
        return grant[0]

    def expire_all(self) -> None:
        self.access.clear()

    def issue(self) -> dict[str, Any]:
        access, refresh = secrets.token_hex(24), secrets.token_hex(24)
        self.access[access] = (ORGANIZATION_ID, self.now_ms() + self.config.token_lifetime * 1000)
        self.refresh.add(refresh)
        self.issued += [access, refresh]
        return {"access_token": access, "token_type": "Bearer", "expires_in": self.config.token_lifetime,
                "refresh_token": refresh, "scope": "connect"}

    def redeem(self, refresh_token: str) -> dict[str, Any] | None:
        if refresh_token not in self.refresh:
            return None
        if not self.config.refresh_token_reuse:
            self.refresh.discard(refresh_token)
        return self.issue()


def bearer_token(headers: Any) -> str | None:
    value = headers.get("authorization")
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def require_organization(tokens: TokenStore, request: Request) -> str:
    token = bearer_token(request.headers)
    if token is None:
        raise ApiError(401, "Full authentication is required to access this resource", code="UNAUTHORIZED",
                       headers={"WWW-Authenticate": "Bearer"})
    organization = tokens.organization_for(token)
    if organization is None:
        raise ApiError(401, "Access token expired or invalid", code="UNAUTHORIZED",
                       headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    return organization


def _oauth_error(status: int, error: str, description: str) -> Response:
    return json_response({"error": error, "error_description": description}, status=status,
                         headers={"Cache-Control": "no-store"})


def _basic(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ("", "")
    client_id, _, secret = decoded.partition(":")
    return unquote_plus(client_id), unquote_plus(secret)


def oauth_router(get_tokens: Callable[[], TokenStore]) -> APIRouter:
    router = APIRouter()

    @router.post(TOKEN_PATH)
    async def token(request: Request) -> Response:
        form: dict[str, list[str]] = {}
        if request.headers.get("content-type", "").lower().startswith("application/x-www-form-urlencoded"):
            form = parse_qs((await request.body()).decode("utf-8", errors="replace"), keep_blank_values=True)

        def field(name: str) -> str | None:
            values = form.get(name)
            return values[0] if values else None

        client = _basic(request.headers.get("authorization"))
        if client is None and field("client_id") is not None:
            client = (field("client_id") or "", field("client_secret") or "")
        if client != (CLIENT_ID, CLIENT_SECRET):
            return _oauth_error(401, "invalid_client", "Bad client credentials")
        grant_type = field("grant_type")
        tokens = get_tokens()
        if grant_type == "client_credentials":
            return json_response(tokens.issue(), headers={"Cache-Control": "no-store"})
        if grant_type == "refresh_token":
            answer = tokens.redeem(field("refresh_token") or "")
            if answer is None:
                return _oauth_error(400, "invalid_grant", "Invalid refresh token")
            return json_response(answer, headers={"Cache-Control": "no-store"})
        if not grant_type:
            return _oauth_error(400, "invalid_request", "Missing grant type")
        return _oauth_error(400, "unsupported_grant_type", f"Unsupported grant type: {grant_type}")

    return router
