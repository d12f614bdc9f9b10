"""OAuth2 authenticators: a shared base (early renewal, forced refresh on 401, the token POST) and the
refresh-token authenticator with rotation persisted."""

from __future__ import annotations

import datetime
import logging
import typing as t

import requests
from singer_sdk import typing as th
from singer_sdk.authenticators import OAuthAuthenticator

from tapkit.errors import TapError
from tapkit.token_store import RefreshTokenStore, default_store_dir

LOGGER = logging.getLogger(__name__)


def refresh_token_properties(
    tap_name: str, provider: str, *, default_endpoint: str, client_note: str, rotation_note: str, endpoint_note: str
) -> list[th.Property]:
    """The settings of the rotating refresh-token flow (Candis, Pleo): client, refresh token, token URL and the
    store of the rotated token. The notes are the provider's own details."""
    return [
        th.Property(
            "client_id",
            th.StringType,
            title="OAuth client ID",
            description=f"OAuth client id of your {provider} API client.",
        ),
        th.Property(
            "client_secret",
            th.StringType,
            secret=True,
            title="OAuth client secret",
            description=f"OAuth client secret{client_note}.",
        ),
        th.Property(
            "refresh_token",
            th.StringType,
            secret=True,
            title="Refresh token",
            description=f"Refresh token from the authorization-code flow{rotation_note}: the newest one is "
            "kept in `token_store_dir`, so this value is only read until the first rotation.",
        ),
        th.Property("token_url", th.StringType, default=default_endpoint, title="Token URL", description=endpoint_note),
        th.Property(
            "token_store_dir",
            th.StringType,
            title="Token store directory",
            description=f"Where the rotated refresh token is persisted (atomically) between runs. Default: "
            f"$XDG_STATE_HOME/{tap_name}/tokens (~/.local/state/{tap_name}/tokens).",
        ),
    ]


class RenewingOAuthAuthenticator(OAuthAuthenticator):
    """Shared token handling: early renewal, `invalidate()` (used on 401), the token POST and its answer.

    Renews when less than `renew_margin` (fraction of lifetime, at least 30 s) remains; errors are one line
    and never contain token values.
    """

    def __init__(
        self,
        *,
        auth_endpoint: str,
        client_id: str,
        client_secret: str,
        client_auth: str,
        timeout: float = 60.0,
        renew_margin: float = 0.1,
        user_agent: str | None = None,
    ) -> None:
        super().__init__(auth_endpoint=auth_endpoint, client_id=client_id, client_secret=client_secret)
        self._client_auth = client_auth
        self._timeout = timeout
        self._renew_margin = renew_margin
        self._user_agent = user_agent
        self.refresh_count = 0

    def is_token_valid(self) -> bool:
        if self.access_token is None or self.last_refreshed is None:
            return False
        if not self.expires_in:
            return True
        age = (datetime.datetime.now(datetime.UTC) - self.last_refreshed).total_seconds()
        margin = max(min(30.0, self.expires_in / 2), self.expires_in * self._renew_margin)
        return age < self.expires_in - margin

    def invalidate(self) -> None:
        """Forget the access token so the next request gets a new one (used on 401)."""
        self.access_token = None
        self.last_refreshed = None

    def _post_form(self, form: dict[str, str]) -> requests.Response:
        """POST `form` to the token endpoint, the client authenticated with HTTP Basic or in the form."""
        headers = {"Accept": "application/json"}
        if self._user_agent:
            headers["User-Agent"] = self._user_agent
        auth = None
        if self._client_auth == "basic":
            auth = (self.client_id, self.client_secret)
        elif self._client_auth == "post":
            form = {**form, "client_id": self.client_id, "client_secret": self.client_secret}
        try:
            return self._session.post(self.auth_endpoint, data=form, auth=auth, headers=headers, timeout=self._timeout)
        except requests.RequestException as exc:
            msg = f"cannot reach the token endpoint {self.auth_endpoint}: {type(exc).__name__}"
            raise TapError(msg) from None

    def _token_body(self, response: requests.Response) -> tuple[dict, str]:
        """The JSON body of a 200 token answer and its access token (TapError if it is not OAuth JSON)."""
        try:
            body = response.json()
            access_token = body["access_token"]
        except (ValueError, KeyError, TypeError):
            msg = f"token endpoint {self.auth_endpoint} answered without an access_token (not OAuth JSON)"
            raise TapError(msg) from None
        return body, access_token

    def _accept(self, body: dict, access_token: str, request_time: datetime.datetime) -> None:
        self.access_token = access_token
        self.expires_in = int(body["expires_in"]) if body.get("expires_in") else None
        self.last_refreshed = request_time
        self.refresh_count += 1

    @staticmethod
    def _error_body(response: requests.Response) -> dict:
        """The JSON object of an error answer, or {} if it has none."""
        try:
            body = response.json()
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    @classmethod
    def _error_code(cls, response: requests.Response) -> str | None:
        return cls._error_body(response).get("error")


class RotatingRefreshTokenAuthenticator(RenewingOAuthAuthenticator):
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
        super().__init__(
            auth_endpoint=auth_endpoint,
            client_id=client_id,
            client_secret=client_secret,
            client_auth=client_auth,
            timeout=timeout,
            renew_margin=renew_margin,
            user_agent=user_agent,
        )
        self._fallback = fallback_to_configured
        self._configured_refresh_token = refresh_token
        self._store = store
        self.refresh_token = store.load(refresh_token) if store else refresh_token

    @property
    def oauth_request_body(self) -> dict:
        body = {"grant_type": "refresh_token", "refresh_token": self.refresh_token}
        if self._client_auth == "post":
            body |= {"client_id": self.client_id, "client_secret": self.client_secret}
        return body

    def _post(self) -> requests.Response:
        return self._post_form({"grant_type": "refresh_token", "refresh_token": self.refresh_token})

    def update_access_token(self) -> None:
        request_time = datetime.datetime.now(datetime.UTC)
        response = self._post()
        if (
            response.status_code == 400
            and self._error_code(response) == "invalid_grant"
            and self.refresh_token != self._configured_refresh_token
        ):
            if not self._fallback:
                msg = (
                    "token refresh failed: the stored rotated refresh token was rejected (invalid_grant) and the "
                    "configured refresh_token was already used; sending a used refresh token again revokes the "
                    "authorization, so authorize again and set a new refresh_token"
                )
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
        body, access_token = self._token_body(response)
        new_refresh = body.get("refresh_token")
        if new_refresh and new_refresh != self.refresh_token:
            if self._store is not None:
                self._store.save(new_refresh, self._configured_refresh_token)
            self.refresh_token = new_refresh
        self._accept(body, access_token, request_time)
        LOGGER.info("Access token refreshed (valid for %s s)", self.expires_in)


def rotating_authenticator(
    tap_name: str,
    config: t.Mapping[str, t.Any],
    *,
    token_url: str,
    client_auth: str = "basic",
    fallback_to_configured: bool = True,
) -> RotatingRefreshTokenAuthenticator:
    """The refresh-token authenticator from a tap's settings (token_url, client_id, client_secret,
    refresh_token, token_store_dir, request_timeout, user_agent); `token_url` is the default endpoint."""
    token_url = config.get("token_url") or token_url
    store_dir = config.get("token_store_dir") or default_store_dir(tap_name)
    return RotatingRefreshTokenAuthenticator(
        auth_endpoint=token_url,
        client_id=config["client_id"],
        client_secret=config["client_secret"],
        refresh_token=config["refresh_token"],
        store=RefreshTokenStore(store_dir, token_url=token_url, client_id=config["client_id"]),
        client_auth=client_auth,
        timeout=float(config.get("request_timeout") or 60),
        user_agent=config.get("user_agent"),
        fallback_to_configured=fallback_to_configured,
    )
