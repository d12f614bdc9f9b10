"""Building blocks of the emulators' OAuth2 token endpoints and Bearer checks.

Only the mechanics are shared (the token store dependency, form parsing, HTTP Basic decoding, the client
check, the RFC 6749 error body, Bearer extraction); each provider keeps its own token format, grants, how its
client must authenticate, messages and headers.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import parse_qs, unquote_plus

from starlette.requests import Request
from starlette.responses import Response

from .errors import ApiError
from .jsonutil import json_response

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
#: what a provider's valid access token stands for (:func:`require_bearer`)
Grant = TypeVar("Grant")


#: the form of a token request: the first value of a field, None when absent (:func:`read_form`)
FormField = Callable[[str], str | None]


def oauth_error(status: int, error: str, description: str, *, headers: Mapping[str, str] = NO_STORE) -> Response:
    """RFC 6749 5.2 error: ``{"error": ..., "error_description": ...}``."""
    return json_response({"error": error, "error_description": description}, status=status, headers=dict(headers))


class OAuthError(Exception):
    """A token endpoint's refusal, answered by ``build_app`` as :func:`oauth_error`."""

    def __init__(self, status: int, error: str, description: str, *, headers: Mapping[str, str] = NO_STORE) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.headers = headers

    def response(self) -> Response:
        return oauth_error(self.status, self.error, self.description, headers=self.headers)


async def token_store(request: Request) -> Any:
    """FastAPI dependency of the token endpoints: the token store of the app's provider (``state.tokens``)."""
    return request.app.state.provider.state.tokens


async def read_form(request: Request) -> FormField:
    """The first value of a form field (None when absent); only url-encoded bodies are read."""
    form: dict[str, list[str]] = {}
    if request.headers.get("content-type", "").lower().startswith("application/x-www-form-urlencoded"):
        form = parse_qs((await request.body()).decode("utf-8", errors="replace"), keep_blank_values=True)

    def field(name: str) -> str | None:
        values = form.get(name)
        return values[0] if values else None

    return field


def decode_basic(payload: str) -> tuple[str, str, str] | None:
    """``(user, ":", password)`` of a Basic credential's base64 payload (``partition``), None if undecodable."""
    try:
        decoded = base64.b64decode(payload.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """``(user, password)`` of an ``Authorization: Basic …`` header as sent (not unquoted).

    None when there is no Basic header; ``("", "")`` when it cannot be decoded or has no ``:``.
    """
    if not header:
        return None
    scheme, _, payload = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    parts = decode_basic(payload)
    return (parts[0], parts[2]) if parts is not None and parts[1] else ("", "")


def unquote_client(client: tuple[str, str] | None) -> tuple[str, str] | None:
    """RFC 6749 2.3.1: client id and secret are form-urlencoded before Basic encoding."""
    return None if client is None else (unquote_plus(client[0]), unquote_plus(client[1]))


def client_of(basic: tuple[str, str] | None, field: FormField) -> tuple[str, str] | None:
    """The client from HTTP Basic, else from ``client_id``/``client_secret`` form fields (client_secret_post)."""
    if basic is None and field("client_id") is not None:
        return (field("client_id") or "", field("client_secret") or "")
    return basic


def basic_client(header: str | None, field: FormField) -> tuple[str, str] | None:
    """``client_secret_basic`` only: the client of the ``Authorization: Basic`` header, form-decoded."""
    return unquote_client(basic_credentials(header))


def basic_or_post_client(header: str | None, field: FormField) -> tuple[str, str] | None:
    """``client_secret_basic``, else ``client_secret_post`` (``client_id``/``client_secret`` form fields)."""
    return client_of(basic_client(header, field), field)


@dataclasses.dataclass(frozen=True)
class OAuthClient:
    """The one client a token endpoint knows: its credentials, how it presents them (``presented``: the
    client read from the ``Authorization`` header and the form), and what refusing any other says."""

    client_id: str
    client_secret: str
    presented: Callable[[str | None, FormField], tuple[str, str] | None]
    refused: str
    headers: Mapping[str, str] = dataclasses.field(default_factory=NO_STORE.copy)

    async def form(self, request: Request) -> FormField:
        """The token request's form, once its client is this one; else 401 ``invalid_client``."""
        field = await read_form(request)
        if self.presented(request.headers.get("authorization"), field) != (self.client_id, self.client_secret):
            raise OAuthError(401, "invalid_client", self.refused, headers=self.headers)
        return field


def bearer_token(headers: Any) -> str | None:
    """The token of an ``Authorization: Bearer …`` header (case-insensitive scheme), else None."""
    value = headers.get("authorization") if hasattr(headers, "get") else None
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def require_bearer(
    organization_for: Callable[[str], Grant | None], request: Request, *, missing: str, invalid: str
) -> Grant:
    """What ``organization_for`` answers for the request's valid Bearer token (the organization, or whatever a
    provider binds its tokens to), or 401 UNAUTHORIZED with ``missing``/``invalid``."""
    token = bearer_token(request.headers)
    if token is None:
        raise ApiError(401, missing, code="UNAUTHORIZED", headers={"WWW-Authenticate": "Bearer"})
    organization = organization_for(token)
    if organization is None:
        raise ApiError(401, invalid, code="UNAUTHORIZED", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    return organization


def refresh_grant(field: FormField, redeem: Callable[[str], dict[str, Any] | None], invalid_grant: str) -> Response:
    """The ``grant_type=refresh_token`` answer: new tokens, or 400 ``invalid_request``/``invalid_grant``."""
    refresh_token = field("refresh_token")
    if not refresh_token:
        return oauth_error(400, "invalid_request", "Missing parameter: refresh_token")
    answer = redeem(refresh_token)
    if answer is None:
        return oauth_error(400, "invalid_grant", invalid_grant)
    return json_response(answer, headers=NO_STORE)
