"""OAuth2 client credentials for Findity, renewed before expiry and on 401.

Findity answers the client-credentials grant with an access token (about an hour) and a single-use refresh
token. Renewal first spends the refresh token (`grant_type=refresh_token`); if Findity rejects it, a fresh
client-credentials grant follows, so renewal never depends on a refresh token surviving. Nothing is persisted:
the client credentials are always enough. Errors are one line and never contain secrets or tokens.
"""

from __future__ import annotations

import datetime
import logging
import typing as t

import requests
from tapkit.errors import TapError
from tapkit.oauth import RenewingOAuthAuthenticator

TOKEN_URL = "https://expense.findity.com/oauth/token"  # noqa: S105 - a URL, not a secret

LOGGER = logging.getLogger(__name__)


class ClientCredentialsAuthenticator(RenewingOAuthAuthenticator):
    def __init__(
        self,
        *,
        auth_endpoint: str,
        client_id: str,
        client_secret: str,
        client_auth: str = "post",
        timeout: float = 60.0,
        renew_margin: float = 0.1,
        user_agent: str | None = None,
    ) -> None:
        super().__init__(
            auth_endpoint=auth_endpoint,
            client_id=client_id,
            client_secret=client_secret,
            client_auth="basic" if client_auth == "basic" else "post",
            timeout=timeout,
            renew_margin=renew_margin,
            user_agent=user_agent,
        )
        self._refresh_token: str | None = None

    @property
    def oauth_request_body(self) -> dict:
        return {"grant_type": "client_credentials"}

    def update_access_token(self) -> None:
        request_time = datetime.datetime.now(datetime.UTC)
        response = None
        if self._refresh_token:
            response = self._post_form({"grant_type": "refresh_token", "refresh_token": self._refresh_token})
            self._refresh_token = None  # single use, whatever the answer
            if response.status_code != 200:
                LOGGER.info(
                    "Refresh token not accepted (HTTP %s); using the client credentials grant", response.status_code
                )
                response = None
        if response is None:
            response = self._post_form(dict(self.oauth_request_body))
        if response.status_code != 200:
            code = self._error_code(response) or "no error code"
            msg = (
                f"token request failed: HTTP {response.status_code} ({code}) from {self.auth_endpoint}; "
                "check client_id, client_secret and token_url"
            )
            raise TapError(msg)
        body, access_token = self._token_body(response)
        self._refresh_token = body.get("refresh_token") or None
        self._accept(body, access_token, request_time)
        LOGGER.info("Access token obtained (valid for %s s)", self.expires_in)

    @classmethod
    def _error_code(cls, response: requests.Response) -> str | None:
        body = cls._error_body(response)
        return str(body.get("error") or body.get("code") or "") or None


def build_authenticator(tap_name: str, config: t.Mapping[str, t.Any]) -> ClientCredentialsAuthenticator:
    return ClientCredentialsAuthenticator(
        auth_endpoint=config.get("token_url") or TOKEN_URL,
        client_id=config["client_id"],
        client_secret=config["client_secret"],
        client_auth=config.get("token_client_auth") or "post",
        timeout=float(config.get("request_timeout") or 60),
        user_agent=config.get("user_agent"),
    )
