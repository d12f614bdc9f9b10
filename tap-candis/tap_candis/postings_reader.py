"""Streams `GET /exports/{id}/postings` (one JSON body, no paging) item by item with ijson.

An export can hold tens of thousands of postings; the body is never held whole in memory. If the connection
drops or the JSON is cut mid-body, the request is repeated (bounded by `max_retries`) and the items already
yielded are skipped, so nothing is emitted twice within a run and nothing is lost.
"""

from __future__ import annotations

import typing as t

import ijson
import requests
from tapkit.jsonstream import ItemSink
from tapkit.resumable import read_resumably

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from tap_candis.client import CandisStream

SUCCESS, FAILED = "successfulPostings", "failedPostings"


def _items(response: requests.Response) -> Iterator[tuple[str, dict]]:
    """(kind, item) pairs, parsed by ijson's C backend: one item coroutine per array, fed the same chunks."""
    found = {SUCCESS: ItemSink(), FAILED: ItemSink()}
    coroutines = {kind: ijson.items_coro(found[kind], f"{kind}.item") for kind in (SUCCESS, FAILED)}
    markers = {kind: f'"{kind}"'.encode() for kind in (SUCCESS, FAILED)}
    seen: set[str] = set()
    tail = b""
    for chunk in response.iter_content(chunk_size=64 * 1024):
        window = tail + chunk
        seen.update(kind for kind, marker in markers.items() if marker in window)
        tail = window[-24:]
        for kind, coroutine in coroutines.items():
            coroutine.send(chunk)
            for item in found[kind]:
                yield kind, item
            found[kind].clear()
    for kind, coroutine in coroutines.items():
        coroutine.close()  # raises IncompleteJSONError on a truncated body
        for item in found[kind]:
            yield kind, item
    if seen != {SUCCESS, FAILED}:
        missing = ", ".join(sorted({SUCCESS, FAILED} - seen))
        msg = f"response body lacks {missing}"
        raise ValueError(msg)


def read_postings(stream: CandisStream, export_id: str, kinds: set[str]) -> Iterator[tuple[str, dict]]:
    """Yield (kind, item) for the export, kind in `kinds` ({SUCCESS, FAILED})."""
    for kind, item in read_resumably(
        stream,
        f"{stream.url_base}/exports/{export_id}/postings",
        _items,
        parse_errors=(ijson.JSONError,),
        retry_message=f"Re-reading postings of export {export_id}",
    ):
        if kind in kinds:
            yield kind, item
