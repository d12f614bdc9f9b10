"""Findity's OAuth2 token endpoint (client credentials, single-use refresh tokens) and Bearer checks.

* ``POST /oauth/token`` form ``grant_type=client_credentials&client_id=…&client_secret=…`` [C] (HTTP Basic
  client authentication is accepted too) -> ``{access_token, token_type: "Bearer", expires_in, refresh_token}``.
* ``grant_type=refresh_token&refresh_token=…`` (+ client credentials): a refresh token works once [C]; the
  answer carries a new one. Unknown or spent -> 400 ``invalid_grant``.
* Wrong client -> 401 ``invalid_client``; other grants -> 400 ``unsupported_grant_type``.
* Access tokens live ``token_lifetime`` seconds; an expired or unknown one gets 401 on the API.
* The one client is configured for ``config.readable_organizations`` (multi-tenant mode); a token it is
  issued reads those organizations (as they were configured when it was issued).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from ..framework.jsonutil import json_response
from ..framework.oauth import (
    FormField,
    OAuthClient,
    client_of,
    decode_basic,
    oauth_error,
    require_bearer,
    token_store,
    unquote_client,
)
from .config import CLIENT_ID, CLIENT_SECRET, TOKEN_PATH, FindityConfig


class TokenStore:
    def __init__(self, config: FindityConfig, now_ms: Callable[[], int]) -> None:
        self.config = config
        self.now_ms = now_ms
        self.access: dict[str, tuple[tuple[str, ...], int]] = {}  # token -> (organizations, expires ms)
        self.refresh: set[str] = set()
        #: every token handed out, for "no secret leaks" tests (admin only)
        self.issued: list[str] = []

    def organizations_for(self, token: str | None) -> tuple[str, ...] | None:
        """The organizations a valid access token reads; None for a missing, unknown or expired one."""
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
        self.access[access] = (self.config.readable_organizations, self.now_ms() + self.config.token_lifetime * 1000)
        self.refresh.add(refresh)
        self.issued += [access, refresh]
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.config.token_lifetime,
            "refresh_token": refresh,
            "scope": "connect",
        }

    def redeem(self, refresh_token: str) -> dict[str, Any] | None:
        if refresh_token not in self.refresh:
            return None
        if not self.config.refresh_token_reuse:
            self.refresh.discard(refresh_token)
        return self.issue()


def require_organizations(tokens: TokenStore, request: Request) -> tuple[str, ...]:
    """The organizations of the request's valid access token, or 401 UNAUTHORIZED."""
    return require_bearer(
        tokens.organizations_for,
        request,
        missing="Full authentication is required to access this resource",
        invalid="Access token expired or invalid",
    )


_NO_STORE = {"Cache-Control": "no-store"}  # no Pragma, unlike Candis and Pleo


def _oauth_error(status: int, error: str, description: str) -> Response:
    return oauth_error(status, error, description, headers=_NO_STORE)


def _client(header: str | None, field: FormField) -> tuple[str, str] | None:
    """The client of an HTTP Basic header (an undecodable one: an empty client), else of the form fields."""
    basic = None
    if header and header.lower().startswith("basic "):
        parts = decode_basic(header[6:])
        basic = unquote_client(("", "") if parts is None else (parts[0], parts[2]))
    return client_of(basic, field)


CLIENT = OAuthClient(CLIENT_ID, CLIENT_SECRET, _client, "Bad client credentials", headers=_NO_STORE)

router = APIRouter()


@router.post(TOKEN_PATH)
async def token(request: Request, tokens: Annotated[TokenStore, Depends(token_store)]) -> Response:
    field = await CLIENT.form(request)
    grant_type = field("grant_type")
    if grant_type == "client_credentials":
        return json_response(tokens.issue(), headers=_NO_STORE)
    if grant_type == "refresh_token":
        answer = tokens.redeem(field("refresh_token") or "")
        if answer is None:
            return _oauth_error(400, "invalid_grant", "Invalid refresh token")
        return json_response(answer, headers=_NO_STORE)
    if not grant_type:
        return _oauth_error(400, "invalid_request", "Missing grant type")
    return _oauth_error(400, "unsupported_grant_type", f"Unsupported grant type: {grant_type}")
