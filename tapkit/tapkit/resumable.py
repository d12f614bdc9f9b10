"""Read one large JSON body (no paging) item by item, re-requesting it if the connection drops or the JSON is
cut mid-body: items already yielded are skipped, so nothing is emitted twice within a run and nothing is lost."""

from __future__ import annotations

import typing as t

import requests
from singer_sdk.exceptions import RetriableAPIError

from tapkit.errors import TapError

if t.TYPE_CHECKING:
    from collections.abc import Callable, Hashable, Iterable, Iterator


def read_resumably(
    stream: t.Any,
    url: str,
    items: Callable[[requests.Response], Iterable[tuple[Hashable, t.Any]]],
    *,
    request_line: str,
    retry_message: str,
    parse_errors: tuple[type[Exception], ...] = (),
    check: Callable[[t.Any], None] | None = None,
) -> Iterator[tuple[Hashable, t.Any]]:
    """GET `url` through the stream's policy (body unread) and yield the new (key, item) pairs of
    `items(response)`, counted per key. `check(item)` (raise ValueError) runs on each new item. A read that
    fails (dropped connection, ValueError, or one of the parser's `parse_errors`, e.g. cut JSON) is repeated
    up to `max_retries` times; then TapError `<request_line>: body could not be read ...`. Each retry logs
    `<retry_message> (attempt n): reason`."""
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
            reason = f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
            if attempt == attempts:
                msg = f"{request_line}: body could not be read after {attempts} attempts ({reason})"
                raise TapError(msg) from None
            stream.logger.warning("%s (attempt %d): %s", retry_message, attempt, reason)
