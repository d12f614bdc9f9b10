"""Paging strategies that stay correct while records change under the tap.

Bare offsets over a list that changes during the run skip records (an item that moves out of the filtered set
shifts every later item down by one). So incremental streams are anchored on the timestamp filter:

- `UpdatedAtKeysetPaginator` (endpoints that can sort by UPDATED_AT ascending): each page restarts from the
  last timestamp seen (`updatedAtFrom`), skipping only the records of that exact timestamp already seen. A
  record that changes while we page gets a newer timestamp and is met again later in the same run.
- `UpdatedWindowPaginator` (endpoints without a sort parameter, e.g. invoices): the range from the bookmark
  to the run's start is cut into `updatedDate` windows, each read with offsets and held back until it is
  complete. Such a window only loses records (a change moves a record's `updatedAt` to "now", past the
  window), so a window whose pages all report the same `totalCount` and which yielded that many distinct ids
  was read exactly; otherwise it is read again. The window is then emitted sorted by `updatedAt`, so the
  bookmark never passes an unread record. Windows are sized from the density of the previous ones to hold
  about WINDOW_TARGET records; one reporting more than WINDOW_CAP is narrowed before it is read (its first
  page is discarded). On reaching the run's start, one more window up to the new "now" catches what changed
  during the run; the run ends at the first such window that is empty.

Exports are listed with plain offsets: `CandisOffsetPaginator` advances by what the server returned (Candis
clamps `limit` to 50), and `ExportsPaginator` stops at the bookmark once a newest-first list has reached it.
"""

from __future__ import annotations

import datetime
import typing as t

from singer_sdk.pagination import BaseAPIPaginator, OffsetPaginator
from tapkit.errors import TapError
from tapkit.http import parsed_json
from tapkit.timeutil import to_api_ms, to_utc_iso

if t.TYPE_CHECKING:
    import requests

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
MAX_PAGE = 50  # Candis clamps larger limits to 50 silently
MS = 1000  # window bounds are whole milliseconds (what the API takes), in epoch microseconds
WINDOW_TARGET = 600  # records a window is sized for (12 pages of 50)
WINDOW_CAP = 1000  # most records held back for one window; a window reporting more is narrowed first
MAX_ATTEMPTS = 20  # reads of one window that changed while it was paged, before giving up


class CandisOffsetPaginator(OffsetPaginator):
    """offset/limit paging that advances by what the server actually returned (limit may be clamped)."""

    def __init__(self, records_key: str) -> None:
        super().__init__(start_value=0, page_size=MAX_PAGE)
        self.records_key = records_key

    def get_next(self, response: requests.Response) -> int | None:
        body = parsed_json(response)
        received = len(body.get(self.records_key) or [])
        total = int((body.get("pagination") or {}).get("totalCount") or 0)
        nxt = self.current_value + received
        return nxt if received and nxt < total else None

    def has_more(self, response: requests.Response) -> bool:
        return True


class ExportsPaginator(CandisOffsetPaginator):
    """Offset paging of `GET /exports` that stops at the bookmark when the list is newest first (as Candis
    sends it; judged from the first page): every later export is older. Oldest first, it reads every page."""

    def __init__(self, bookmark: str | None) -> None:
        super().__init__("exports")
        self.bookmark = bookmark
        self.newest_first: bool | None = None

    def get_next(self, response: requests.Response) -> int | None:
        created = [to_utc_iso(item["createdAt"]) or "" for item in parsed_json(response).get(self.records_key) or []]
        if created and self.newest_first is None:
            self.newest_first = created[0] >= created[-1]
        if self.newest_first and self.bookmark and any(c <= self.bookmark for c in created):
            return None
        return super().get_next(response)


def epoch_us(value: str | datetime.datetime) -> int:
    """Exact epoch microseconds of a timestamp (exact, so a record on a window bound lands on the right side)."""
    moment = datetime.datetime.fromisoformat(to_utc_iso(value) or "")
    return (moment - EPOCH) // datetime.timedelta(microseconds=1)


def api_bound(us: int) -> str:
    return to_api_ms(EPOCH + datetime.timedelta(microseconds=us))


class UpdatedAtKeysetPaginator(BaseAPIPaginator[dict]):
    """Token `{"from": iso|None, "offset": n}`: n = records at exactly `from` already seen."""

    def __init__(self, start_from: str | None, records_key: str, ts_key: str = "updatedAt") -> None:
        super().__init__({"from": start_from, "offset": 0})
        self.records_key = records_key
        self.ts_key = ts_key

    def get_next(self, response: requests.Response) -> dict | None:
        body = parsed_json(response)
        items = body.get(self.records_key) or []
        total = int((body.get("pagination") or {}).get("totalCount") or 0)
        current = self.current_value
        if not items or current["offset"] + len(items) >= total:
            return None
        last = to_utc_iso(items[-1][self.ts_key])
        if current["from"] is not None and last == to_utc_iso(current["from"]):
            return {"from": current["from"], "offset": current["offset"] + len(items)}
        ties = sum(1 for item in items if to_utc_iso(item[self.ts_key]) == last)
        return {"from": last, "offset": ties}

    def has_more(self, response: requests.Response) -> bool:
        return True


class UpdatedWindowPaginator(BaseAPIPaginator[dict]):
    """Token `{"start", "end", "offset", "attempt"}`: the window [start, end) in epoch µs and the offset in it.

    `take(response)` files a page and returns what to emit now: nothing until the window is complete, then its
    records sorted by `updatedAt`. Whatever the API's `updatedDateTo` does with its bound, a record exactly at
    `end` is kept only by the next window (which starts there), so ties on a bound are read once. A window
    of one millisecond cannot be narrowed: its records share one timestamp (Candis stamps milliseconds), so it
    is emitted page by page (ids it already emitted are skipped if it has to be read again) and memory stays
    bounded however many records one millisecond holds.
    """

    def __init__(self, start_from: str | None, upper: datetime.datetime, records_key: str) -> None:
        start = epoch_us(start_from) // MS * MS if start_from else 0
        self.upper = max(epoch_us(upper) // MS * MS, start + MS)
        self.records_key = records_key
        self.chasing = False
        self.records, self.span = 0.0, 0.0  # of the windows read so far, each older window weighing half
        self.pending: list[dict] = []  # the current window's records, held back until it is complete
        self.ids: set[t.Any] = set()  # ids the current read of the window returned
        self.emitted: set[t.Any] = set()  # ids a one-millisecond window already emitted
        self.total = 0
        self.following: dict | None = None
        super().__init__(self._window(start, self.upper))

    def _window(self, start: int, end: float, attempt: int = 0) -> dict:
        end = min(max(int(end) // MS * MS, start + MS), self.upper)
        return {"start": start, "end": end, "offset": 0, "attempt": attempt}

    def take(self, response: requests.Response) -> list[dict]:
        body = parsed_json(response)
        items = body.get(self.records_key) or []
        total = int((body.get("pagination") or {}).get("totalCount") or 0)
        token = self.current_value
        start, end, offset = token["start"], token["end"], token["offset"]
        streaming = end - start <= MS
        if offset == 0:
            self.pending, self.ids, self.total = [], set(), total
            if token["attempt"] == 0:
                self.emitted = set()
            if total > WINDOW_CAP and not streaming:
                self.following = self._window(start, self._narrowed(start, end, total, items))
                self.records, self.span = float(total), float(end - start)  # the freshest density there is
                return []
        if total != self.total:  # a record left the window while we paged: later offsets have shifted
            self.following = self._again(token)
            return []
        self.ids.update(item.get("id") for item in items)
        kept = [item for item in items if self._before(item, end) and item.get("id") not in self.emitted]
        complete = False
        if items and offset + len(items) < total:
            self.following = {**token, "offset": offset + len(items)}
        elif len(self.ids) != total:  # the order moved between pages: a record was skipped or met twice
            self.following = self._again(token)
        else:
            self.following = self._after(start, end, total)
            complete = True
        if streaming:
            self.emitted.update(item.get("id") for item in kept)
            return sorted(kept, key=_updated)
        self.pending += kept
        if not complete:
            return []
        done, self.pending = self.pending, []
        return sorted(done, key=_updated)

    def get_next(self, response: requests.Response) -> dict | None:
        return self.following

    def continue_if_empty(self, response: requests.Response) -> bool:
        return True

    @staticmethod
    def _before(item: dict, end: int) -> bool:
        return not item.get("updatedAt") or epoch_us(item["updatedAt"]) < end

    def _again(self, token: dict) -> dict:
        """A window that changed under us, to read again: narrower (a 1 ms one whole, skipping what it emitted)."""
        attempt = token["attempt"] + 1
        if attempt > MAX_ATTEMPTS:
            msg = (
                f"invoices updated between {api_bound(token['start'])} and {api_bound(token['end'])} kept "
                "changing while they were read; run the tap again"
            )
            raise TapError(msg)
        start, end = token["start"], token["end"]
        return self._window(start, start + max((end - start) // 2, MS), attempt)

    def _narrowed(self, start: int, end: int, total: int, items: list[dict]) -> float:
        """End of a window from `start` expected to hold WINDOW_TARGET of the `total` records up to `end`."""
        cut = start + (end - start) * WINDOW_TARGET / total
        if self.count == 0:  # the run's first page: the data may start long after `start` (e.g. the epoch)
            earliest = min((epoch_us(i["updatedAt"]) for i in items if i.get("updatedAt")), default=cut)
            cut = max(cut, min(earliest, end - MS))  # so the first window ends no earlier than its earliest record
        return cut

    def _after(self, start: int, end: int, total: int) -> dict | None:
        """The window after a complete one: sized from recent density, or the chase past the run's start."""
        if end >= self.upper:
            if self.chasing and total == 0:
                return None
            self.chasing = True  # records changed while we paged carry newer timestamps: one more window
            now = epoch_us(datetime.datetime.now(datetime.UTC))
            self.upper = max(now // MS * MS, end + MS)
            return self._window(end, self.upper)
        width = end - start
        if total and width > MS:  # (a one-millisecond window says nothing about the density around it)
            self.records, self.span = self.records / 2 + total, self.span / 2 + width
        guess = WINDOW_TARGET * self.span / self.records if self.records else 0
        return self._window(end, end + (guess if total else max(guess, 4 * width)))  # gaps: widen 4x a step


def _updated(item: dict) -> str:
    return to_utc_iso(item.get("updatedAt")) or ""
