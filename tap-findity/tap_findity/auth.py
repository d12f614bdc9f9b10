"""OAuth2 client credentials for Findity, renewed before expiry and on 401.

Findity answers the client-credentials grant with an access token (about an hour) and a single-use refresh
token. Renewal first spends the refresh token (`grant_type=refresh_token`); if Findity rejects it, a fresh
client-credentials grant follows, so renewal never depends on a refresh token surviving. Nothing is persisted:
the client credentials are always enough. Token requests are retried like API requests (tapkit.oauth); errors are
one line (`credentials rejected: …`, `token endpoint unavailable after N tries: …`) and never contain secrets
or tokens.
"""

from __future__ import annotations

import datetime
import logging
import typing as t

import requests
from tapkit.http import RequestPolicy
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
        request_policy: RequestPolicy | None = None,
        renew_margin: float = 0.1,
        user_agent: str | None = None,
    ) -> None:
        super().__init__(
            auth_endpoint=auth_endpoint,
            client_id=client_id,
            client_secret=client_secret,
            client_auth="basic" if client_auth == "basic" else "post",
            request_policy=request_policy,
            renew_margin=renew_margin,
            user_agent=user_agent,
        )
        self._refresh_token: str | None = None

    @property
    def oauth_request_body(self) -> dict:
        return {"grant_type": "client_credentials"}

    def update_access_token(self) -> None:
        """Token requests are retried by the tap's request policy (tapkit.oauth); a token endpoint that stays
        unavailable ends the run at once, without a second series of tries for the other grant."""
        request_time = datetime.datetime.now(datetime.UTC)
        self.failed_tries = []
        response = None
        if self._refresh_token:
            refresh_token, self._refresh_token = self._refresh_token, None  # single use, whatever the answer
            # a retry after a lost answer may present the spent token: Findity refuses it and the client
            # credentials grant below takes over, so nothing is lost
            response = self._post_form(lambda: {"grant_type": "refresh_token", "refresh_token": refresh_token})
            if not response.ok:
                LOGGER.info(
                    "Refresh token not accepted (HTTP %s); using the client credentials grant", response.status_code
                )
                response = None
        if response is None:
            response = self._post_form(lambda: dict(self.oauth_request_body))
        if not response.ok:
            raise self.refused(response, check="check client_id and client_secret")
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
        request_policy=RequestPolicy.from_config(config),
        user_agent=config.get("user_agent"),
    )
