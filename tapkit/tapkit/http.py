"""The request policy every HTTP call of a tap shares — its API requests (ProviderHTTPMixin) and its OAuth
token requests (tapkit.oauth): timeouts, retries of 429/5xx, timeouts, dropped connections and garbled bodies
with Retry-After honoured and capped, the tap-wide rate limit; 401 refresh; one-line errors naming method,
path, status and the provider's error code (never host, query string or secrets); strict JSON bodies."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import decimal
import email.utils
import functools
import http.client
import json
import random
import re
import ssl
import typing as t
from urllib.parse import urlparse

import backoff
import requests
import urllib3.exceptions
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

if t.TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterator

    from tapkit.ratelimit import RollingWindowLimiter

RETRY_STATUSES = {429, 500, 502, 503, 504}
#: What a try may fail with and still be retried: the list of singer-sdk's RESTStream.request_decorator (429/5xx
#: and garbled bodies are RetriableAPIError; timeouts, dropped connections, bodies cut off mid-way).
RETRIABLE_ERRORS = (
    ConnectionResetError,
    RetriableAPIError,
    requests.exceptions.Timeout,
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
_PARSED = "_tapkit_json"


class ProviderClientError(FatalAPIError):
    """A 4xx that is not retried; carries the HTTP status and the provider's error code."""

    def __init__(self, message: str, *, status: int, code: str | None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class MalformedResponseError(RetriableAPIError):
    """The body is not the JSON we expect (HTML error page, truncated JSON, missing keys). Retried, then fatal."""


class RetriesExhaustedError(FatalAPIError):
    """Every try of one request failed: `GET /path: no response after 7 tries (read timeout 60 s)`,
    `GET /path: HTTP 503 SERVICE_UNAVAILABLE after 7 tries: <provider message>`."""

    def __init__(self, request: str, tries: int, what: str, detail: str) -> None:
        self.request, self.tries, self.what, self.detail = request, tries, what, detail
        super().__init__(f"{request}: {what} after {tries_text(tries)}{detail}")

    @property
    def last_cause(self) -> str:
        """`GET /path: no response (read timeout 60 s)`: the last try's failure, without the count."""
        return f"{self.request}: {self.what}{self.detail}"


def tries_text(count: int) -> str:
    return f"{count} {'try' if count == 1 else 'tries'}"


def retry_after_seconds(response: requests.Response | None, *, now: datetime.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header given as delta-seconds or an HTTP-date."""
    if response is None:
        return None
    value = (response.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    now = now or datetime.datetime.now(datetime.UTC)
    return max(0.0, (when - now).total_seconds())


def parsed_json(response: requests.Response) -> t.Any:
    """The response body parsed once (numbers as Decimal), cached on the response."""
    if not hasattr(response, _PARSED):
        setattr(response, _PARSED, json.loads(response.content, parse_float=decimal.Decimal))
    return getattr(response, _PARSED)


def provider_error(response: requests.Response) -> tuple[str | None, str | None]:
    """(error code, message) from the common provider error shapes; never echoes unknown bodies."""
    try:
        body = parsed_json(response)
    except ValueError:
        return None, None
    if not isinstance(body, dict):
        return None, None
    code = next((str(body[k]) for k in ("errorCode", "code", "type", "error") if body.get(k)), None)
    message = next((str(body[k]) for k in ("message", "error_description", "detail") if body.get(k)), None)
    return code, message


def request_line(request: t.Any) -> str:
    """`POST /path` of a request (prepared or not): never the host, the query string or a secret."""
    return f"{(request.method or 'GET').upper()} {urlparse(request.url or '').path or '/'}"


def _status_text(response: requests.Response) -> tuple[str, str]:
    """(`HTTP 404 NOT_FOUND`, `: message`) of an error answer."""
    code, message = provider_error(response)
    what = f"HTTP {response.status_code}" + (f" {code}" if code else "")
    return what, (f": {' '.join(message.split())[:300]}" if message else "")


def describe(response: requests.Response) -> str:
    """`GET /path: HTTP 404 NOT_FOUND: message` — path only (no query string, no host, no secrets)."""
    method = response.request.method if response.request is not None else "GET"
    what, detail = _status_text(response)
    return f"{method} {urlparse(response.url).path}: {what}{detail}"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and what it wraps (requests -> urllib3 -> socket errors), breadth first."""
    queue, seen = [exc], set()
    while queue:
        item = queue.pop(0)
        if id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        nested = [*item.args, getattr(item, "reason", None), item.__cause__, item.__context__]
        queue.extend(n for n in nested if isinstance(n, BaseException))


def network_cause(exc: BaseException, timeout: float) -> str:
    """Why a try got no (complete) answer, in words, without host, port, URL or query string."""
    causes = list(_causes(exc))

    def found(*types: type[BaseException]) -> bool:
        return any(isinstance(c, types) for c in causes)

    # urllib3's NewConnectionError (and NameResolutionError) subclass ConnectTimeoutError: test them first
    if found(urllib3.exceptions.NameResolutionError):
        return "the host name does not resolve"
    if found(ConnectionRefusedError):
        return "connection refused"
    if found(urllib3.exceptions.NewConnectionError):
        return "cannot connect"
    if found(requests.exceptions.ConnectTimeout, urllib3.exceptions.ConnectTimeoutError):
        return f"connect timeout {timeout:g} s"
    if found(requests.exceptions.Timeout, urllib3.exceptions.ReadTimeoutError, TimeoutError):
        return f"read timeout {timeout:g} s"
    if found(requests.exceptions.SSLError, ssl.SSLError):
        return "TLS handshake failed"
    if found(requests.exceptions.ChunkedEncodingError, http.client.IncompleteRead):
        return "the connection broke off in the middle of the body"
    if found(requests.exceptions.ContentDecodingError):
        return "the body could not be decompressed"
    if found(http.client.RemoteDisconnected, ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
        return "the server closed the connection without answering"
    return f"connection failed ({type(exc).__name__})"


_LEADING_REQUEST = re.compile(r"^[A-Z]+ /\S*: ")


def describe_failure(exc: BaseException, timeout: float) -> tuple[str, str]:
    """(what, detail) of one failed try: (`HTTP 503 SERVICE_UNAVAILABLE`, `: <provider message>`),
    (`no response`, ` (read timeout 60 s)`) or, for a garbled body, (`expected JSON but got …`, ``)."""
    response = getattr(exc, "response", None)
    if isinstance(exc, RetriableAPIError):
        if response is not None and response.status_code >= 400 and not isinstance(exc, MalformedResponseError):
            return _status_text(response)
        return _LEADING_REQUEST.sub("", " ".join(str(exc).split())), ""
    cause = network_cause(exc, timeout)
    if isinstance(exc, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)):
        return "incomplete response", f" ({cause})"
    return "no response", f" ({cause})"


@dataclasses.dataclass
class RequestPolicy:
    """How every request of a tap is bounded and retried: `timeout` per try; 429, 5xx, timeouts, dropped
    connections and garbled bodies retried `max_retries` times, waiting the answer's Retry-After (seconds or
    HTTP date, at most `max_retry_wait`) or else 0.5, 1, 2, … 60 s; each try holds a slot of the tap-wide
    `rate_limiter`. The API streams (ProviderHTTPMixin) and the token requests (tapkit.oauth) both use it."""

    timeout: float = 60.0
    max_retries: int = 6
    max_retry_wait: float = 300.0
    rate_limiter: RollingWindowLimiter | None = None

    @classmethod
    def from_config(cls, config: t.Mapping[str, t.Any], **kwargs: t.Any) -> RequestPolicy:
        """The policy of a tap's settings `request_timeout` and `max_retries` (defaults 60 s and 6)."""
        retries = config.get("max_retries")
        timeout = float(config.get("request_timeout") or 60)
        return cls(timeout=timeout, max_retries=6 if retries is None else int(retries), **kwargs)

    @property
    def max_tries(self) -> int:
        return self.max_retries + 1

    def slot(self) -> t.ContextManager[t.Any]:
        """A slot of the rate limiter for one try (none when the tap has no limiter)."""
        return self.rate_limiter.slot() if self.rate_limiter is not None else contextlib.nullcontext()

    def waits(self) -> Generator[float, t.Any, None]:
        """Seconds before each retry (a backoff wait generator: it is sent the exception of the failed try)."""
        attempt = 0
        exc = yield 0.0
        while True:
            wait = retry_after_seconds(getattr(exc, "response", None))
            if wait is None:
                wait = 0.0 if getattr(exc, "refreshed_token", False) else min(2.0**attempt * 0.5, 60.0)
            attempt += 1
            exc = yield min(wait, self.max_retry_wait)

    @staticmethod
    def jitter(value: float) -> float:
        return value + random.uniform(0, min(1.0, value * 0.1))  # noqa: S311 - jitter, not crypto

    def retrying(
        self,
        func: Callable[..., t.Any],
        *,
        on_retry: Callable[[t.Any], None],
        waits: Callable[[], Generator[float, t.Any, None]] | None = None,
        max_tries: int | Callable[[], int] | None = None,
        jitter: Callable[[float], float] | None = None,
    ) -> Callable[..., t.Any]:
        """`func(request, *args)` retried by this policy (`request`, prepared or not, names the call); when
        every try failed, RetriesExhaustedError `<METHOD> <path>: <last cause> after N tries`. Other errors
        pass at once. `on_retry` gets backoff's details before each wait (`exception`, `tries`, `wait`)."""
        gave_up: dict[str, t.Any] = {}
        decorated = backoff.on_exception(
            waits or self.waits,
            RETRIABLE_ERRORS,
            max_tries=max_tries or self.max_tries,
            jitter=jitter or self.jitter,
            on_backoff=on_retry,
            on_giveup=gave_up.update,
            logger=None,  # on_retry logs each retry in words; backoff's own lines would show host and query
        )(func)

        @functools.wraps(func)
        def call(request: t.Any, *args: t.Any, **kwargs: t.Any) -> t.Any:
            try:
                return decorated(request, *args, **kwargs)
            except RETRIABLE_ERRORS as exc:
                what, detail = describe_failure(exc, self.timeout)
                tries = int(gave_up.get("tries") or 1)
                raise RetriesExhaustedError(request_line(request), tries, what, detail) from None

        return call


class ProviderHTTPMixin:
    """Mixed into a singer-sdk RESTStream. The tap supplies `rate_limiter` and `authenticator`."""

    #: Keys every successful JSON body of this stream must contain (missing -> MalformedResponseError).
    required_body_keys: t.ClassVar[tuple[str, ...]] = ()

    # --- where and how (streams override what differs) -------------------------------------------------
    @property
    def url_base(self) -> str:
        return str(self.config["api_url"]).rstrip("/")

    @property
    def authenticator(self) -> t.Any:
        """The tap's single authenticator, shared by all streams; its token requests (tapkit.oauth) count
        against the same tap-wide rate limit as the API requests."""
        auth = self._tap.authenticator
        policy = getattr(auth, "request_policy", None)
        if isinstance(policy, RequestPolicy):
            policy.rate_limiter = self._tap.rate_limiter
        return auth

    @property
    def http_headers(self) -> dict:
        headers = {"Accept": "application/json"}
        if self.config.get("user_agent"):
            headers["User-Agent"] = self.config["user_agent"]
        return headers

    # --- Singer output -----------------------------------------------------------------------------------
    def _write_schema_message(self) -> None:
        """Once per run: the SDK calls this on every sync of a child stream (once per parent record), and
        targets flush a batch on every SCHEMA message — hundreds of tiny loads for an export of postings."""
        if getattr(self, "_tapkit_schema_sent", False):
            return
        super()._write_schema_message()
        self._tapkit_schema_sent = True

    # --- request policy (tapkit.http.RequestPolicy, the one the token requests use too) -----------------
    @functools.cached_property
    def request_policy(self) -> RequestPolicy:
        return RequestPolicy.from_config(self.config, rate_limiter=self._tap.rate_limiter)

    @property
    def timeout(self) -> int:
        return int(self.config.get("request_timeout") or 60)

    def backoff_max_tries(self) -> int:
        return self.request_policy.max_tries

    def backoff_jitter(self, value: float) -> float:
        return RequestPolicy.jitter(value)

    def backoff_wait_generator(self) -> Generator[float, t.Any, None]:
        return self.request_policy.waits()

    def request_decorator(self, func: Callable[..., t.Any]) -> Callable[..., t.Any]:
        """`func(prepared_request, context)` retried by the request policy; when every try failed, one line
        naming method, path and the last cause (RetriesExhaustedError)."""
        return self.request_policy.retrying(
            func,
            on_retry=self.backoff_handler,
            waits=self.backoff_wait_generator,
            max_tries=self.backoff_max_tries,
            jitter=self.backoff_jitter,
        )

    def backoff_handler(self, details: t.Any) -> None:
        what, detail = describe_failure(details.get("exception"), self.timeout)
        args = details.get("args") or ()
        where = f"{request_line(args[0])}: " if args and hasattr(args[0], "url") else ""
        self.logger.warning(
            "Retrying %s in %.1f s (try %d failed): %s%s%s",
            self.name,
            details.get("wait") or 0.0,
            details.get("tries"),
            where,
            what,
            detail,
        )

    def _request(self, prepared_request: requests.PreparedRequest, context: t.Any) -> requests.Response:
        with self._tap.rate_limiter.slot():
            return super()._request(prepared_request, context)

    def request_json(
        self, method: str, path: str, *, json: t.Any = None, params: dict | None = None, required: tuple[str, ...] = ()
    ) -> t.Any:
        """One request outside the stream's own paging, through the full policy (auth, rate limit, retries);
        returns the parsed body. ``path`` is relative to ``url_base``, or an absolute URL."""
        url = path if path.startswith(("http://", "https://")) else f"{self.url_base}{path}"
        prepared = self.build_prepared_request(
            method=method, url=url, json=json, params=params or {}, headers=self.http_headers
        )
        return self.send_json(prepared, required=required)

    def send_json(self, prepared: requests.PreparedRequest, *, required: tuple[str, ...] = ()) -> t.Any:
        """Send one request through the whole policy (rate limit, auth, retries); return its parsed JSON."""
        self._tapkit_required = required
        try:
            response = self.request_decorator(self._request)(prepared, None)
        finally:
            self._tapkit_required = None
        return parsed_json(response)

    def response_error_message(self, response: requests.Response) -> str:
        return describe(response)

    def validate_response(self, response: requests.Response) -> None:
        self.validate_status(response)
        self.check_json_body(response)

    def open_stream(self, prepared: requests.PreparedRequest, context: t.Any) -> requests.Response:
        """Like `_request` but the body is left unread (`stream=True`) for large downloads; only the status
        is validated. Use through `request_decorator` for retries; close the response when done."""
        # The provider's rate limit is for its API: pre-signed downloads from a storage host (S3) do not count.
        api_host = urlparse(self.url_base).netloc
        limit = self._tap.rate_limiter.slot() if urlparse(prepared.url).netloc == api_host else contextlib.nullcontext()
        with limit:
            authenticated = self.authenticator(prepared)
            response = self.requests_session.send(authenticated, timeout=self.timeout, stream=True)
        try:
            self.validate_status(response)
        except Exception:
            response.close()
            raise
        return response

    def validate_status(self, response: requests.Response) -> None:
        """Raise for every non-2xx status: 401 refreshes once, 429/5xx retry, other 4xx fail fast."""
        status = response.status_code
        if status == 401:
            auth = self.authenticator
            if hasattr(auth, "invalidate") and not getattr(self, "_tapkit_refreshed_once", False):
                self._tapkit_refreshed_once = True
                auth.invalidate()
                error = RetriableAPIError(describe(response) + " (refreshing the access token)", response)
                error.refreshed_token = True  # type: ignore[attr-defined]
                raise error
            raise FatalAPIError(describe(response) + "; the credentials were rejected: check them")
        self._tapkit_refreshed_once = False
        if status in RETRY_STATUSES or status >= 500:
            raise RetriableAPIError(describe(response), response)
        if 400 <= status < 500:
            raise ProviderClientError(describe(response), status=status, code=provider_error(response)[0])

    def check_json_body(self, response: requests.Response) -> None:
        """Parse and check the body inside the retry loop, so a garbled body is retried like a 5xx."""
        path = urlparse(response.url).path
        ctype = response.headers.get("Content-Type", "")
        if "json" not in ctype.lower():
            head = " ".join(response.text[:60].split())
            msg = f"{response.request.method} {path}: expected JSON but got '{ctype or 'no content type'}' ({head!r}…)"
            raise MalformedResponseError(msg, response)
        try:
            body = parsed_json(response)
        except ValueError as exc:
            msg = f"{response.request.method} {path}: response body is not valid JSON ({exc.msg} at char {exc.pos})"
            raise MalformedResponseError(msg, response) from None
        required = getattr(self, "_tapkit_required", None)
        required = self.required_body_keys if required is None else required
        missing = [k for k in required if not isinstance(body, dict) or k not in body]
        if missing:
            msg = f"{response.request.method} {path}: response body lacks {', '.join(missing)}"
            raise MalformedResponseError(msg, response)
