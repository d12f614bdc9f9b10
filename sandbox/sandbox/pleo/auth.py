"""Pleo authentication: API keys (HTTP Basic, key as user name, EMPTY password) and OAuth2 bearer tokens.

Token endpoint (``POST /oauth/token``; production ``https://auth.pleo.io/oauth/token``): client
authentication with HTTP Basic ``client_id:client_secret``.

* ``grant_type=refresh_token``: every refresh returns a new access AND refresh token and spends the one used;
  presenting a spent refresh token again revokes every token of that authorization (``invalid_grant``), as
  Pleo documents. An authorization belongs to one organization: its tokens read only that organization.
* ``grant_type=authorization_code`` with PKCE (``code``, ``redirect_uri``, ``code_verifier``): a new
  authorization of the consented organization (sandbox.framework.authorize: codes single-use, 60 s, the
  redirect_uri and client of the request, the verifier must hash to the S256 challenge).

Authorization endpoint ``GET /oauth/authorize`` [I] (Pleo's notes give only the token URL; the sandbox puts
the authorize endpoint beside it): the consent page; ``code_challenge`` with ``code_challenge_method=S256``
is required. The form posts to ``/oauth/authorize/consent``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from ..framework.authorize import AuthorizationCodes, ConsentPage
from ..framework.jsonutil import json_response
from ..framework.oauth import (
    NO_STORE,
    FormField,
    OAuthClient,
    basic_client,
    basic_credentials,
    oauth_error,
    refresh_grant,
    token_store,
)
from ..framework.provider import ApiError
from .config import (
    API_KEY,
    CLIENT_ID,
    CLIENT_SECRET,
    INITIAL_REFRESH_TOKEN,
    ORGANIZATION_ID,
    SCOPES,
    TOKEN_PATH,
    PleoConfig,
)

AUTHORIZE_PATH = "/oauth/authorize"  # [I] beside the token endpoint
CONSENT_PATH = "/oauth/authorize/consent"


@dataclass
class Authorization:
    organization: str
    revoked: bool = False
    access: dict[str, int] = field(default_factory=dict)  # token -> expiry ms
    refresh: dict[str, bool] = field(default_factory=dict)  # token -> spent


class TokenStore:
    def __init__(self, config: PleoConfig, now_ms: Callable[[], int]) -> None:
        self.config = config
        self.now_ms = now_ms
        self.issued: list[str] = []
        first = Authorization(ORGANIZATION_ID)
        first.refresh[INITIAL_REFRESH_TOKEN] = False
        self.authorizations = [first]
        self.revocations = 0
        self.codes = AuthorizationCodes(now_ms)

    def _find_refresh(self, token: str) -> Authorization | None:
        return next((a for a in self.authorizations if token in a.refresh), None)

    def organization_for(self, access_token: str | None) -> str | None:
        if not access_token:
            return None
        now = self.now_ms()
        for auth in self.authorizations:
            expiry = auth.access.get(access_token)
            if expiry is not None:
                return auth.organization if not auth.revoked and now < expiry else None
        return None

    def expire_all(self) -> None:
        for auth in self.authorizations:
            auth.access.clear()

    def redeem(self, refresh_token: str) -> dict[str, Any] | None:
        auth = self._find_refresh(refresh_token)
        if auth is None or auth.revoked:
            return None
        if auth.refresh[refresh_token]:  # reuse of a spent token: revoke the whole authorization
            auth.revoked = True
            auth.access.clear()
            self.revocations += 1
            return None
        auth.refresh[refresh_token] = True
        return self._issue(auth, SCOPES)

    def redeem_code(self, field: FormField) -> dict[str, Any]:
        """``grant_type=authorization_code``: a new authorization of the consented organization."""
        issued = self.codes.redeem(field, client_id=CLIENT_ID, revoke=self.revoke)
        auth = Authorization(issued.organization)
        self.authorizations.append(auth)
        issued.grant = auth
        return self._issue(auth, issued.scope or SCOPES)

    def revoke(self, auth: Authorization) -> None:
        """Every token of an authorization (a code presented twice)."""
        auth.revoked = True
        auth.access.clear()
        self.revocations += 1

    def _issue(self, auth: Authorization, scope: str) -> dict[str, Any]:
        access, new_refresh = "pleo_at_" + secrets.token_urlsafe(32), "pleo_rt_" + secrets.token_urlsafe(40)
        auth.access[access] = self.now_ms() + self.config.token_lifetime * 1000
        auth.refresh[new_refresh] = False
        self.issued += [access, new_refresh]
        return {
            "access_token": access,
            "refresh_token": new_refresh,
            "token_type": "Bearer",
            "expires_in": self.config.token_lifetime,
            "scope": scope,
        }


_basic = basic_credentials


def principal(headers: Any, tokens: TokenStore) -> str | None:
    """The organization the request's credentials belong to, or None."""
    header = headers.get("authorization") if headers is not None else None
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer":
        return tokens.organization_for(token.strip())
    basic = _basic(header)
    if basic is not None and basic[0] == API_KEY and basic[1] == "":
        return ORGANIZATION_ID
    return None


def require_principal(request: Request, tokens: TokenStore) -> str:
    header = request.headers.get("authorization")
    if not header:
        raise ApiError(
            401,
            "Full authentication is required to access this resource",
            code="UNAUTHORIZED",
            headers={"WWW-Authenticate": 'Basic realm="pleo", Bearer'},
        )
    organization = principal(request.headers, tokens)
    if organization is None:
        basic = _basic(header)
        if basic is not None and basic[0] == API_KEY:
            message = "The API key must be sent as the user name with an empty password"
        else:
            message = "The API key or access token is invalid, expired or revoked"
        raise ApiError(401, message, code="UNAUTHORIZED")
    return organization


CLIENT = OAuthClient(
    CLIENT_ID, CLIENT_SECRET, basic_client, "Client authentication failed (HTTP Basic client_id:client_secret)"
)

router = APIRouter()


@router.post(TOKEN_PATH)
async def token(request: Request, tokens: Annotated[TokenStore, Depends(token_store)]) -> Response:
    field_ = await CLIENT.form(request)  # HTTP Basic only
    grant_type = field_("grant_type")
    if grant_type == "authorization_code":
        return json_response(tokens.redeem_code(field_), headers=NO_STORE)
    if grant_type != "refresh_token":
        return oauth_error(
            400,
            "unsupported_grant_type" if grant_type else "invalid_request",
            "Only grant_type=refresh_token and authorization_code are supported by the sandbox",
        )
    return refresh_grant(field_, tokens.redeem, "The refresh token is invalid, expired, revoked or was already used")


def consent_organizations(provider: Any) -> list[tuple[str, str]]:
    """The organization a consent grants (its companies as its name)."""
    return [(ORGANIZATION_ID, ", ".join(data.company.name for data in provider.state.companies))]


# title, paths, client, scopes, PKCE S256 required, organizations
CONSENT = ConsentPage("Pleo", AUTHORIZE_PATH, CONSENT_PATH, CLIENT_ID, SCOPES, True, consent_organizations)
#: the authorization endpoint and its consent page (``app.py`` includes it beside ``router``)
authorize_router = CONSENT.router()
