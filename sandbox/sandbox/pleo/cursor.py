"""Pleo's cursor pagination: ``before``/``after``/``offset``/``limit``, ``sorting_keys``/``sorting_order``
(repeated parameters), and the ``pagination`` object of every list answer.

Lists are read as *keyset* pages: a cursor (``^[A-Z2-7=~]+$``, base32) names the position of a record in the
list's order (its sequence number), and ``after=endCursor`` continues strictly after it, so records added
or changed while a client pages never shift a page ([I]: Pleo's cursors are opaque; this is the reading
that keeps them stable).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from starlette.datastructures import QueryParams

from ..framework.provider import ApiError
from .config import DEFAULT_LIMIT, MAX_LIMIT

T = TypeVar("T")
_CURSOR = re.compile(r"^[A-Z2-7=~]+$")
_INT = re.compile(r"^\d+$")
PAGE_ORDERS = ("ASC", "ASC_NULLS_FIRST", "ASC_NULLS_LAST", "DESC", "DESC_NULLS_FIRST", "DESC_NULLS_LAST")
PAGING = {"after", "before", "offset", "limit", "sorting_keys", "sorting_order"}


def encode(kind: str, position: int) -> str:
    return base64.b32encode(f"{kind}~{position}".encode()).decode()


def decode(kind: str, cursor: str, name: str) -> int:
    if not _CURSOR.match(cursor):
        raise ApiError(400, f"'{name}' is not a valid cursor", code="INVALID_CURSOR")
    try:
        prefix, _, number = base64.b32decode(cursor).decode().partition("~")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, f"'{name}' is not a valid cursor", code="INVALID_CURSOR") from None
    if prefix != kind or not _INT.match(number):
        raise ApiError(400, f"'{name}' is a cursor of another list", code="INVALID_CURSOR")
    return int(number)


@dataclass
class PageRequest:
    after: str | None
    before: str | None
    offset: int
    limit: int
    sorting_keys: list[str]
    sorting_order: list[str]
    parameters: dict[str, list[str]]  # the request's other query parameters (``currentRequestPagination``)

    @property
    def descending(self) -> bool:
        return bool(self.sorting_order) and self.sorting_order[0].startswith("DESC")


def read_page_request(params: QueryParams, sort_keys: Iterable[str] = ()) -> PageRequest:
    def single(name: str) -> str | None:
        values = params.getlist(name)
        if len(values) > 1:
            raise ApiError(400, f"'{name}' must be given once", code="INVALID_REQUEST")
        return values[0] if values and values[0] != "" else None

    limit_raw, offset_raw = single("limit"), single("offset")
    for name, raw in (("limit", limit_raw), ("offset", offset_raw)):
        if raw is not None and not _INT.match(raw):
            raise ApiError(400, f"'{name}' must be a non-negative integer", code="INVALID_REQUEST")
    limit = int(limit_raw) if limit_raw is not None else DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(400, f"'limit' must be between 1 and {MAX_LIMIT}", code="INVALID_REQUEST")
    after, before = single("after"), single("before")
    if after and before:
        raise ApiError(400, "Use either 'after' or 'before', not both", code="INVALID_REQUEST")
    keys = params.getlist("sorting_keys")
    allowed = list(sort_keys)
    bad = [k for k in keys if k not in allowed]
    if bad:
        raise ApiError(400, f"sorting_keys must be among {', '.join(allowed) or '(none)'}", code="INVALID_REQUEST")
    order = params.getlist("sorting_order")
    if any(o not in PAGE_ORDERS for o in order):  # PageOrder; [I] NULLS_FIRST/LAST: no sort key here is null
        raise ApiError(400, f"sorting_order must be among {', '.join(PAGE_ORDERS)}", code="INVALID_REQUEST")
    others: dict[str, list[str]] = {}
    for key, value in params.multi_items():
        if key not in PAGING:
            others.setdefault(key, []).append(value)
    return PageRequest(after, before, int(offset_raw or 0), limit, keys, order, others)


def keyset_page(
    kind: str,
    req: PageRequest,
    total: int,
    positions_after: Callable[[int | None, bool], Iterator[tuple[int, T]]],
) -> tuple[list[T], dict[str, Any]]:
    """One page. ``positions_after(position, descending)`` yields ``(position, record)`` strictly after the
    given position (None = from the start) in list order, ascending or descending."""
    descending = req.descending
    if req.before:
        # Previous page: the ``limit`` records just before ``before``, read in the opposite direction.
        anchor = decode(kind, req.before, "before")
        found = []
        for pos, rec in positions_after(anchor, not descending):
            found.append((pos, rec))
            if len(found) > req.limit:
                break
        has_previous = len(found) > req.limit
        found = list(reversed(found[: req.limit]))
        has_next = True
    else:
        anchor = decode(kind, req.after, "after") if req.after else None
        found = []
        skip = req.offset
        for pos, rec in positions_after(anchor, descending):
            if skip:
                skip -= 1
                continue
            found.append((pos, rec))
            if len(found) > req.limit:
                break
        has_next = len(found) > req.limit
        found = found[: req.limit]
        has_previous = anchor is not None or req.offset > 0
    records = [rec for _, rec in found]
    # CursorPageInfo: no field is nullable, so what does not apply is left out
    current = {
        "after": req.after,
        "before": req.before,
        "offset": req.offset or None,
        "limit": req.limit,
        "sortingKeys": req.sorting_keys or None,
        "sortingOrder": req.sorting_order or None,
    }
    pagination = {
        "currentRequestPagination": {**_present(current), "parameters": req.parameters},
        "hasNextPage": has_next,
        "hasPreviousPage": has_previous,
        **_present(
            {
                "startCursor": encode(kind, found[0][0]) if found else None,
                "endCursor": encode(kind, found[-1][0]) if found else None,
                "total": total,
            }
        ),
    }
    return records, pagination


def _present(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def list_page(kind: str, req: PageRequest, items: list[T]) -> tuple[list[T], dict[str, Any]]:
    """Keyset page over a small list held in memory (reference data); positions are list indices."""

    def after(position: int | None, descending: bool) -> Iterator[tuple[int, T]]:
        order = range(len(items) - 1, -1, -1) if descending else range(len(items))
        for i in order:
            if position is None or (i < position if descending else i > position):
                yield i, items[i]

    return keyset_page(kind, req, len(items), after)
