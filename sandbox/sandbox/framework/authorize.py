"""The emulators' OAuth2 authorization endpoint (RFC 6749 4.1, PKCE RFC 7636, loopback redirects RFC 8252):
a consent page a person — or a test, over plain HTTP — approves or denies, and the authorization codes the
token endpoints redeem.

``GET <authorize path>?response_type=code&client_id&redirect_uri&scope&state[&code_challenge&code_challenge_method]``

* an unknown ``client_id`` or a ``redirect_uri`` that is not a loopback ``http`` URI (``127.0.0.1``,
  ``[::1]`` or ``localhost``, any port, as RFC 8252 7.3 lets native apps register) is answered with an HTML
  error page and NO redirect (RFC 6749 4.1.2.1: the URI cannot be trusted);
* other errors redirect to ``redirect_uri`` with ``error`` (``unsupported_response_type``, ``invalid_scope``,
  ``invalid_request`` for a missing or malformed PKCE challenge or a method other than ``S256``) and ``state``;
* otherwise the consent page: a form (``POST <consent path>``) with the request's id (``request``), the
  organization to grant (``organization``, a select of the emulator's organizations) and two buttons
  ``decision=approve`` / ``decision=deny``. The pending request lives ``request_lifetime`` seconds.

``POST <consent path>`` (form ``request``, ``decision``, ``organization``) answers ``303 See Other`` to
``redirect_uri`` with ``code`` and ``state``, or ``error=access_denied`` and ``state``. A request id is
single-use.

A code (:meth:`AuthorizationCodes.redeem`, called by the token endpoint for
``grant_type=authorization_code``) is single-use and lives ``code_lifetime`` seconds (Keycloak's default is
60); the client and ``redirect_uri`` must be the ones of the authorization request, and when the request
carried a ``code_challenge`` the ``code_verifier`` must hash to it (S256). A code used twice is refused and
the tokens issued for it are revoked (RFC 6749 4.1.2). Every refusal is 400 ``invalid_grant``.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import html
import re
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlparse

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from .oauth import NO_STORE, FormField, OAuthError, read_form

LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
#: RFC 7636 4.2: BASE64URL(SHA256(verifier)) without padding is 43 characters; 4.1: a verifier is 43-128
_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")


@dataclasses.dataclass
class PendingRequest:
    """An authorization request waiting for the consent."""

    client_id: str
    redirect_uri: str
    scope: str
    state: str | None
    code_challenge: str | None
    expires_ms: int


@dataclasses.dataclass
class IssuedCode:
    """An authorization code: what it grants and to whom."""

    client_id: str
    redirect_uri: str
    organization: str
    scope: str
    code_challenge: str | None
    expires_ms: int
    redeemed: bool = False
    #: what the token endpoint issued for it (revoked if the code comes back)
    grant: Any = None


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of a verifier."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


class AuthorizationCodes:
    """The pending authorization requests and the codes of one emulator (kept in its token store, so a reset
    forgets them)."""

    def __init__(self, now_ms: Callable[[], int], *, code_lifetime: int = 60, request_lifetime: int = 600) -> None:
        self.now_ms = now_ms
        self.code_lifetime = code_lifetime
        self.request_lifetime = request_lifetime
        self.pending: dict[str, PendingRequest] = {}
        self.codes: dict[str, IssuedCode] = {}

    def begin(self, client_id: str, redirect_uri: str, scope: str, state: str | None, challenge: str | None) -> str:
        request_id = secrets.token_urlsafe(16)
        expires = self.now_ms() + self.request_lifetime * 1000
        self.pending[request_id] = PendingRequest(client_id, redirect_uri, scope, state, challenge, expires)
        return request_id

    def take(self, request_id: str) -> PendingRequest | None:
        """The pending request (once), None if unknown or expired."""
        request = self.pending.pop(request_id, None)
        if request is None or self.now_ms() >= request.expires_ms:
            return None
        return request

    def issue(self, request: PendingRequest, organization: str) -> str:
        code = secrets.token_urlsafe(32)
        self.codes[code] = IssuedCode(
            request.client_id,
            request.redirect_uri,
            organization,
            request.scope,
            request.code_challenge,
            self.now_ms() + self.code_lifetime * 1000,
        )
        return code

    def redeem(self, field: FormField, *, client_id: str, revoke: Callable[[Any], None]) -> IssuedCode:
        """The grant of the token request's ``code`` (its form: ``field``), once, when its ``redirect_uri``
        and ``code_verifier`` match; else OAuthError 400 ``invalid_grant`` (or ``invalid_request`` when the
        code is missing). A code presented again gets its tokens revoked (``revoke(issued.grant)``)."""
        code, redirect_uri, code_verifier = field("code"), field("redirect_uri"), field("code_verifier")
        if not code:
            raise OAuthError(400, "invalid_request", "Missing parameter: code")
        issued = self.codes.get(code)
        if issued is None or issued.client_id != client_id:
            raise OAuthError(400, "invalid_grant", "Code not valid")
        if issued.redeemed:
            if issued.grant is not None:
                revoke(issued.grant)
                issued.grant = None
            raise OAuthError(400, "invalid_grant", "Code not valid")
        if self.now_ms() >= issued.expires_ms:
            del self.codes[code]
            raise OAuthError(400, "invalid_grant", "Code is expired")
        if redirect_uri != issued.redirect_uri:
            raise OAuthError(400, "invalid_grant", "Incorrect redirect_uri")
        if issued.code_challenge is not None:
            if not code_verifier:
                raise OAuthError(400, "invalid_grant", "PKCE code verifier not specified")
            if not _VERIFIER.match(code_verifier) or not hmac.compare_digest(
                s256(code_verifier), issued.code_challenge
            ):
                raise OAuthError(400, "invalid_grant", "PKCE verification failed: Code mismatch")
        elif code_verifier:
            raise OAuthError(400, "invalid_grant", "PKCE code verifier specified but challenge not present")
        issued.redeemed = True
        return issued


@dataclasses.dataclass(frozen=True)
class ConsentPage:
    """One emulator's authorization endpoint."""

    #: the provider's name on the page
    title: str
    authorize_path: str
    consent_path: str
    client_id: str
    #: the scopes a client may ask for, space-separated
    scopes: str
    #: whether a PKCE challenge is required (Pleo) or only checked when sent (Candis' Keycloak)
    require_pkce: bool
    #: the organizations a consent may grant, ``[(id, name)]``, of the app's provider
    organizations: Callable[[Any], list[tuple[str, str]]]
    #: the provider's :class:`AuthorizationCodes` (default: its token store's ``codes``, reset with it)
    codes: Callable[[Any], AuthorizationCodes] = lambda provider: provider.state.tokens.codes

    def router(self) -> APIRouter:
        router = APIRouter()
        router.add_api_route(self.authorize_path, self.authorize, methods=["GET"])
        router.add_api_route(self.consent_path, self.consent, methods=["POST"])
        return router

    # -- GET: the consent page ------------------------------------------------------------------------
    async def authorize(self, request: Request) -> Response:
        provider = request.app.state.provider
        query = request.query_params
        client_id, redirect_uri = query.get("client_id"), query.get("redirect_uri")
        if client_id != self.client_id:
            return self.error_page(400, "Client not found.")
        if not redirect_uri or not is_loopback(redirect_uri):
            return self.error_page(400, "Invalid parameter: redirect_uri")
        state = query.get("state")

        def refuse(error: str, description: str) -> Response:
            return redirect(redirect_uri, {"error": error, "error_description": description, "state": state})

        if query.get("response_type") != "code":
            return refuse(
                "unsupported_response_type", "Client is not allowed to initiate browser login with given response_type"
            )
        scope = " ".join(query.get("scope", "").split())
        unknown = sorted(set(scope.split()) - set(self.scopes.split()))
        if unknown:
            return refuse("invalid_scope", f"Invalid scopes: {' '.join(unknown)}")
        challenge, method = query.get("code_challenge"), query.get("code_challenge_method")
        if challenge is None and method is None and self.require_pkce:
            return refuse("invalid_request", "Missing parameter: code_challenge")
        if challenge is not None or method is not None:
            if method != "S256":
                return refuse("invalid_request", "Invalid parameter: code_challenge_method")
            if not challenge or not _CHALLENGE.match(challenge):
                return refuse("invalid_request", "Invalid parameter: code_challenge")
        request_id = self.codes(provider).begin(client_id, redirect_uri, scope, state, challenge)
        return self.consent_form(request_id, scope, self.organizations(provider))

    def consent_form(self, request_id: str, scope: str, organizations: list[tuple[str, str]]) -> Response:
        options = "".join(
            f'<option value="{html.escape(slug)}">{html.escape(name)} ({html.escape(slug)})</option>'
            for slug, name in organizations
        )
        body = (
            f"<!doctype html><html><head><title>{html.escape(self.title)}: grant access</title></head><body>"
            f"<h1>{html.escape(self.title)}</h1><p>The application <b>{html.escape(self.client_id)}</b> asks for: "
            f"<code>{html.escape(scope)}</code></p>"
            f'<form method="post" action="{html.escape(self.consent_path)}">'
            f'<input type="hidden" name="request" value="{html.escape(request_id)}">'
            f'<label>Organization <select name="organization">{options}</select></label> '
            '<button type="submit" name="decision" value="approve">Allow</button> '
            '<button type="submit" name="decision" value="deny">Deny</button>'
            "</form></body></html>"
        )
        return HTMLResponse(body, headers=NO_STORE)

    def error_page(self, status: int, message: str) -> Response:
        body = (
            f"<!doctype html><html><head><title>{html.escape(self.title)}: error</title></head><body>"
            f"<h1>We are sorry...</h1><p>{html.escape(message)}</p></body></html>"
        )
        return HTMLResponse(body, status_code=status, headers=NO_STORE)

    # -- POST: the decision ---------------------------------------------------------------------------
    async def consent(self, request: Request) -> Response:
        provider = request.app.state.provider
        field = await read_form(request)
        pending = self.codes(provider).take(field("request") or "")
        if pending is None:
            return self.error_page(400, "The authorization request is unknown or expired: start again.")
        decision = field("decision")
        if decision == "deny":
            query = {
                "error": "access_denied",
                "error_description": "The user denied the consent",
                "state": pending.state,
            }
            return redirect(pending.redirect_uri, query)
        if decision != "approve":
            return self.error_page(400, "Invalid parameter: decision (approve or deny)")
        organization = field("organization")
        known = [slug for slug, _name in self.organizations(provider)]
        if organization is None and len(known) == 1:
            organization = known[0]
        if organization not in known:
            return self.error_page(400, "Invalid parameter: organization")
        code = self.codes(provider).issue(pending, organization)
        return redirect(pending.redirect_uri, {"code": code, "state": pending.state})


def is_loopback(uri: str) -> bool:
    """An ``http`` URI on the loopback interface, without a fragment (RFC 8252 7.3, RFC 6749 3.1.2)."""
    try:
        parsed = urlparse(uri)
        parsed.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return False
    return parsed.scheme == "http" and parsed.hostname in LOOPBACK_HOSTS and not parsed.fragment


def redirect(uri: str, params: dict[str, str | None]) -> Response:
    """303 to ``uri`` with ``params`` (those that are not None) added to its query."""
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return RedirectResponse(f"{uri}{'&' if '?' in uri else '?'}{query}", status_code=303, headers=NO_STORE)
