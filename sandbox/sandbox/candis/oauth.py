"""Candis' Keycloak token endpoint (refresh-token grant) and Bearer-token checks.

* Client authentication: HTTP Basic (``client_secret_basic``) or ``client_id``/``client_secret`` form
  fields (``client_secret_post``). Wrong or missing client -> 401 ``invalid_client``.
* ``grant_type=refresh_token`` only; unknown, spent or expired refresh token -> 400 ``invalid_grant``
  "Token is not active"; other grant types -> 400 ``unsupported_grant_type``.
* Every refresh returns a NEW refresh token; unless ``refresh_token_reuse`` is on, the one just used stops
  working (Candis does not say, [I]: we take the strict reading so a tap that does not persist the rotated
  token fails here rather than in production).
* Access tokens are random opaque strings, valid ``token_lifetime`` seconds.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from ..framework.http import base_url
from ..framework.jsonutil import json_response
from ..framework.oauth import OAuthClient, basic_or_post_client, oauth_error, refresh_grant, require_bearer, token_store
from .config import (
    CLIENT_ID,
    CLIENT_SECRET,
    INITIAL_REFRESH_TOKEN,
    ORGANIZATION_ID,
    REALM_PATH,
    SCOPE,
    TOKEN_PATH,
    CandisConfig,
)


@dataclass
class _Grant:
    organization: str
    expires_ms: int
    session: str


class TokenStore:
    def __init__(self, config: CandisConfig, now_ms: Callable[[], int]) -> None:
        self.config = config
        self.now_ms = now_ms
        self.access: dict[str, _Grant] = {}
        #: every token the endpoint handed out, for tests that check no token leaks (admin only)
        self.issued: list[str] = []
        self.refresh: dict[str, _Grant] = {
            INITIAL_REFRESH_TOKEN: _Grant(ORGANIZATION_ID, now_ms() + config.refresh_lifetime * 1000, str(uuid.uuid4()))
        }

    def organization_for(self, access_token: str | None) -> str | None:
        if not access_token:
            return None
        grant = self.access.get(access_token)
        if grant is None:
            return None
        if self.now_ms() >= grant.expires_ms:
            del self.access[access_token]
            return None
        return grant.organization

    def expire_all(self) -> None:
        self.access.clear()

    def redeem(self, refresh_token: str) -> dict[str, Any] | None:
        grant = self.refresh.get(refresh_token)
        now = self.now_ms()
        if grant is None or now >= grant.expires_ms:
            self.refresh.pop(refresh_token, None)
            return None
        if not self.config.refresh_token_reuse:
            del self.refresh[refresh_token]
        access = secrets.token_urlsafe(32)
        new_refresh = secrets.token_urlsafe(48)
        self.access[access] = _Grant(grant.organization, now + self.config.token_lifetime * 1000, grant.session)
        self.refresh[new_refresh] = _Grant(grant.organization, now + self.config.refresh_lifetime * 1000, grant.session)
        self.issued += [access, new_refresh]
        return {
            "access_token": access,
            "expires_in": self.config.token_lifetime,
            "refresh_expires_in": self.config.refresh_lifetime,
            "refresh_token": new_refresh,
            "token_type": "Bearer",
            "not-before-policy": 0,
            "session_state": grant.session,
            "scope": SCOPE,
        }


def require_organization(tokens: TokenStore, request: Request) -> str:
    """The organization of the request's valid access token, or 401 UNAUTHORIZED."""
    return require_bearer(
        tokens.organization_for, request, missing="Missing bearer token", invalid="Access token is invalid or expired"
    )


CLIENT = OAuthClient(CLIENT_ID, CLIENT_SECRET, basic_or_post_client, "Invalid client or Invalid client credentials")

router = APIRouter()


@router.post(TOKEN_PATH)
async def token(request: Request, tokens: Annotated[TokenStore, Depends(token_store)]) -> Response:
    field = await CLIENT.form(request)
    grant_type = field("grant_type")
    if not grant_type:
        return oauth_error(400, "invalid_request", "Missing form parameter: grant_type")
    if grant_type != "refresh_token":
        return oauth_error(400, "unsupported_grant_type", "Unsupported grant_type")
    return refresh_grant(field, tokens.redeem, "Token is not active")


@router.get(f"{REALM_PATH}/.well-known/openid-configuration")
async def discovery(request: Request) -> Response:
    base = base_url(request)
    issuer = f"{base}{REALM_PATH}"
    return json_response(
        {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/protocol/openid-connect/auth",
            "token_endpoint": f"{base}{TOKEN_PATH}",
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": SCOPE.split(),
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
        }
    )
