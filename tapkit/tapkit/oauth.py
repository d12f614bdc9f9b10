"""OAuth2 authenticators: a shared base (early renewal, forced refresh on 401, the token POST through the
tap's request policy) and the refresh-token authenticator with rotation persisted, one store entry per
authorization (tapkit.token_store: many tenants of one OAuth client may share a `token_store_dir`; two runs
of one authorization take turns through the entry's file lock).

A token request is bounded and retried exactly like an API request (tapkit.http.RequestPolicy: timeout,
429/5xx/timeouts/dropped connections/garbled answers retried with Retry-After, max_retries, the tap-wide
rate limit). It fails at once only when the endpoint definitely refuses the credentials — 400/401 with
`invalid_grant`, `invalid_client` or `unauthorized_client` (any 401: client authentication failed) — and says
`credentials rejected: …`; when every try failed it says `token endpoint unavailable after N tries: …`.
Other 4xx (a wrong token_url, an unsupported grant) fail at once too: `token request refused: …`.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import typing as t
from urllib.parse import urlparse

import requests
from singer_sdk import typing as th
from singer_sdk.authenticators import OAuthAuthenticator
from singer_sdk.exceptions import RetriableAPIError

from tapkit.errors import TapError
from tapkit.http import (
    RETRY_STATUSES,
    MalformedResponseError,
    RequestPolicy,
    RetriesExhaustedError,
    describe,
    describe_failure,
    tries_text,
)
from tapkit.token_store import RefreshTokenStore, default_store_dir

if t.TYPE_CHECKING:
    from collections.abc import Callable

LOGGER = logging.getLogger(__name__)


def refresh_token_properties(
    tap_name: str,
    provider: str,
    *,
    default_endpoint: str,
    client_note: str,
    rotation_note: str,
    endpoint_note: str,
    authorize_endpoint: str | None = None,
    authorize_note: str = "",
) -> list[th.Property]:
    """The settings of the rotating refresh-token flow (Candis, Pleo): client, refresh token, token URL, the
    store of the rotated token and, with `authorize_endpoint`, the authorize URL of `<tap> authorize`. The
    notes are the provider's own details."""
    properties = [
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
            "kept in `token_store_dir`, so this value is only read until the first rotation. Not needed when "
            f"`{tap_name} authorize` stored the tenant's token.",
        ),
        th.Property("token_url", th.StringType, default=default_endpoint, title="Token URL", description=endpoint_note),
        th.Property(
            "token_store_dir",
            th.StringType,
            title="Token store directory",
            description=f"Where the rotated refresh tokens are persisted (atomically, one entry per authorization, "
            f"so many tenants of one client may share it) between runs. Default: $XDG_STATE_HOME/{tap_name}/tokens "
            f"(~/.local/state/{tap_name}/tokens).",
        ),
    ]
    if authorize_endpoint:
        properties.append(
            th.Property(
                "authorize_url",
                th.StringType,
                default=authorize_endpoint,
                title="Authorize URL",
                description=f"OAuth authorization endpoint `{tap_name} authorize` sends the browser to{authorize_note}.",
            )
        )
    return properties


#: OAuth error codes (RFC 6749 5.2) that definitely refuse the credentials: retrying cannot help.
REFUSAL_CODES = ("invalid_grant", "invalid_client", "unauthorized_client")


class CredentialsRejectedError(TapError):
    """The token endpoint refused the credentials (`invalid_grant`, `invalid_client`, `unauthorized_client`)."""


class TokenEndpointUnavailableError(TapError):
    """Every try of a token request failed (timeouts, dropped connections, 429/5xx, answers that are not OAuth)."""


class RenewingOAuthAuthenticator(OAuthAuthenticator):
    """Shared token handling: early renewal, `invalidate()` (used on 401), the token POST and its answer.

    Renews when less than `renew_margin` (fraction of lifetime, at least 30 s) remains. Token requests go
    through `request_policy` (the tap's RequestPolicy; ProviderHTTPMixin gives it the tap-wide rate
    limiter). Errors are one line and never contain token values.
    """

    def __init__(
        self,
        *,
        auth_endpoint: str,
        client_id: str,
        client_secret: str,
        client_auth: str,
        request_policy: RequestPolicy | None = None,
        renew_margin: float = 0.1,
        user_agent: str | None = None,
    ) -> None:
        super().__init__(auth_endpoint=auth_endpoint, client_id=client_id, client_secret=client_secret)
        self._client_auth = client_auth
        self.request_policy = request_policy or RequestPolicy()
        self._renew_margin = renew_margin
        self._user_agent = user_agent
        self.refresh_count = 0
        #: the failed tries of the current renewal, in words (reset by `update_access_token`)
        self.failed_tries: list[str] = []

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

    @property
    def _endpoint_line(self) -> str:
        return f"POST {urlparse(self.auth_endpoint).path or '/'}"

    def _post_form(self, form: Callable[[], dict[str, str]]) -> requests.Response:
        """POST `form()` (built anew for every try) to the token endpoint through the request policy, the
        client authenticated with HTTP Basic or in the form. Returns a 2xx answer that carries an access
        token, or a 4xx for the caller to judge; TokenEndpointUnavailableError when every try failed."""
        headers = {"Accept": "application/json"}
        if self._user_agent:
            headers["User-Agent"] = self._user_agent
        auth = (self.client_id, self.client_secret) if self._client_auth == "basic" else None
        policy = self.request_policy

        def one_try(request: requests.Request) -> requests.Response:
            fields = form()
            if self._client_auth == "post":
                fields = {**fields, "client_id": self.client_id, "client_secret": self.client_secret}
            request.data = fields
            prepared = self._session.prepare_request(request)
            with policy.slot():
                response = self._session.send(prepared, timeout=policy.timeout)
            status = response.status_code
            if status in RETRY_STATUSES or status >= 500:
                raise RetriableAPIError(describe(response), response)
            if 200 <= status < 300:
                self._token_body(response)  # not OAuth JSON (an HTML page, a cut body): retried like a 5xx
            return response

        def on_retry(details: t.Any) -> None:
            what, detail = describe_failure(details.get("exception"), policy.timeout)
            self.failed_tries.append(f"{what}{detail}")
            LOGGER.warning(
                "Token request failed (try %d of %d): %s: %s%s; retrying in %.1f s",
                details.get("tries"),
                policy.max_tries,
                self._endpoint_line,
                what,
                detail,
                details.get("wait") or 0.0,
            )

        request = requests.Request("POST", self.auth_endpoint, auth=auth, headers=headers)
        try:
            return policy.retrying(one_try, on_retry=on_retry)(request)
        except RetriesExhaustedError as exc:
            msg = f"token endpoint unavailable after {tries_text(exc.tries)}: {exc.last_cause}"
            raise TokenEndpointUnavailableError(msg) from None

    def _token_body(self, response: requests.Response) -> tuple[dict, str]:
        """The JSON body of a 2xx token answer and its access token (MalformedResponseError if it is not OAuth
        JSON). A refresh token in it is handed to `_received_refresh_token` first, whatever else is wrong."""
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("refresh_token"), str) and body["refresh_token"]:
            self._received_refresh_token(body["refresh_token"])
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str) or not body["access_token"]:
            msg = f"{self._endpoint_line}: HTTP {response.status_code} without an access_token (not OAuth JSON)"
            raise MalformedResponseError(msg, response)
        return body, body["access_token"]

    def _received_refresh_token(self, refresh_token: str) -> None:
        """Called with every refresh token an answer carries, before anything else is checked."""

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

    def is_refusal(self, response: requests.Response) -> bool:
        """Whether a non-2xx answer definitely refuses the credentials (so retrying cannot help)."""
        # RFC 6749 5.2: 401 = the client authentication failed, whatever the code says
        return response.status_code == 401 or (
            response.status_code == 400 and self._error_code(response) in REFUSAL_CODES
        )

    def refused(self, response: requests.Response, *, check: str) -> TapError:
        """The one-line error for a non-2xx token answer; `check` says what to check for `invalid_grant`.
        The provider's description is included only when it echoes no credential."""
        status, code = response.status_code, self._error_code(response)
        description = str(self._error_body(response).get("error_description") or "")
        if any(secret and secret in description for secret in self._secrets()):
            description = ""
        answer = f"HTTP {status} from {self._endpoint_line}" + (
            f": {' '.join(description.split())[:200]}" if description else ""
        )
        if not self.is_refusal(response):
            what = f"{code} ({answer})" if code else answer
            return TapError(f"token request refused: {what}; check token_url and token_client_auth")
        hints = {
            "invalid_grant": check,
            "invalid_client": "check client_id and client_secret (and token_client_auth)",
            "unauthorized_client": "this client may not use this grant: check client_id and client_secret, and the "
            "client's allowed grants at the provider",
        }
        hint = hints.get(code or "", "check client_id and client_secret")
        msg = f"credentials rejected: {code or 'no OAuth error code'} ({answer}); {hint}"
        if code == "invalid_grant" and self.failed_tries:
            # A retry of a rotating refresh: the provider may have spent the token in a try whose answer was lost
            msg += (
                f" — an earlier try got no usable answer ({self.failed_tries[-1]}), so the provider may have "
                "rotated the refresh token in an answer that never arrived"
            )
        return CredentialsRejectedError(msg)

    def _secrets(self) -> list[str]:
        names = ("client_secret", "refresh_token", "_refresh_token", "access_token")
        return [str(value) for value in (getattr(self, name, None) for name in names) if value]


class RotatingRefreshTokenAuthenticator(RenewingOAuthAuthenticator):
    """`grant_type=refresh_token`; every new refresh token is saved before it is used.

    - renews when less than `renew_margin` (fraction of lifetime, at least 30 s) remains;
    - `invalidate()` forces a refresh (used on 401);
    - a refresh holds the store entry's lock from reading the newest token until the rotated one is saved, so
      two runs of one authorization never send the same token (tapkit.token_store);
    - if a stored rotated token is rejected (`invalid_grant`), falls back once to the configured one, unless
      `fallback_to_configured=False` (for providers that revoke an authorization when a spent token is sent);
    - `refresh_token` may be None when the store holds the tenant's token (`<tap> authorize`);
    - errors are one line and never contain token values.

    Retries and rotation: a try can fail after the provider has already spent the refresh token (the answer
    with the new one is lost: a read timeout, a connection dropped after the request went out, a body cut
    off). The only thing a client can do is what it does: retry with the same token, which works whenever the
    provider did not process the lost try (the common case: the request never arrived, or a gateway
    answered 5xx in front of the provider). If the provider did process it, the new refresh token is gone
    with the lost answer: Candis (Keycloak) then answers `invalid_grant` — the error says an earlier try was
    lost, and the user must authorize again — and Pleo revokes the whole authorization, which a second try
    or the next run would trigger just the same. That residual risk cannot be removed from the client side.
    What can be done is done: the store directory is checked to be writable before the first refresh spends
    a token, and a refresh token in any answer (even one without an access token) is persisted at once.
    """

    def __init__(
        self,
        *,
        auth_endpoint: str,
        client_id: str,
        client_secret: str,
        refresh_token: str | None,
        store: RefreshTokenStore | None,
        client_auth: str = "basic",
        request_policy: RequestPolicy | None = None,
        renew_margin: float = 0.1,
        user_agent: str | None = None,
        fallback_to_configured: bool = True,
        authorize_hint: str = "",
    ) -> None:
        super().__init__(
            auth_endpoint=auth_endpoint,
            client_id=client_id,
            client_secret=client_secret,
            client_auth=client_auth,
            request_policy=request_policy,
            renew_margin=renew_margin,
            user_agent=user_agent,
        )
        self._fallback = fallback_to_configured
        self._configured_refresh_token = refresh_token or None
        self._store = store
        self._store_checked = store is None
        self._authorize_hint = authorize_hint
        self.refresh_token = store.load(self._configured_refresh_token) if store else self._configured_refresh_token

    @property
    def oauth_request_body(self) -> dict:
        body = {"grant_type": "refresh_token", "refresh_token": self.refresh_token}
        if self._client_auth == "post":
            body |= {"client_id": self.client_id, "client_secret": self.client_secret}
        return body

    def _post(self) -> requests.Response:
        # the form is read at every try: an answer with a new refresh token but no access token spent the old one
        return self._post_form(lambda: {"grant_type": "refresh_token", "refresh_token": self.refresh_token or ""})

    def _received_refresh_token(self, refresh_token: str) -> None:
        """Keep a rotated refresh token: in memory at once, then in the store (atomically)."""
        if refresh_token == self.refresh_token:
            return
        self.refresh_token = refresh_token
        if self._store is None:
            return
        try:
            self._store.save(refresh_token, self._configured_refresh_token)
        except OSError as exc:
            msg = (
                f"cannot save the rotated refresh token in token_store_dir {self._store.directory} "
                f"({exc.strerror or type(exc).__name__}): the provider has already replaced the previous one, so "
                f"fix the directory, authorize again and set refresh_token{self._authorize_hint}"
            )
            raise TapError(msg) from None

    def _check_store(self) -> None:
        """Before the first refresh spends a token: can the rotated one be stored?"""
        if self._store_checked or self._store is None:
            return
        try:
            self._store.check_writable()
        except OSError as exc:
            msg = (
                f"token_store_dir {self._store.directory} is not writable ({exc.strerror or type(exc).__name__}): "
                "the rotated refresh token could not be kept; set token_store_dir to a writable directory"
            )
            raise TapError(msg) from None
        self._store_checked = True

    def update_access_token(self) -> None:
        request_time = datetime.datetime.now(datetime.UTC)
        self.failed_tries = []
        self._check_store()
        with self._store.locked(self._configured_refresh_token) if self._store else contextlib.nullcontext():
            if self._store is not None:
                # another run of this authorization may have rotated the token since this one last looked
                self.refresh_token = self._store.load(self._configured_refresh_token)
            if not self.refresh_token:
                where = f" for this tenant in token_store_dir {self._store.directory}" if self._store else ""
                msg = f"no refresh token{where}: set refresh_token{self._authorize_hint}"
                raise TapError(msg)
            response = self._post()
            if (
                not response.ok
                and self._error_code(response) == "invalid_grant"
                and self._configured_refresh_token
                and self.refresh_token != self._configured_refresh_token
            ):
                if not self._fallback:
                    msg = (
                        f"credentials rejected: invalid_grant (HTTP {response.status_code} from "
                        f"{self._endpoint_line}) for the stored rotated refresh token, and the configured "
                        "refresh_token was already used; sending a used refresh token again revokes the "
                        f"authorization, so authorize again and set a new refresh_token{self._authorize_hint}"
                    )
                    raise CredentialsRejectedError(msg)
                LOGGER.warning("Stored rotated refresh token was rejected; retrying with the configured refresh_token")
                self.refresh_token = self._configured_refresh_token
                response = self._post()
        if not response.ok:
            raise self.refused(
                response,
                check="the refresh token is expired, revoked or already used: authorize again and set refresh_token"
                + self._authorize_hint,
            )
        body, access_token = self._token_body(response)
        self._accept(body, access_token, request_time)
        LOGGER.info("Access token refreshed (valid for %s s)", self.expires_in)


def token_store(
    tap_name: str, config: t.Mapping[str, t.Any], *, token_url: str, tenant_setting: str | None
) -> RefreshTokenStore:
    """The store entry of the authorization a tap's settings name (tapkit.token_store): the chain of the
    configured `refresh_token`, else the one `<tap> authorize` stored for the tenant (`tenant_setting`)."""
    return RefreshTokenStore(
        config.get("token_store_dir") or default_store_dir(tap_name),
        token_url=config.get("token_url") or token_url,
        client_id=str(config.get("client_id") or ""),
        tenant=str(config.get(tenant_setting) or "") if tenant_setting else "",
    )


def authorize_hint(tap_name: str, tenant_setting: str) -> str:
    """What to do when there is no usable refresh token, besides setting one."""
    return f" (or run `{tap_name} authorize` with {tenant_setting} set, and leave refresh_token unset)"


def rotating_authenticator(
    tap_name: str,
    config: t.Mapping[str, t.Any],
    *,
    token_url: str,
    tenant_setting: str | None = None,
    client_auth: str = "basic",
    fallback_to_configured: bool = True,
) -> RotatingRefreshTokenAuthenticator:
    """The refresh-token authenticator from a tap's settings (token_url, client_id, client_secret,
    refresh_token, token_store_dir, request_timeout, max_retries, user_agent, the tenant's `tenant_setting`);
    `token_url` is the default."""
    return RotatingRefreshTokenAuthenticator(
        auth_endpoint=config.get("token_url") or token_url,
        client_id=config["client_id"],
        client_secret=config["client_secret"],
        refresh_token=config.get("refresh_token"),
        store=token_store(tap_name, config, token_url=token_url, tenant_setting=tenant_setting),
        client_auth=client_auth,
        request_policy=RequestPolicy.from_config(config),
        user_agent=config.get("user_agent"),
        fallback_to_configured=fallback_to_configured,
        authorize_hint=authorize_hint(tap_name, tenant_setting) if tenant_setting else "",
    )


def check_refresh_flow(tap: t.Any, hint: str, *, unless: str, token_url: str, tenant_setting: str) -> None:
    """`check_config` of the rotating refresh-token flow: client_id and client_secret, and a refresh token —
    configured, or stored for the tenant by `<tap> authorize` — unless `unless` (the other credential) is set.
    The tap `authorize` loads (class attribute `authorizing = True`, tapkit.authorize) needs no refresh token,
    since that is what it obtains."""
    config = tap.config
    if config.get(unless):
        return
    missing = [key for key in ("client_id", "client_secret") if not config.get(key)]
    needs_token = not config.get("refresh_token") and not getattr(tap, "authorizing", False)
    if needs_token and not (
        config.get(tenant_setting)
        and config.get("client_id")
        and token_store(tap.name, config, token_url=token_url, tenant_setting=tenant_setting).stored(None)
    ):
        missing.append("refresh_token")
    if missing:
        extra = authorize_hint(tap.name, tenant_setting) if "refresh_token" in missing else ""
        msg = f"missing setting(s) {', '.join(missing)}: {hint}{extra}"
        raise TapError(msg)
