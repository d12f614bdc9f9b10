"""Query-parameter validation with Candis' 400 BAD_INPUT answer (``errors: [{index, property, messages}]``).

Choices where Candis says nothing ([I]):
* ``errors[].index`` is left out for query parameters: Candis' OpenAPI types it as an optional *string*
  naming "the index of the payload that has an issue", and a query has no payload;
* an empty value (``status=``) counts as absent;
* a repeated parameter (``status=A&status=B``) is rejected: the OpenAPI types ``status``/``types`` as one
  string whose description says "Comma separated values";
* ``offset`` and ``limit`` are typed ``number`` in the OpenAPI: any number at or above the minimum is taken
  (``10``, ``10.0``, ``1e1``) and a fractional one is truncated to a whole record count;
* a ``…To`` bound given as a plain date means the end of that day (inclusive), a ``…From`` date its start;
* a date-time without an offset is UTC.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from fastapi import Request

from ..framework.provider import ApiError
from ..framework.timeutil import parse_iso8601
from .config import DEFAULT_LIMIT, MAX_LIMIT

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


class QueryReader:
    def __init__(self, request: Request) -> None:
        self.params = request.query_params
        self.errors: list[dict] = []

    def _error(self, name: str, message: str) -> None:
        self.errors.append({"property": name, "messages": [message]})

    def _single(self, name: str) -> str | None:
        values = self.params.getlist(name)
        if not values:
            return None
        if len(values) > 1:
            self._error(name, f"{name} must be a single value (comma-separated for lists)")
            return None
        return values[0] if values[0].strip() != "" else None

    def number(self, name: str, default: int, minimum: int) -> int:
        raw = self._single(name)
        if raw is None:
            return default
        text = raw.strip()
        if not _NUMBER.match(text) or len(text) > 40:
            self._error(name, f"{name} must be a number conforming to the specified constraints")
            return default
        value = Decimal(text)
        if value < minimum:
            self._error(name, f"{name} must not be less than {minimum}")
            return default
        return int(value) if value < 10**12 else 10**12

    def paging(self) -> tuple[int, int]:
        """(offset, limit); ``limit`` above 50 is silently clamped to 50, as Candis does."""
        offset = self.number("offset", 0, 0)
        limit = self.number("limit", DEFAULT_LIMIT, 1)
        return offset, min(limit, MAX_LIMIT)

    def enum(self, name: str, allowed: Sequence[str], default: str) -> str:
        raw = self._single(name)
        if raw is None:
            return default
        if raw not in allowed:
            self._error(name, f"{name} must be one of the following values: {', '.join(allowed)}")
            return default
        return raw

    def enum_list(self, name: str, allowed: Sequence[str]) -> list[str] | None:
        raw = self._single(name)
        if raw is None:
            return None
        values = [v.strip() for v in raw.split(",")]
        if any(v not in allowed for v in values):
            self._error(name, f"each value in {name} must be one of the following values: {', '.join(allowed)}")
            return None
        return values

    def date(self, name: str, *, end_of_day: bool = False) -> int | None:
        raw = self._single(name)
        if raw is None:
            return None
        try:
            return parse_iso8601(raw, end_of_day=end_of_day)
        except ValueError:
            self._error(name, f"{name} must be a valid ISO 8601 date string")
            return None

    def raise_if_errors(self) -> None:
        if self.errors:
            raise ApiError(400, "Invalid query parameters", code="BAD_INPUT", errors=self.errors)
