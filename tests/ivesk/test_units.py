"""tap-ivesk's queue paging without a server: the paginator follows the position from the responses alone."""

from __future__ import annotations

import json
import logging
import types

from tap_ivesk.pagination import QueuePaginator, QueuePosition
from tapkit.timeutil import parse_utc

T = "2026-03-01T10:00:00.000Z"
LATER = "2026-03-01T10:00:05.000Z"


def page(*docs: tuple[str, str], nxt: str | None) -> types.SimpleNamespace:
    body = {"documents": [{"id": i, "exportedat": at} for i, at in docs], "next": nxt}
    return types.SimpleNamespace(content=json.dumps(body).encode())


def paginator(position: QueuePosition) -> QueuePaginator:
    return QueuePaginator(position, records_key="documents", queue="exported", logger=logging.getLogger("test"))


def test_the_first_request_asks_from_the_position_with_a_margin() -> None:
    assert paginator(QueuePosition("exportedat", parse_utc(T))).current_value == {
        "from": "2026-03-01T10:00:00.000000+00:00",
        "margin": True,
    }
    assert paginator(QueuePosition("exportedat", None)).current_value == {"from": None, "margin": True}


def test_a_page_with_something_new_moves_on_to_its_next() -> None:
    queue = paginator(QueuePosition("exportedat", parse_utc(T), ["a"]))
    queue.advance(page(("a", T), ("b", LATER), nxt=LATER))
    assert queue.current_value == {"from": "2026-03-01T10:00:05.000000+00:00", "margin": True}
    assert queue.position.ids == {"b"}


def test_a_page_of_documents_already_emitted_at_one_timestamp_is_stepped_over_then_given_up(caplog) -> None:
    start = QueuePosition("exportedat", parse_utc(T), ["a", "b"])
    queue = paginator(start.copy())
    same = page(("a", T), ("b", T), nxt=T)
    queue.advance(same)  # asked from T - 1 ms and got the same page back: ask from T exactly
    assert queue.current_value == {"from": "2026-03-01T10:00:00.000000+00:00", "margin": False}
    with caplog.at_level(logging.WARNING):
        queue.advance(same)  # still nothing new: more documents share T than fit a page
    assert queue.finished
    assert "keeps answering the documents" in caplog.text
    assert start.ids == {"a", "b"}, "the paginator moved its own copy of the position, not the stream's"
