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
    import requests

    from tap_ivesk.streams import DocumentsStream


class QueuePaginator(BaseAPIPaginator[dict]):
    """Token `{"from": normalised timestamp | None, "margin": bool}`."""

    def __init__(self, stream: DocumentsStream, start: str | None) -> None:
        super().__init__({"from": start, "margin": True})
        self.stream = stream

    def get_next(self, response: requests.Response) -> dict | None:
        nxt = parsed_json(response).get("next")
        if not nxt:
            return None
        token = {"from": to_utc_iso(nxt), "margin": True}
        position = self.stream.position
        stuck = self.stream.page_new == 0 and position is not None and parse_utc(nxt) <= position
        if token == self.current_value:
            stuck = True
        if not stuck:
            return token
        if self.current_value.get("margin"):
            return {"from": token["from"], "margin": False}  # step over a page-sized group of equal timestamps
        self.stream.logger.warning(
            "The %s queue keeps answering the documents at %s that were already emitted (more documents share "
            "that timestamp than fit a page); stopping here, the next run continues from there.",
            self.stream.queue,
            nxt,
        )
        return None

    def continue_if_empty(self, response: requests.Response) -> bool:
        return True

    def has_more(self, response: requests.Response) -> bool:
        return True
