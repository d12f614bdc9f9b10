"""Pleo credentials: an API key (HTTP Basic, the key as user name and an EMPTY password) or OAuth2 with
rotating refresh tokens (tapkit's authenticator: every new refresh token is persisted atomically before it
is used, one token-store entry per authorization, and a spent one is never sent again, since Pleo revokes the
whole authorization on reuse — except by the retry of a try whose answer was lost, the residual risk
tapkit.oauth describes). Token requests are retried like API requests.

The refresh token comes from the `refresh_token` setting or from `tap-pleo-authorize` (tap_pleo.commands:
authorization code with PKCE S256), which stores it for the company: a tenant then needs `company_id` and no
refresh-token secret."""

from __future__ import annotations

import typing as t

from singer_sdk.authenticators import BasicAuthenticator
from tapkit.oauth import check_refresh_flow, rotating_authenticator

TOKEN_URL = "https://auth.pleo.io/oauth/token"  # noqa: S105 - a URL, not a secret
#: [I] inferred: Pleo's notes give only the token URL; the authorize endpoint is taken to sit beside it
AUTHORIZE_URL = "https://auth.pleo.io/oauth/authorize"
#: every scope the tap and its write-back (`ack`) use
SCOPES = (
    "export-jobs:read export-jobs:write export-items:read accounts:read companies:read tax-codes:read "
    "tag-groups:read users:read"
)
#: the setting that names the tenant, and so the token-store entry `authorize` writes
TENANT_SETTING = "company_id"


def check_credentials(tap: t.Any) -> None:
    """api_key, or client_id, client_secret and a refresh token (configured or stored by `authorize`)."""
    hint = "set api_key, or client_id, client_secret and refresh_token"
    check_refresh_flow(tap, hint, unless="api_key", token_url=TOKEN_URL, tenant_setting=TENANT_SETTING)


def build_authenticator(tap_name: str, config: t.Mapping[str, t.Any]) -> t.Any:
    if config.get("api_key"):
        return BasicAuthenticator(username=str(config["api_key"]), password="")
    # Pleo revokes the whole authorization when a spent token is sent again: no fallback to the configured one
    return rotating_authenticator(
        tap_name,
        config,
        token_url=TOKEN_URL,
        tenant_setting=TENANT_SETTING,
        client_auth="basic",
        fallback_to_configured=False,
    )
