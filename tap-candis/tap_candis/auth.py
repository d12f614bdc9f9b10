"""Candis credentials: OAuth2 with rotating refresh tokens against Candis's Keycloak (tapkit's authenticator:
every new refresh token is persisted atomically before it is used; token requests are retried like API
requests), or a ready access token (not renewed)."""

from __future__ import annotations

import typing as t

from singer_sdk.authenticators import BearerTokenAuthenticator
from tapkit.oauth import rotating_authenticator

TOKEN_URL = "https://id.my.candis.io/auth/realms/candis/protocol/openid-connect/token"  # noqa: S105 - a URL, not a secret


def build_authenticator(tap_name: str, config: t.Mapping[str, t.Any]) -> t.Any:
    if config.get("access_token"):
        return BearerTokenAuthenticator(token=config["access_token"])
    return rotating_authenticator(
        tap_name, config, token_url=TOKEN_URL, client_auth=config.get("token_client_auth") or "basic"
    )
