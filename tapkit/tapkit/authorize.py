"""`<tap> authorize`: the OAuth authorization-code flow with a loopback redirect (RFC 8252), for the taps with
rotating refresh tokens (Candis, Pleo). One flow, declared by each tap's command module:

1. the token store directory is checked writable (before anyone consents to anything);
2. a one-shot HTTP receiver listens on ``http://127.0.0.1:<port>/callback`` (a free port, or ``--port`` for a
   client whose registered redirect URI names one);
3. the browser is sent to the provider's authorize URL (``authorize_url`` setting) with ``response_type=code``,
   ``client_id``, ``redirect_uri``, ``scope``, a random ``state`` and a PKCE S256 ``code_challenge``
   (RFC 7636); the URL is always printed, and ``--no-browser`` only prints it;
4. the first request to the callback ends the wait (``--timeout`` seconds, default 300): its ``state`` must be
   this request's (else it is refused: a stale or forged redirect), ``error`` (``access_denied``) ends the
   command, and a ``code`` is exchanged at the token endpoint (``grant_type=authorization_code`` with the same
   ``redirect_uri`` and the ``code_verifier``) through the tap's request policy (timeouts, retries, the rate
   limiter; tapkit.oauth);
5. the tenant is checked with the new access token through the tap's streams (the provider's
   ``tenant_of``: the organization or company the consent was given for must be the configured one, or is
   discovered), and the refresh token starts the tenant's chain in the token store (tapkit.token_store);
6. the command prints what the tenants file / ``.env`` needs — the tenant's scope setting, and NO refresh
   token (the tap reads the stored one) — and the token itself only with ``--print-refresh-token``.

Every failure (denied, timed out, state mismatch, exchange refused) is one line ``<tap>: error: ...`` and exit
status 1 (tapkit.commands); nothing is stored then.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import http.server
import queue
import secrets
import threading
import typing as t
import webbrowser
from urllib.parse import parse_qs, urlencode, urlparse

from singer_sdk.authenticators import BearerTokenAuthenticator

from tapkit.commands import CommandLine, Context, arg
from tapkit.errors import TapError
from tapkit.http import RequestPolicy
from tapkit.oauth import RenewingOAuthAuthenticator, token_store

if t.TYPE_CHECKING:
    from collections.abc import Callable

CALLBACK_PATH = "/callback"
DEFAULT_TIMEOUT = 300


@dataclasses.dataclass(frozen=True)
class Tenant:
    """The tenant an authorization was given for: its id (the value of the scope setting) and a name."""

    id: str
    name: str = ""


@dataclasses.dataclass(frozen=True)
class AuthorizationFlow:
    """What one provider's authorization-code flow needs."""

    #: default token and authorize URLs (the `token_url` / `authorize_url` settings override them)
    token_url: str
    authorize_url: str
    #: the scopes to ask for, space-separated
    scopes: str
    #: the setting that names the tenant (Candis `organization_id`, Pleo `company_id`)
    tenant_setting: str
    #: the tenant the new access token belongs to, checked against the configured one (`tap.authenticator` is
    #: the new access token while it runs); a TapError if it does not fit
    tenant_of: Callable[[t.Any], Tenant]
    #: `basic` or `post`, from the settings
    client_auth: Callable[[t.Mapping[str, t.Any]], str] = lambda _config: "basic"


def authorizing(tap_class: type) -> type:
    """The tap class `authorize` loads: its checks need no refresh token (tapkit.oauth.check_refresh_flow)."""
    return type(tap_class.__name__, (tap_class,), {"authorizing": True, "__doc__": tap_class.__doc__})


def add_authorize_command(cli: CommandLine, flow: AuthorizationFlow) -> None:
    """Register `authorize` (the flow above) on a tap's command line."""

    @cli.command(
        "authorize",
        help="authorize the tap in the browser (OAuth authorization code) and store the tenant's refresh token",
        args=(
            arg("--port", type=int, default=0, help="loopback port of the redirect URI (default: a free one)"),
            arg("--no-browser", action="store_true", help="only print the URL to open"),
            arg(
                "--timeout",
                type=float,
                default=DEFAULT_TIMEOUT,
                help=f"seconds to wait for the consent (default {DEFAULT_TIMEOUT})",
            ),
            arg(
                "--print-refresh-token",
                action="store_true",
                help="also print the refresh token (a secret: only to put it in a secret store)",
            ),
        ),
    )
    def authorize(ctx: Context) -> None:
        Authorization(ctx, flow).run()


class Authorization:
    def __init__(self, ctx: Context, flow: AuthorizationFlow) -> None:
        self.ctx, self.flow = ctx, flow
        self.tap, self.out, self.args = ctx.tap, ctx.out, ctx.args
        self.config = self.tap.config

    def run(self) -> None:
        where = token_store(self.tap.name, self.config, token_url=self.flow.token_url, tenant_setting=None)
        try:
            where.check_writable()
        except OSError as exc:
            msg = f"token_store_dir {where.directory} is not writable ({exc.strerror or type(exc).__name__})"
            raise TapError(msg) from None
        state = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)
        with LoopbackReceiver(self.args.port, state) as receiver:
            url = self.authorize_url(receiver.redirect_uri, state, verifier)
            self.out.note(f"open this URL to authorize (waiting {self.args.timeout:g} s for the redirect): {url}")
            if not self.args.no_browser and not webbrowser.open(url):
                self.out.note("no browser could be opened: open the URL above yourself")
            answer = receiver.wait(self.args.timeout)
        if answer is None:
            msg = f"no answer from the browser within {self.args.timeout:g} s (--timeout): nothing was stored"
            raise TapError(msg)
        code = self.checked_code(answer, state)
        body = CodeExchange.for_tap(self.tap, self.flow).exchange(code, receiver.redirect_uri, verifier)
        self.tap.authenticator = BearerTokenAuthenticator(token=body["access_token"])
        tenant = self.flow.tenant_of(self.tap)
        config = {**self.config, self.flow.tenant_setting: tenant.id, "refresh_token": None}
        store = token_store(
            self.tap.name, config, token_url=self.flow.token_url, tenant_setting=self.flow.tenant_setting
        )
        path = store.start_chain(body["refresh_token"])
        self.report(tenant, path, body["refresh_token"])

    def authorize_url(self, redirect_uri: str, state: str, verifier: str) -> str:
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.config["client_id"],
                "redirect_uri": redirect_uri,
                "scope": self.flow.scopes,
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        base = str(self.config.get("authorize_url") or self.flow.authorize_url)
        return f"{base}{'&' if '?' in base else '?'}{query}"

    @staticmethod
    def checked_code(answer: dict[str, str], state: str) -> str:
        if not hmac.compare_digest(answer.get("state", ""), state):
            msg = (
                "refused: the redirect's state does not match this authorization request (a stale or forged "
                "redirect); nothing was stored: run authorize again"
            )
            raise TapError(msg)
        if answer.get("error"):
            why = " ".join(answer.get("error_description", "").split())[:200]
            msg = f"authorization denied ({answer['error']}{': ' + why if why else ''}): nothing was stored"
            raise TapError(msg)
        if not answer.get("code"):
            msg = "the redirect carried neither a code nor an error: nothing was stored"
            raise TapError(msg)
        return answer["code"]

    def report(self, tenant: Tenant, path: t.Any, refresh_token: str) -> None:
        setting = self.flow.tenant_setting
        prefix = self.tap.name.upper().replace("-", "_")
        named = f" ({tenant.name})" if tenant.name else ""
        record: dict[str, t.Any] = {setting: tenant.id, "tokenStore": str(path)}
        if self.args.print_refresh_token:
            record["refresh_token"] = refresh_token
        self.out.result(f"authorized {setting} {tenant.id}{named}; refresh token stored in {path}", **record)
        self.out.note(f"tenants file: {setting}: {tenant.id} — no refresh-token secret (the tap reads the stored one)")
        self.out.note(f".env: {prefix}_{setting.upper()}={tenant.id} — and no {prefix}_REFRESH_TOKEN")
        if self.config.get("refresh_token"):
            self.out.note(
                "refresh_token is set in this configuration: the tap would go on with that older authorization; "
                "remove it to use this one"
            )
        if self.args.print_refresh_token:
            self.out.note(f"refresh token (secret; already stored, do not share): {refresh_token}")


class CodeExchange(RenewingOAuthAuthenticator):
    """`grant_type=authorization_code` at the token endpoint, through the tap's request policy."""

    @classmethod
    def for_tap(cls, tap: t.Any, flow: AuthorizationFlow) -> CodeExchange:
        config = tap.config
        return cls(
            auth_endpoint=str(config.get("token_url") or flow.token_url),
            client_id=config["client_id"],
            client_secret=config["client_secret"],
            client_auth=flow.client_auth(config),
            request_policy=RequestPolicy.from_config(config, rate_limiter=tap.rate_limiter),
            user_agent=config.get("user_agent"),
        )

    def exchange(self, code: str, redirect_uri: str, verifier: str) -> dict:
        """The token answer (with `access_token` and `refresh_token`), or a one-line TapError."""
        self._code = code
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        response = self._post_form(lambda: {**form, "code_verifier": verifier})
        if not response.ok:
            raise self.refused(
                response,
                check="the authorization code was refused (it is single-use and short-lived, and the redirect_uri "
                "must be the one the consent was given for): run authorize again",
            )
        body, _access = self._token_body(response)
        if not isinstance(body.get("refresh_token"), str) or not body["refresh_token"]:
            msg = (
                f"{self._endpoint_line}: the token answer has no refresh_token, so the tap could not renew its access: "
                f"check that the client may ask for offline access"
            )
            raise TapError(msg)
        return body

    def _secrets(self) -> list[str]:
        return [*super()._secrets(), getattr(self, "_code", "")]


class LoopbackReceiver:
    """A one-shot HTTP server on 127.0.0.1 for the redirect: the query of the first request to the callback."""

    def __init__(self, port: int, state: str) -> None:
        self._answers: queue.Queue[dict[str, str]] = queue.Queue()
        answers = self._answers

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlparse(self.path)
                if url.path != CALLBACK_PATH:
                    self.send_error(404)
                    return
                query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
                if not hmac.compare_digest(query.get("state", ""), state):
                    self._page(400, "This redirect does not belong to the authorization in progress.")
                elif query.get("error"):
                    self._page(200, "Authorization denied.")
                else:
                    self._page(200, "Authorization received.")
                answers.put(query)

            def _page(self, status: int, text: str) -> None:
                body = (
                    f"<!doctype html><title>{text}</title><p>{text} You can close this tab and return to the "
                    "terminal.</p>"
                ).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: t.Any) -> None:
                """No access log: the query holds the authorization code."""

        try:
            self._server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        except OSError as exc:
            msg = f"cannot listen on 127.0.0.1:{port} for the redirect ({exc.strerror or exc}): use another --port"
            raise TapError(msg) from None
        self._server.daemon_threads = True
        self.redirect_uri = f"http://127.0.0.1:{self._server.server_address[1]}{CALLBACK_PATH}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="authorize-redirect", daemon=True)

    def __enter__(self) -> LoopbackReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def wait(self, timeout: float) -> dict[str, str] | None:
        """The callback's query parameters, or None after `timeout` seconds."""
        try:
            return self._answers.get(timeout=timeout)
        except queue.Empty:
            return None
