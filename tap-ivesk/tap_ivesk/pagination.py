"""Paging the Įvesk queues with `from=<timestamp>` and `next`, without losing documents at boundaries.

The vendor says: repeat with `from=<next>` until a response has no `next`; `next` is the last document's
timestamp. Whether `from` is exclusive or inclusive, and whether a page may end between documents that
share a timestamp, is not documented. So the tap asks from one millisecond *before* its position and skips
what it already emitted (documents older than the position, and those at exactly the position whose ids it
holds, see `DocumentsStream`). That is lossless for every variant; the cost is re-reading the documents at
the boundary timestamp. If a whole page is made of documents already seen at one timestamp (more documents
share it than fit a page), the next request asks from that timestamp exactly to get past them.
"""

from __future__ import annotations

import typing as t

from singer_sdk.pagination import BaseAPIPaginator
from tapkit.http import parsed_json
from tapkit.timeutil import parse_utc, to_utc_iso

if t.TYPE_CHECKING:
    import datetime
    import logging

    import requests


class QueuePosition:
    """How far a queue has been read: the timestamp of the last document emitted (`key` is the queue's
    timestamp field) and the ids emitted at exactly that timestamp."""

    def __init__(self, key: str, timestamp: datetime.datetime | None, ids: t.Iterable[str] = ()) -> None:
        self.key = key
        self.timestamp = timestamp
        self.ids = set(ids)

    def copy(self) -> QueuePosition:
        return QueuePosition(self.key, self.timestamp, self.ids)

    def behind(self, doc: dict) -> bool:
        """Whether the document was emitted already: older than the position, or at it with its id held."""
        value = doc.get(self.key)
        if self.timestamp is None or not value:
            return False
        moment = parse_utc(value)
        return moment < self.timestamp or (moment == self.timestamp and doc.get("id") in self.ids)

    def advance(self, doc: dict) -> bool:
        """Put an emitted document behind the position; False for one without a timestamp (it moves nothing)."""
        value = doc.get(self.key)
        if not value:
            return False
        moment = parse_utc(value)
        if self.timestamp is None or moment > self.timestamp:
            self.timestamp, self.ids = moment, set()
        self.ids.add(doc["id"])
        return True


class QueuePaginator(BaseAPIPaginator[dict]):
    """Token `{"from": normalised timestamp | None, "margin": bool}`.

    It follows the position itself, from the documents of each response, starting from the copy of the
    stream's position it is given: so it knows, without asking the stream, when a page brought nothing new.
    """

    def __init__(self, start: QueuePosition, *, records_key: str, queue: str, logger: logging.Logger) -> None:
        super().__init__({"from": to_utc_iso(start.timestamp), "margin": True})
        self.position = start
        self.records_key = records_key
        self.queue = queue
        self.logger = logger

    def get_next(self, response: requests.Response) -> dict | None:
        body = parsed_json(response)
        new = 0
        for doc in body.get(self.records_key) or []:
            if isinstance(doc, dict) and not self.position.behind(doc):
                new += 1
                self.position.advance(doc)
        nxt = body.get("next")
        if not nxt:
            return None
        token = {"from": to_utc_iso(nxt), "margin": True}
        position = self.position.timestamp
        stuck = new == 0 and position is not None and parse_utc(nxt) <= position
        if token == self.current_value:
            stuck = True
        if not stuck:
            return token
        if self.current_value.get("margin"):
            return {"from": token["from"], "margin": False}  # step over a page-sized group of equal timestamps
        self.logger.warning(
            "The %s queue keeps answering the documents at %s that were already emitted (more documents share "
            "that timestamp than fit a page); stopping here, the next run continues from there.",
            self.queue,
            nxt,
        )
        return None

    def continue_if_empty(self, response: requests.Response) -> bool:
        return True

    def has_more(self, response: requests.Response) -> bool:
        return True
