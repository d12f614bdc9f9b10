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

from tapkit.resumable import read_resumably

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from tap_findity.client import FindityStream

PREFIXES = ("item", "vouchers.item", "data.item", "data.vouchers.item")


class _Sink(list):
    def send(self, item: dict) -> None:
        self.append(item)


def _vouchers(response: requests.Response) -> Iterator[dict]:
    """The vouchers wherever the accepted shapes put them. One parser per prefix runs only until the first
    voucher shows where they are; from then on only that prefix is parsed (each parser reads the whole
    body, so four of them cost four times the parsing)."""
    sinks = {p: _Sink() for p in PREFIXES}
    coros = {p: ijson.items_coro(sinks[p], p) for p in PREFIXES}
    head = b""
    for chunk in response.iter_content(chunk_size=64 * 1024):
        if len(head) < 4096:
            head += chunk[:4096]
        for coro in coros.values():
            coro.send(chunk)
        if len(coros) > 1 and any(sinks[p] for p in coros):
            coros = {p: coro for p, coro in coros.items() if sinks[p]}
        for prefix in coros:
            yield from sinks[prefix]
            sinks[prefix].clear()
    for prefix, coro in coros.items():
        coro.close()  # raises IncompleteJSONError on a truncated body
        yield from sinks[prefix]
    text = head.lstrip()
    if not text.startswith(b"[") and b'"vouchers"' not in head and b'"data"' not in head:
        msg = "response body lacks vouchers (expected {vouchers: [...]} or an array)"
        raise ValueError(msg)


def _checked_vouchers(response: requests.Response) -> Iterator[tuple[None, t.Any]]:
    ctype = response.headers.get("Content-Type", "")
    if "json" not in ctype.lower():
        msg = f"expected JSON but got '{ctype or 'no content type'}'"
        raise ValueError(msg)
    for voucher in _vouchers(response):
        yield None, voucher


def _is_object(voucher: t.Any) -> None:
    if not isinstance(voucher, dict):
        msg = "a voucher is not a JSON object"
        raise ValueError(msg)


def read_vouchers(stream: FindityStream, export_id: str) -> Iterator[dict]:
    """Every voucher of the export's package, in package order."""
    for _, voucher in read_resumably(
        stream, f"{stream.url_base}/exports/{export_id}/export", _checked_vouchers,
        parse_errors=(ijson.JSONError,), check=_is_object,
        request_line=f"GET /exports/{export_id}/export", retry_message=f"Re-reading the package of export {export_id}",
    ):
        yield voucher
