"""The request log: what each API request asked for and what it got (never credentials)."""

from __future__ import annotations

import re
from collections import deque
from typing import Any

_SECRET_PARAM = re.compile(r"token|secret|password|passwd|api[-_]?key|authorization|code_verifier", re.I)
REDACTED = "[REDACTED]"


def query_dict(query_string: bytes | str, *, redact: bool = True) -> dict[str, Any]:
    """Query string -> ``{key: value}``, repeated keys as lists, secret-looking values redacted (``redact``)."""
    from urllib.parse import parse_qsl

    if isinstance(query_string, bytes):
        query_string = query_string.decode("latin-1")
    out: dict[str, Any] = {}
    for key, value in parse_qsl(query_string, keep_blank_values=True):
        if redact and _SECRET_PARAM.search(key):
            value = REDACTED
        if key in out:
            prev = out[key]
            out[key] = [*prev, value] if isinstance(prev, list) else [prev, value]
        else:
            out[key] = value
    return out


class RequestLog:
    """A bounded, in-order list of request entries ``{ts, method, path, query, status, organization}``.

    Entries never hold headers, so the Authorization header cannot end up here; query parameters whose
    names look like secrets are redacted as well. With ``bodies`` on (the contract tests), entries of
    requests the provider's published contract covers also hold ``requestBody``, ``responseBody`` (parsed
    JSON) and ``contentType``; token endpoints are never covered, so no token or client secret is kept.
    """

    def __init__(self, maxlen: int = 200_000) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=maxlen)
        self.bodies = False

    def record(self, entry: dict[str, Any]) -> None:
        self._entries.append(entry)

    def entries(self) -> list[dict[str, Any]]:
        return list(self._entries)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
