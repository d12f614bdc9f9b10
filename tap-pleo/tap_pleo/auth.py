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
    return PleoRefreshTokenAuthenticator(
        auth_endpoint=token_url,
        client_id=config["client_id"],
        client_secret=config["client_secret"],
        refresh_token=config["refresh_token"],
        store=RefreshTokenStore(store_dir, token_url=token_url, client_id=config["client_id"]),
        client_auth="basic",
        timeout=float(config.get("request_timeout") or 60),
        user_agent=config.get("user_agent"),
    )


class PleoRefreshTokenAuthenticator(RotatingRefreshTokenAuthenticator):
    """tapkit's rotating authenticator without its fallback to the configured refresh token.

    tapkit retries once with the configured token when a stored rotated one is rejected. For Pleo that
    token has been spent, and presenting a spent token revokes the whole authorization, so a second
    attempt within one refresh is refused here with an actionable error instead.
    """

    def update_access_token(self) -> None:
        self._attempts = 0
        super().update_access_token()

    def _post(self) -> t.Any:
        self._attempts = getattr(self, "_attempts", 0) + 1
        if self._attempts > 1:
            from tapkit.errors import TapError

            msg = ("token refresh failed: the stored rotated refresh token was rejected (invalid_grant) and the "
                   "configured refresh_token was already used; Pleo revokes an authorization when a used refresh "
                   "token is sent again, so authorize again and set a new refresh_token")
            raise TapError(msg)
        return super()._post()
