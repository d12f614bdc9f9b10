"""OAuth2 refresh-token authenticator with rotation persisted, early renewal and forced refresh on 401."""

from __future__ import annotations

import datetime
import logging

import requests
from singer_sdk.authenticators import OAuthAuthenticator

from tapkit.errors import TapError
from tapkit.token_store import RefreshTokenStore

LOGGER = logging.getLogger(__name__)


class RotatingRefreshTokenAuthenticator(OAuthAuthenticator):
    """`grant_type=refresh_token`; every new refresh token is saved before it is used.

    - renews when less than `renew_margin` (fraction of lifetime, at least 30 s) remains;
    - `invalidate()` forces a refresh (used on 401);
    - if a stored rotated token is rejected (`invalid_grant`), falls back once to the configured one, unless
      `fallback_to_configured=False` (for providers that revoke an authorization when a spent token is sent);
    - errors are one line and never contain token values.
    """

    def __init__(
        self,
        *,
        auth_endpoint: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        store: RefreshTokenStore | None,
        client_auth: str = "basic",
        timeout: float = 60.0,
        renew_margin: float = 0.1,
        user_agent: str | None = None,
        fallback_to_configured: bool = True,
    ) -> None:
        super().__init__(auth_endpoint=auth_endpoint, client_id=client_id, client_secret=client_secret)
        self._fallback = fallback_to_configured
        self._configured_refresh_token = refresh_token
        self._store = store
        self.refresh_token = store.load(refresh_token) if store else refresh_token
        self._client_auth = client_auth
        self._timeout = timeout
        self._renew_margin = renew_margin
        self._user_agent = user_agent
        self.refresh_count = 0

    @property
    def oauth_request_body(self) -> dict:
        body = {"grant_type": "refresh_token", "refresh_token": self.refresh_token}
        if self._client_auth == "post":
            body |= {"client_id": self.client_id, "client_secret": self.client_secret}
        return body

    def is_token_valid(self) -> bool:
        if self.access_token is None or self.last_refreshed is None:
            return False
        if not self.expires_in:
            return True
        age = (datetime.datetime.now(datetime.timezone.utc) - self.last_refreshed).total_seconds()
        margin = max(min(30.0, self.expires_in / 2), self.expires_in * self._renew_margin)
        return age < self.expires_in - margin

    def invalidate(self) -> None:
        """Forget the access token so the next request refreshes it."""
        self.access_token = None
        self.last_refreshed = None

    def _post(self) -> requests.Response:
        headers = {"Accept": "application/json"}
        if self._user_agent:
            headers["User-Agent"] = self._user_agent
        auth = (self.client_id, self.client_secret) if self._client_auth == "basic" else None
        try:
            return self._session.post(
                self.auth_endpoint, data=self.oauth_request_body, auth=auth, headers=headers, timeout=self._timeout
            )
        except requests.RequestException as exc:
            msg = f"cannot reach the token endpoint {self.auth_endpoint}: {type(exc).__name__}"
            raise TapError(msg) from None

    def update_access_token(self) -> None:
        request_time = datetime.datetime.now(datetime.timezone.utc)
        response = self._post()
        if (
            response.status_code == 400
            and self._error_code(response) == "invalid_grant"
            and self.refresh_token != self._configured_refresh_token
        ):
            if not self._fallback:
                msg = ("token refresh failed: the stored rotated refresh token was rejected (invalid_grant) and the "
                       "configured refresh_token was already used; sending a used refresh token again revokes the "
                       "authorization, so authorize again and set a new refresh_token")
                raise TapError(msg)
            LOGGER.warning("Stored rotated refresh token was rejected; retrying with the configured refresh_token")
            self.refresh_token = self._configured_refresh_token
            response = self._post()
        if response.status_code != 200:
            code = self._error_code(response) or "no error code"
            hint = (
                "the refresh token is expired, revoked or already used: authorize again and set refresh_token"
                if code == "invalid_grant"
                else "check client_id, client_secret and token_url"
            )
            msg = f"token refresh failed: HTTP {response.status_code} ({code}) from {self.auth_endpoint}; {hint}"
            raise TapError(msg)
        try:
            body = response.json()
            access_token = body["access_token"]
        except (ValueError, KeyError, TypeError):
            msg = f"token endpoint {self.auth_endpoint} answered without an access_token (not OAuth JSON)"
            raise TapError(msg) from None
        new_refresh = body.get("refresh_token")
        if new_refresh and new_refresh != self.refresh_token:
            if self._store is not None:
                self._store.save(new_refresh, self._configured_refresh_token)
            self.refresh_token = new_refresh
        self.access_token = access_token
        self.expires_in = int(body["expires_in"]) if body.get("expires_in") else None
        self.last_refreshed = request_time
        self.refresh_count += 1
        LOGGER.info("Access token refreshed (valid for %s s)", self.expires_in)

    @staticmethod
    def _error_code(response: requests.Response) -> str | None:
        try:
            body = response.json()
        except ValueError:
            return None
        return body.get("error") if isinstance(body, dict) else None
