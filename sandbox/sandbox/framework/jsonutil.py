"""Compact JSON responses without FastAPI's per-field encoder (a 50-record page must cost milliseconds)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)


#: ``empty=`` of :func:`parse_json`: a blank body is refused (``invalid(None)``)
REQUIRED: Any = object()


def parse_json(
    raw: bytes, invalid: Callable[[str | None], Exception], *, empty: Any = REQUIRED, strip: bool = True
) -> Any:
    """The emulators' one JSON-body parser. A blank body (no bytes; with ``strip`` also only whitespace) answers
    ``empty``, or raises ``invalid(None)`` when ``empty`` is :data:`REQUIRED`; a malformed one raises
    ``invalid(detail)`` (the parser's message). ``invalid`` builds the provider's own error."""
    if not (raw.strip() if strip else raw):
        if empty is REQUIRED:
            raise invalid(None)
        return empty
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise invalid(str(exc)) from None


async def read_json(
    request: Request, invalid: Callable[[str | None], Exception], *, empty: Any = REQUIRED, strip: bool = True
) -> Any:
    """:func:`parse_json` of the request's body."""
    return parse_json(await request.body(), invalid, empty=empty, strip=strip)


def dumps(obj: Any) -> bytes:
    return _encoder.encode(obj).encode("utf-8")


def json_response(obj: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(dumps(obj), status_code=status, headers=dict(headers or {}), media_type="application/json")


def streamed_object(
    parts: Iterable[tuple[str, Iterable[Any]]],
    *,
    batch: int = 100,
    status: int = 200,
) -> StreamingResponse:
    """Stream ``{"key1": [items...], "key2": [items...]}`` item by item, ``batch`` items per chunk.

    The iterables are consumed lazily while the body is written, so memory stays flat however many
    items there are (thousands of postings in one export).
    """

    async def body() -> AsyncIterator[bytes]:
        yield b"{"
        for n, (key, items) in enumerate(parts):
            yield (b"," if n else b"") + dumps(key) + b":["
            chunk: list[bytes] = []
            first = True
            for item in items:
                chunk.append(dumps(item))
                if len(chunk) >= batch:
                    yield (b"" if first else b",") + b",".join(chunk)
                    first = False
                    chunk = []
            if chunk:
                yield (b"" if first else b",") + b",".join(chunk)
            yield b"]"
        yield b"}"

    return StreamingResponse(body(), status_code=status, media_type="application/json")
