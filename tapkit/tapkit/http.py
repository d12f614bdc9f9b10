"""The HTTP policy every tap stream shares: timeouts, retries with Retry-After, 401 refresh, rate limit,
one-line errors naming endpoint, status and the provider's error code, and strict JSON bodies."""

from __future__ import annotations

import contextlib
import datetime
import decimal
import email.utils
import json
import random
import typing as t
from urllib.parse import urlparse

import requests
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

if t.TYPE_CHECKING:
    from collections.abc import Generator

RETRY_STATUSES = {429, 500, 502, 503, 504}
_PARSED = "_tapkit_json"


class ProviderClientError(FatalAPIError):
    """A 4xx that is not retried; carries the HTTP status and the provider's error code."""

    def __init__(self, message: str, *, status: int, code: str | None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class MalformedResponseError(RetriableAPIError):
    """The body is not the JSON we expect (HTML error page, truncated JSON, missing keys). Retried, then fatal."""


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


def describe(response: requests.Response) -> str:
    """`GET /path: HTTP 404 NOT_FOUND: message` — path only (no query string, no host, no secrets)."""
    method = response.request.method if response.request is not None else "GET"
    path = urlparse(response.url).path
    code, message = provider_error(response)
    text = f"{method} {path}: HTTP {response.status_code}"
    if code:
        text += f" {code}"
    if message:
        text += f": {' '.join(message.split())[:300]}"
    return text


class ProviderHTTPMixin:
    """Mixed into a singer-sdk RESTStream. The tap supplies `rate_limiter` and `authenticator`."""

    #: Keys every successful JSON body of this stream must contain (missing -> MalformedResponseError).
    required_body_keys: t.ClassVar[tuple[str, ...]] = ()
    #: Longest single wait we accept from Retry-After before retrying anyway.
    max_retry_wait: float = 300.0

    # --- where and how (streams override what differs) -------------------------------------------------
    @property
    def url_base(self) -> str:
        return str(self.config["api_url"]).rstrip("/")

    @property
    def authenticator(self) -> t.Any:
        """The tap's single authenticator, shared by all streams."""
        return self._tap.authenticator

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

    # --- request policy -------------------------------------------------------------------------------
    @property
    def timeout(self) -> int:
        return int(self.config.get("request_timeout") or 60)

    def backoff_max_tries(self) -> int:
        return int(self.config.get("max_retries", 6)) + 1

    def backoff_jitter(self, value: float) -> float:
        return value + random.uniform(0, min(1.0, value * 0.1))  # noqa: S311 - jitter, not crypto

    def backoff_wait_generator(self) -> Generator[float, t.Any, None]:
        attempt = 0
        exc = yield 0.0
        while True:
            response = getattr(exc, "response", None)
            wait = retry_after_seconds(response)
            if wait is None:
                wait = 0.0 if getattr(exc, "refreshed_token", False) else min(2.0**attempt * 0.5, 60.0)
            attempt += 1
            exc = yield min(wait, self.max_retry_wait)

    def backoff_handler(self, details: t.Any) -> None:
        exc = details.get("exception")
        self.logger.warning(
            "Retrying %s in %.1f s (attempt %d): %s", self.name, details.get("wait") or 0.0, details.get("tries"), exc
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
