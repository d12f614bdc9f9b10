"""Paging strategies that stay correct while records change under the tap.

Bare offsets over a list that changes during the run skip records (an item that moves out of the filtered set
shifts every later item down by one). So incremental streams are anchored on the timestamp filter:

- `UpdatedAtKeysetPaginator` (endpoints that can sort by UPDATED_AT ascending): each page restarts from the
  last timestamp seen (`updatedAtFrom`), skipping only the records of that exact timestamp already seen. A
  record that changes while we page gets a newer timestamp and is met again later in the same run.
- `UpdatedWindowPaginator` (endpoints without a sort parameter, e.g. invoices): the range from the bookmark
  to now is cut into time windows small enough that each fits in one page (≤ 50), so no offset is ever used
  across pages of a changing list; a window that holds more is split (its page is discarded). On reaching
  the upper end, one more window up to the new "now" catches what changed during the run; the run ends at
  the first such window that is empty.
"""

from __future__ import annotations

import datetime
import typing as t

from singer_sdk.pagination import BaseAPIPaginator

from tap_candis.client import MAX_PAGE, to_utc_iso
from tapkit.http import parsed_json

if t.TYPE_CHECKING:
    import requests

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
MIN_WINDOW = datetime.timedelta(milliseconds=2)
TARGET = 40  # aim for windows of ~40 records so growth between requests rarely overflows a page


def _parse(value: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(to_utc_iso(value) or "")


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

    def has_more(self, response: requests.Response) -> bool:  # noqa: ARG002 - decided in get_next
        return True


class UpdatedWindowPaginator(BaseAPIPaginator[dict]):
    """Token `{"start", "end", "offset"}` (ISO strings); windows cover [start_from, upper] in order."""

    def __init__(self, start_from: str | None, upper: datetime.datetime, records_key: str) -> None:
        start = _parse(start_from) if start_from else EPOCH
        self.upper = upper
        self.chasing = False
        super().__init__({"start": start.isoformat(), "end": upper.isoformat(), "offset": 0})
        self.records_key = records_key

    @staticmethod
    def splittable(token: dict) -> bool:
        return _parse(token["end"]) - _parse(token["start"]) > MIN_WINDOW

    def discard(self, response: requests.Response) -> bool:
        """True when this page is a partial view of an over-full window that will be split instead."""
        total = int((parsed_json(response).get("pagination") or {}).get("totalCount") or 0)
        token = self.current_value
        return total > MAX_PAGE and token["offset"] == 0 and self.splittable(token)

    def get_next(self, response: requests.Response) -> dict | None:
        body = parsed_json(response)
        total = int((body.get("pagination") or {}).get("totalCount") or 0)
        received = len(body.get(self.records_key) or [])
        token = self.current_value
        start, end = _parse(token["start"]), _parse(token["end"])
        if self.discard(response):
            shrink = max((end - start) * TARGET / total, MIN_WINDOW)
            return {"start": token["start"], "end": (start + shrink).isoformat(), "offset": 0}
        if received and token["offset"] + received < total:  # tiny window holding > 50: plain offsets
            return {**token, "offset": token["offset"] + received}
        if end >= self.upper:
            if self.chasing and total == 0:
                return None
            self.chasing = True  # records changed while we paged carry newer timestamps: one more window
            self.upper = max(datetime.datetime.now(datetime.timezone.utc), end + MIN_WINDOW)
            return {"start": token["end"], "end": self.upper.isoformat(), "offset": 0}
        factor = min(max(TARGET / max(total, 1), 0.5), 4.0)
        width = max((end - start) * factor, MIN_WINDOW * 2)
        return {"start": token["end"], "end": min(end + width, self.upper).isoformat(), "offset": 0}

    def continue_if_empty(self, response: requests.Response) -> bool:  # noqa: ARG002 - windows may be empty
        return True

    def has_more(self, response: requests.Response) -> bool:  # noqa: ARG002
        return True
