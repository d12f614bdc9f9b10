"""Streams `GET /exports/{id}/export` (one JSON body, no paging) voucher by voucher with ijson.

Accepted shapes: `{"vouchers": [...], ...}` (the sandbox's), a bare array of vouchers, `{"data": [...]}` or
`{"data": {"vouchers": [...]}}`. The body is never held whole in memory. If the connection drops or the JSON is
cut mid-body, the request is repeated (bounded by `max_retries`) and vouchers already yielded are skipped, so
nothing is emitted twice within a run and nothing is lost.
"""

from __future__ import annotations

import typing as t

import ijson
import requests
from singer_sdk.exceptions import RetriableAPIError

from tapkit.errors import TapError

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from tap_findity.client import FindityStream

PREFIXES = ("item", "vouchers.item", "data.item", "data.vouchers.item")


class _Sink(list):
    def send(self, item: dict) -> None:
        self.append(item)


def _vouchers(response: requests.Response) -> Iterator[dict]:
    sinks = {p: _Sink() for p in PREFIXES}
    coros = {p: ijson.items_coro(sinks[p], p) for p in PREFIXES}
    head = b""
    for chunk in response.iter_content(chunk_size=64 * 1024):
        if len(head) < 4096:
            head += chunk[:4096]
        for prefix, coro in coros.items():
            coro.send(chunk)
            yield from sinks[prefix]
            sinks[prefix].clear()
    for prefix, coro in coros.items():
        coro.close()  # raises IncompleteJSONError on a truncated body
        yield from sinks[prefix]
    text = head.lstrip()
    if not text.startswith(b"[") and b'"vouchers"' not in head and b'"data"' not in head:
        msg = "response body lacks vouchers (expected {vouchers: [...]} or an array)"
        raise ValueError(msg)


def read_vouchers(stream: FindityStream, export_id: str) -> Iterator[dict]:
    """Every voucher of the export's package, in package order."""
    url = f"{stream.url_base}/exports/{export_id}/export"
    attempts = int(stream.config.get("max_retries", 6)) + 1
    done = 0
    for attempt in range(1, attempts + 1):
        position = 0
        prepared = stream.build_prepared_request(method="GET", url=url, headers=stream.http_headers)
        response = stream.request_decorator(stream.open_stream)(prepared, None)
        try:
            with response:
                ctype = response.headers.get("Content-Type", "")
                if "json" not in ctype.lower():
                    msg = f"expected JSON but got '{ctype or 'no content type'}'"
                    raise ValueError(msg)
                for voucher in _vouchers(response):
                    position += 1
                    if position <= done:
                        continue
                    if not isinstance(voucher, dict):
                        msg = "a voucher is not a JSON object"
                        raise ValueError(msg)
                    done += 1
                    yield voucher
            return
        except (requests.RequestException, ijson.JSONError, ValueError, RetriableAPIError) as exc:
            reason = f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
            if attempt == attempts:
                msg = f"GET /exports/{export_id}/export: body could not be read after {attempts} attempts ({reason})"
                raise TapError(msg) from None
            stream.logger.warning("Re-reading the package of export %s (attempt %d): %s", export_id, attempt, reason)
