"""Read one large JSON body (no paging) item by item, re-requesting it if the connection drops or the JSON is
cut mid-body: items already yielded are skipped, so nothing is emitted twice within a run and nothing is lost."""

from __future__ import annotations

import typing as t

import requests
from singer_sdk.exceptions import RetriableAPIError

from tapkit.http import RetriesExhaustedError, describe_failure, network_cause
from tapkit.http import request_line as request_line_of

if t.TYPE_CHECKING:
    from collections.abc import Callable, Hashable, Iterable, Iterator


def body_failure(exc: BaseException, timeout: float) -> tuple[str, str]:
    """(what, detail) of a body that could not be read to its end, in words and without host, port or query:
    (`incomplete response`, ` (read timeout 60 s)`), (`incomplete response`, ` (the connection broke off in
    the middle of the body)`), or for a body that is not what was expected (`unreadable body`, ` (<reason>)`)."""
    if isinstance(exc, requests.RequestException):
        return "incomplete response", f" ({network_cause(exc, timeout)})"
    if isinstance(exc, RetriableAPIError):
        return describe_failure(exc, timeout)
    reason = " ".join(str(exc).split())[:200] or type(exc).__name__
    return "unreadable body", f" ({reason})"


def read_resumably(
    stream: t.Any,
    url: str,
    items: Callable[[requests.Response], Iterable[tuple[Hashable, t.Any]]],
    *,
    retry_message: str,
    parse_errors: tuple[type[Exception], ...] = (),
    check: Callable[[t.Any], None] | None = None,
) -> Iterator[tuple[Hashable, t.Any]]:
    """GET `url` through the stream's policy (body unread) and yield the new (key, item) pairs of
    `items(response)`, counted per key. `check(item)` (raise ValueError) runs on each new item. A read that
    fails (dropped connection, read timeout, ValueError, or one of the parser's `parse_errors`, e.g. cut JSON)
    is repeated up to `max_retries` times; then RetriesExhaustedError `GET /path: incomplete response after N
    tries (read timeout 60 s)` (tapkit.http's words: method and path of the request sent, never host, query or
    secrets). Each retry logs `<retry_message> (try n failed): GET /path: <what failed>`."""
    attempts = int(stream.config.get("max_retries", 6)) + 1
    done: dict[Hashable, int] = {}
    for attempt in range(1, attempts + 1):
        position: dict[Hashable, int] = {}
        prepared = stream.build_prepared_request(method="GET", url=url, headers=stream.http_headers)
        response = stream.request_decorator(stream.open_stream)(prepared, None)
        try:
            with response:
                for key, item in items(response):
                    position[key] = position.get(key, 0) + 1
                    if position[key] <= done.get(key, 0):
                        continue
                    if check is not None:
                        check(item)
                    done[key] = done.get(key, 0) + 1
                    yield key, item
            return
        except (requests.RequestException, *parse_errors, ValueError, RetriableAPIError) as exc:
            what, detail = body_failure(exc, stream.timeout)
            if attempt == attempts:
                raise RetriesExhaustedError(request_line_of(prepared), attempts, what, detail) from None
            stream.logger.warning(
                "%s (try %d failed): %s: %s%s", retry_message, attempt, request_line_of(prepared), what, detail
            )
