"""Pleo's cursor pagination (`after=endCursor` until `hasNextPage` is false), and how far a pass over
accounting entries has been emitted (`EntryPosition`), which is what a killed run resumes from."""

from __future__ import annotations

import datetime
import typing as t

from singer_sdk.pagination import BaseAPIPaginator
from tapkit.errors import TapError
from tapkit.http import MalformedResponseError, parsed_json
from tapkit.timeutil import parse_utc, to_utc_iso

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    import requests

ONE_MS = datetime.timedelta(milliseconds=1)


class PleoCursorPaginator(BaseAPIPaginator[str | None]):
    """Token = the `after` cursor. Next page: `pagination.endCursor` while `pagination.hasNextPage`."""

    def __init__(self) -> None:
        super().__init__(None)

    def get_next(self, response: requests.Response) -> str | None:
        pagination = parsed_json(response).get("pagination") or {}
        if not pagination.get("hasNextPage"):
            return None
        cursor = pagination.get("endCursor")
        if not cursor:
            msg = f"{response.request.method} {response.request.path_url.split('?')[0]}: hasNextPage without endCursor"
            raise MalformedResponseError(msg, response)
        return str(cursor)


class EntryPosition:
    """How far a pass over accounting entries, sorted by `performedAt` ascending, has been emitted: the
    `performedAt` of the last entry emitted (UTC ISO, as records hold it) and the ids emitted at exactly that
    moment. Entries may share a `performedAt` and Pleo does not say how it orders them among themselves, so
    the ids are kept: an entry is *behind* the position (emitted already) when it is older, or at the moment
    with its id held. A pass resumed from the position asks from one millisecond before it (`request_from`:
    lossless whether Pleo compares `performedAtStart` inclusively or not) and skips what is behind."""

    def __init__(self, moment: str | None = None, ids: Iterable[str] = ()) -> None:
        self.moment = to_utc_iso(moment)
        self.ids = set(ids) if self.moment else set()

    @classmethod
    def from_state(cls, value: t.Any, where: str) -> EntryPosition:
        """The position a state holds (`{"performedAt", "ids"}`); TapError naming `where` if malformed."""
        moment, ids = value.get("performedAt"), value.get("ids") or []
        try:
            if moment is not None:
                parse_utc(moment)
        except (TypeError, ValueError):
            moment = None
            ids = None
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids) or (ids and moment is None):
            msg = f"state: {where} is {value!r}, not a performedAt date-time and a list of ids: remove it"
            raise TapError(msg)
        return cls(moment, ids)

    def to_state(self) -> dict[str, t.Any]:
        return {"performedAt": self.moment, "ids": sorted(self.ids)}

    @staticmethod
    def moment_of(entry: dict) -> str | None:
        return to_utc_iso(entry.get("performedAt"))

    def behind(self, entry: dict) -> bool:
        """Whether the entry was emitted already (older than the position, or at it with its id held)."""
        moment = self.moment_of(entry)
        if self.moment is None or moment is None:
            return False
        return moment < self.moment or (moment == self.moment and entry.get("id") in self.ids)

    def advance(self, entry: dict) -> None:
        """Put an emitted entry behind the position (one without `performedAt` moves nothing)."""
        moment = self.moment_of(entry)
        if moment is None:
            return
        if self.moment is None or moment > self.moment:
            self.moment, self.ids = moment, set()
        self.ids.add(str(entry.get("id")))

    def request_from(self, lower: str | None) -> str | None:
        """`performedAtStart` of a pass whose own lower bound is `lower` (None: none), from this position."""
        if self.moment is None:
            return lower
        margin = (parse_utc(self.moment) - ONE_MS).isoformat(timespec="microseconds")
        return margin if lower is None else max(lower, margin)
