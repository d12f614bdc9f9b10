"""Candis credentials: OAuth2 with rotating refresh tokens against Candis's Keycloak (tapkit's authenticator:
every new refresh token is persisted atomically before it is used, one token-store entry per authorization;
token requests are retried like API requests), or a ready access token (not renewed).

The refresh token comes from the `refresh_token` setting or from `tap-candis authorize` (tap_candis.commands),
which stores it for the organization: a tenant then needs `organization_id` and no refresh-token secret."""

from __future__ import annotations

import typing as t

from singer_sdk.authenticators import BearerTokenAuthenticator
from tapkit.oauth import check_refresh_flow, rotating_authenticator

TOKEN_URL = "https://id.my.candis.io/auth/realms/candis/protocol/openid-connect/token"  # noqa: S105 - a URL, not a secret
AUTHORIZE_URL = "https://id.my.candis.io/auth/realms/candis/protocol/openid-connect/auth"
SCOPES = "exports core_data offline_access"
#: the setting that names the tenant, and so the token-store entry `authorize` writes
TENANT_SETTING = "organization_id"


def client_auth(config: t.Mapping[str, t.Any]) -> str:
    return str(config.get("token_client_auth") or "basic")


def check_credentials(tap: t.Any) -> None:
    """client_id, client_secret and a refresh token (configured or stored by `authorize`), or access_token."""
    hint = "set client_id, client_secret and refresh_token (or access_token)"
    check_refresh_flow(tap, hint, unless="access_token", token_url=TOKEN_URL, tenant_setting=TENANT_SETTING)


def build_authenticator(tap_name: str, config: t.Mapping[str, t.Any]) -> t.Any:
    if config.get("access_token"):
        return BearerTokenAuthenticator(token=config["access_token"])
    return rotating_authenticator(
        tap_name, config, token_url=TOKEN_URL, tenant_setting=TENANT_SETTING, client_auth=client_auth(config)
    )
