"""Candis' Keycloak: the token endpoint (refresh-token and authorization-code grants), the authorization
endpoint with its consent page, and Bearer-token checks.

* Client authentication: HTTP Basic (``client_secret_basic``) or ``client_id``/``client_secret`` form
  fields (``client_secret_post``). Wrong or missing client -> 401 ``invalid_client``.
* Every grant is bound to ONE organization: each organization of ``config.organizations`` starts with its
  own initial refresh token (``config.initial_refresh_tokens()``), a consent grants the organization chosen
  on the consent page, and the access and refresh tokens of a grant read only that organization.
* ``grant_type=refresh_token``: unknown, spent or expired refresh token -> 400 ``invalid_grant`` "Token is not
  active". Every refresh returns a NEW refresh token; unless ``refresh_token_reuse`` is on, the one just used
  stops working, as Keycloak does with "Revoke Refresh Token" on (Candis does not say, [I]: we take the strict
  reading so a tap that does not persist the rotated token fails here rather than in production).
* ``grant_type=authorization_code`` (``code``, ``redirect_uri``, ``code_verifier`` when the authorization
  request had a PKCE challenge): a new grant for the consented organization (sandbox.framework.authorize:
  codes single-use, 60 s, the redirect_uri and client of the request). Other grant types -> 400
  ``unsupported_grant_type``.
* ``GET {REALM_PATH}/protocol/openid-connect/auth``: the consent page (PKCE optional, S256 only, as the
  discovery document says); the form posts to ``{REALM_PATH}/login-actions/consent``.
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

from ..framework.authorize import AuthorizationCodes, ConsentPage
from ..framework.http import base_url
from ..framework.jsonutil import json_response
from ..framework.oauth import (
    NO_STORE,
    FormField,
    OAuthClient,
    basic_or_post_client,
    oauth_error,
    refresh_grant,
    require_bearer,
    token_store,
)
from .config import (
    CLIENT_ID,
    CLIENT_SECRET,
    REALM_PATH,
    SCOPE,
    TOKEN_PATH,
    CandisConfig,
)

AUTHORIZE_PATH = f"{REALM_PATH}/protocol/openid-connect/auth"
CONSENT_PATH = f"{REALM_PATH}/login-actions/consent"


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
        expires = now_ms() + config.refresh_lifetime * 1000
        #: each organization's initial refresh token, bound to it
        self.refresh: dict[str, _Grant] = {
            token: _Grant(slug, expires, str(uuid.uuid4())) for slug, token in config.initial_refresh_tokens().items()
        }
        self.codes = AuthorizationCodes(now_ms)

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
        return self._issue(grant.organization, grant.session, SCOPE)

    def redeem_code(self, field: FormField) -> dict[str, Any]:
        """``grant_type=authorization_code``: a new session for the consented organization."""
        issued = self.codes.redeem(field, client_id=CLIENT_ID, revoke=self.revoke_session)
        session = str(uuid.uuid4())
        issued.grant = session
        return self._issue(issued.organization, session, issued.scope or SCOPE)

    def revoke_session(self, session: str) -> None:
        """Every access and refresh token of a session (a code presented twice)."""
        for tokens in (self.access, self.refresh):
            for token in [t for t, grant in tokens.items() if grant.session == session]:
                del tokens[token]

    def _issue(self, organization: str, session: str, scope: str) -> dict[str, Any]:
        now = self.now_ms()
        access = secrets.token_urlsafe(32)
        new_refresh = secrets.token_urlsafe(48)
        self.access[access] = _Grant(organization, now + self.config.token_lifetime * 1000, session)
        self.refresh[new_refresh] = _Grant(organization, now + self.config.refresh_lifetime * 1000, session)
        self.issued += [access, new_refresh]
        return {
            "access_token": access,
            "expires_in": self.config.token_lifetime,
            "refresh_expires_in": self.config.refresh_lifetime,
            "refresh_token": new_refresh,
            "token_type": "Bearer",
            "not-before-policy": 0,
            "session_state": session,
            "scope": scope,
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
    if grant_type == "authorization_code":
        return json_response(tokens.redeem_code(field), headers=NO_STORE)
    if grant_type != "refresh_token":
        return oauth_error(400, "unsupported_grant_type", "Unsupported grant_type")
    return refresh_grant(field, tokens.redeem, "Token is not active")


def consent_organizations(provider: Any) -> list[tuple[str, str]]:
    """The organizations a consent may grant: every organization of the emulator, with its name."""
    return [(slug, provider.state.organization(slug).name) for slug in provider.config.organizations]


# title, paths, client, scopes, PKCE not required (Keycloak checks it only when sent), organizations
CONSENT = ConsentPage("Candis", AUTHORIZE_PATH, CONSENT_PATH, CLIENT_ID, SCOPE, False, consent_organizations)
#: the authorization endpoint and its consent page (``app.py`` includes it beside ``router``)
authorize_router = CONSENT.router()


@router.get(f"{REALM_PATH}/.well-known/openid-configuration")
async def discovery(request: Request) -> Response:
    base = base_url(request)
    issuer = f"{base}{REALM_PATH}"
    return json_response(
        {
            "issuer": issuer,
            "authorization_endpoint": f"{base}{AUTHORIZE_PATH}",
            "token_endpoint": f"{base}{TOKEN_PATH}",
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": SCOPE.split(),
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
        }
    )
