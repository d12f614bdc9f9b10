"""Pleo credentials: an API key (HTTP Basic, the key as user name and an EMPTY password) or OAuth2 with
rotating refresh tokens (tapkit's authenticator: every new refresh token is persisted atomically before it
is used, and a spent one is never sent again, since Pleo revokes the whole authorization on reuse — except
by the retry of a try whose answer was lost, the residual risk tapkit.oauth describes). Token requests are
retried like API requests."""

from __future__ import annotations

import typing as t

from singer_sdk.authenticators import BasicAuthenticator
from tapkit.oauth import rotating_authenticator

TOKEN_URL = "https://auth.pleo.io/oauth/token"  # noqa: S105 - a URL, not a secret


def build_authenticator(tap_name: str, config: t.Mapping[str, t.Any]) -> t.Any:
    if config.get("api_key"):
        return BasicAuthenticator(username=str(config["api_key"]), password="")
    # Pleo revokes the whole authorization when a spent token is sent again: no fallback to the configured one
    return rotating_authenticator(
        tap_name, config, token_url=TOKEN_URL, client_auth="basic", fallback_to_configured=False
    )
