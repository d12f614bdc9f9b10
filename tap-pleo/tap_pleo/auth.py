"""Pleo credentials: an API key (HTTP Basic, the key as user name and an EMPTY password) or OAuth2 with
rotating refresh tokens (tapkit's authenticator: every new refresh token is persisted atomically before it
is used, and a spent one is never sent again, since Pleo revokes the whole authorization on reuse)."""

from __future__ import annotations

import typing as t

from singer_sdk.authenticators import BasicAuthenticator

from tapkit.oauth import RotatingRefreshTokenAuthenticator
from tapkit.token_store import RefreshTokenStore, default_store_dir

TOKEN_URL = "https://auth.pleo.io/oauth/token"


def build_authenticator(tap_name: str, config: t.Mapping[str, t.Any]) -> t.Any:
    if config.get("api_key"):
        return BasicAuthenticator(username=str(config["api_key"]), password="")
    token_url = config.get("token_url") or TOKEN_URL
    store_dir = config.get("token_store_dir") or default_store_dir(tap_name)
    return RotatingRefreshTokenAuthenticator(
        auth_endpoint=token_url,
        client_id=config["client_id"],
        client_secret=config["client_secret"],
        refresh_token=config["refresh_token"],
        store=RefreshTokenStore(store_dir, token_url=token_url, client_id=config["client_id"]),
        client_auth="basic",
        timeout=float(config.get("request_timeout") or 60),
        user_agent=config.get("user_agent"),
        fallback_to_configured=False,  # Pleo revokes the whole authorization when a spent token is sent again
    )
