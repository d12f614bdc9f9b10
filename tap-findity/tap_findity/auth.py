"""OAuth2 client credentials for Findity, renewed before expiry and on 401.

Findity answers the client-credentials grant with an access token (about an hour) and a single-use refresh
token. Renewal first spends the refresh token (`grant_type=refresh_token`); if Findity rejects it, a fresh
client-credentials grant follows, so renewal never depends on a refresh token surviving. Nothing is persisted:
the client credentials are always enough. Errors are one line and never contain secrets or tokens.
"""

from __future__ import annotations

import datetime
import logging

import requests
from singer_sdk.authenticators import OAuthAuthenticator

from tapkit.errors import TapError

LOGGER = logging.getLogger(__name__)


class ClientCredentialsAuthenticator(OAuthAuthenticator):
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
        super().__init__(auth_endpoint=auth_endpoint, client_id=client_id, client_secret=client_secret)
        self._client_auth = client_auth
        self._timeout = timeout
        self._renew_margin = renew_margin
        self._user_agent = user_agent
        self._refresh_token: str | None = None
        self.refresh_count = 0

    @property
    def oauth_request_body(self) -> dict:
        return {"grant_type": "client_credentials"}

    def is_token_valid(self) -> bool:
        if self.access_token is None or self.last_refreshed is None:
            return False
        if not self.expires_in:
            return True
        age = (datetime.datetime.now(datetime.timezone.utc) - self.last_refreshed).total_seconds()
        margin = max(min(30.0, self.expires_in / 2), self.expires_in * self._renew_margin)
        return age < self.expires_in - margin

    def invalidate(self) -> None:
        """Forget the access token so the next request gets a new one (used on 401)."""
        self.access_token = None
        self.last_refreshed = None

    def _post(self, form: dict[str, str]) -> requests.Response:
        headers = {"Accept": "application/json"}
        if self._user_agent:
            headers["User-Agent"] = self._user_agent
        auth = None
        if self._client_auth == "basic":
            auth = (self.client_id, self.client_secret)
        else:
            form = {**form, "client_id": self.client_id, "client_secret": self.client_secret}
        try:
            return self._session.post(self.auth_endpoint, data=form, auth=auth, headers=headers, timeout=self._timeout)
        except requests.RequestException as exc:
            msg = f"cannot reach the token endpoint {self.auth_endpoint}: {type(exc).__name__}"
            raise TapError(msg) from None

    def update_access_token(self) -> None:
        request_time = datetime.datetime.now(datetime.timezone.utc)
        response = None
        if self._refresh_token:
            response = self._post({"grant_type": "refresh_token", "refresh_token": self._refresh_token})
            self._refresh_token = None  # single use, whatever the answer
            if response.status_code != 200:
                LOGGER.info("Refresh token not accepted (HTTP %s); using the client credentials grant", response.status_code)
                response = None
        if response is None:
            response = self._post(dict(self.oauth_request_body))
        if response.status_code != 200:
            code = self._error_code(response) or "no error code"
            msg = (f"token request failed: HTTP {response.status_code} ({code}) from {self.auth_endpoint}; "
                   "check client_id, client_secret and token_url")
            raise TapError(msg)
        try:
            body = response.json()
            access_token = body["access_token"]
        except (ValueError, KeyError, TypeError):
            msg = f"token endpoint {self.auth_endpoint} answered without an access_token (not OAuth JSON)"
            raise TapError(msg) from None
        self.access_token = access_token
        self._refresh_token = body.get("refresh_token") or None
        self.expires_in = int(body["expires_in"]) if body.get("expires_in") else None
        self.last_refreshed = request_time
        self.refresh_count += 1
        LOGGER.info("Access token obtained (valid for %s s)", self.expires_in)

    @staticmethod
    def _error_code(response: requests.Response) -> str | None:
        try:
            body = response.json()
        except ValueError:
            return None
        return str(body.get("error") or body.get("code") or "") or None if isinstance(body, dict) else None
