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
from tapkit.jsonstream import ItemSink
from tapkit.resumable import read_resumably

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from tap_findity.client import FindityStream

PREFIXES = ("item", "vouchers.item", "data.item", "data.vouchers.item")


CHUNK = 64 * 1024
MAX_HEAD = 4 * 1024 * 1024  # bytes kept while looking for the first voucher


class _Replay:
    """A file-like reader over the chunks already read (`head`) and then the rest of the body."""

    def __init__(self, head: list[bytes], rest: Iterator[bytes]) -> None:
        self._head, self._rest = head, rest

    def read(self, size: int = -1) -> bytes:
        if size == 0:  # ijson probes the type of the stream with read(0)
            return b""
        if self._head:
            return self._head.pop(0)
        return next((chunk for chunk in self._rest if chunk), b"")  # b"" means the end to ijson


def _vouchers(response: requests.Response) -> Iterator[dict]:
    """The vouchers wherever the accepted shapes put them.

    Until the first voucher shows where they are, one incremental parser per prefix reads the chunks, which
    are kept; then the kept chunks and the rest of the body go through one `ijson.items` over a file-like
    reader, which parses about twice as fast as fed chunks (and four parsers would cost four times one).
    Without a voucher in the first MAX_HEAD bytes, the chunks are no longer kept and the parsers read on."""
    chunks = iter(response.iter_content(chunk_size=CHUNK))
    sinks = {p: ItemSink() for p in PREFIXES}
    coros = {p: ijson.items_coro(sinks[p], p) for p in PREFIXES}
    head: list[bytes] | None = []
    kept = 0
    start = b""
    for chunk in chunks:
        if len(start) < 4096:
            start += chunk[:4096]
        for coro in coros.values():
            coro.send(chunk)
        if head is not None:
            head.append(chunk)
            kept += len(chunk)
            found = next((p for p in PREFIXES if sinks[p]), None)
            if found is not None:
                yield from ijson.items(_Replay(head, chunks), found, buf_size=CHUNK)
                break
            if kept > MAX_HEAD:
                head = None
            continue
        for prefix in coros:
            yield from sinks[prefix]
            sinks[prefix].clear()
    else:
        for prefix, coro in coros.items():
            coro.close()  # raises IncompleteJSONError on a truncated body
            yield from sinks[prefix]
    start = start.lstrip()
    if not start.startswith(b"[") and b'"vouchers"' not in start and b'"data"' not in start:
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
        stream,
        f"{stream.url_base}/exports/{export_id}/export",
        _checked_vouchers,
        parse_errors=(ijson.JSONError,),
        check=_is_object,
        retry_message=f"Re-reading the package of export {export_id}",
    ):
        yield voucher
