"""Invoices have no sort parameter: the tap reads `updatedDateFrom/To` windows (tap_candis/pagination.py).

The unit tests drive the paginator against an in-memory `GET /invoices` (inclusive `updatedDateFrom`, the To
bound inclusive or not, a fixed order that is not by time, pages clamped to 50), as the stream does:
`take()` each response, emit what it returns, `advance()`. The last test runs the tap against the sandbox.
"""

from __future__ import annotations

import datetime
import json
import random
import types
import typing as t

import pytest
from tap_candis.pagination import WINDOW_CAP, UpdatedWindowPaginator, epoch_us

from tests.candis.conftest import candis_config
from tests.helpers import discover, select_only

UPPER = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)  # the run's start; "now" is later
T0 = epoch_us(datetime.datetime(2025, 3, 3, tzinfo=datetime.UTC)) // 1000  # epoch ms
HOUR = 3_600_000


def iso(ms: int) -> str:
    return datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.UTC).isoformat(timespec="milliseconds")


class FakeInvoices:
    """`GET /invoices` over {id: updatedAt in epoch ms}; `before_page(fake, token)` may change records."""

    def __init__(
        self,
        stamps: list[int],
        *,
        to_inclusive: bool = True,
        before_page: t.Callable[[FakeInvoices, dict], None] | None = None,
    ) -> None:
        self.updated = {f"inv-{i:05d}": ms for i, ms in enumerate(stamps)}
        order = list(self.updated)
        random.Random(7).shuffle(order)
        self.rank = {invoice_id: k for k, invoice_id in enumerate(order)}
        self.to_inclusive = to_inclusive
        self.before_page = before_page
        self.tokens: list[dict] = []

    def get(self, token: dict) -> types.SimpleNamespace:
        self.tokens.append(token)
        if self.before_page:
            self.before_page(self, token)
        start, end = token["start"] // 1000, token["end"] // 1000  # the API takes milliseconds
        selected = sorted(
            (i for i, ms in self.updated.items() if start <= ms and (ms <= end if self.to_inclusive else ms < end)),
            key=self.rank.get,
        )
        page = selected[token["offset"] : token["offset"] + 50]
        body = {
            "invoices": [{"id": i, "updatedAt": iso(self.updated[i])} for i in page],
            "pagination": {"pageCount": -(-len(selected) // 50), "pageSize": 50, "totalCount": len(selected)},
        }
        return types.SimpleNamespace(content=json.dumps(body).encode())


def sync(api: FakeInvoices, start_from: str | None = None) -> list[list[dict]]:
    """What the stream emits, one list per response."""
    paginator = UpdatedWindowPaginator(start_from, UPPER, "invoices")
    batches = []
    while not paginator.finished:
        response = api.get(paginator.current_value)
        batches.append(paginator.take(response))
        paginator.advance(response)
    return batches


def emitted(batches: list[list[dict]]) -> list[dict]:
    records = [record for batch in batches for record in batch]
    stamps = [record["updatedAt"] for record in records]
    assert stamps == sorted(stamps), "records must leave in updatedAt order (the bookmark relies on it)"
    return records


@pytest.mark.parametrize("to_inclusive", [True, False], ids=["To-inclusive", "To-exclusive"])
def test_records_on_a_window_bound_are_read_once_whatever_the_to_bound_means(to_inclusive) -> None:
    # Three invoices on every millisecond, so every window bound the tap picks falls on a tie; more sit
    # exactly on the run's start, where the last window ends and the chase begins.
    stamps = [T0 + k // 3 for k in range(3 * 1500)] + [epoch_us(UPPER) // 1000] * 7
    api = FakeInvoices(stamps, to_inclusive=to_inclusive)
    records = emitted(sync(api))
    assert len(api.tokens) > 3 * 1500 // 50  # really cut into several windows
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)) == len(stamps)


def test_an_invoice_changing_while_its_window_is_paged_makes_the_window_be_read_again() -> None:
    moved: list[str] = []

    def change_one_already_read(api: FakeInvoices, token: dict) -> None:
        if token["offset"] == 50 and not moved:  # page 1 of the window is read: move one of its invoices on
            first = min(api.updated, key=api.rank.get)
            api.updated[first] = epoch_us(UPPER) // 1000 + HOUR  # changed during the run ("now")
            moved.append(first)

    stamps = [T0 + k * 1000 for k in range(400)]  # one window of 8 pages
    api = FakeInvoices(stamps, before_page=change_one_already_read)
    records = emitted(sync(api))
    # Plain offsets would now skip the invoice that slid from page 2 onto page 1; the tap saw the count drop.
    assert any(token["attempt"] for token in api.tokens)
    by_id = {r["id"]: r for r in records}
    assert len(records) == len(by_id) == 400
    assert by_id[moved[0]]["updatedAt"] == iso(epoch_us(UPPER) // 1000 + HOUR)  # caught by the chase window


def test_pages_in_an_order_that_moves_between_requests_are_caught_by_counting_distinct_ids() -> None:
    def reshuffle(api: FakeInvoices, token: dict) -> None:
        order = sorted(api.updated)
        random.Random(len(api.tokens)).shuffle(order)  # no ORDER BY: each request sees another order
        api.rank = {invoice_id: k for k, invoice_id in enumerate(order)}

    api = FakeInvoices([T0 + k * 1000 for k in range(400)], before_page=reshuffle)
    records = emitted(sync(api))
    assert any(token["attempt"] for token in api.tokens)
    assert len({r["id"] for r in records}) == len(records) == 400


def test_more_invoices_in_one_millisecond_than_a_window_holds_are_emitted_page_by_page() -> None:
    burst = 2 * WINDOW_CAP + 300  # e.g. an export stamping them all in one transaction
    stamps = [T0 + k * 60_000 for k in range(300)] + [T0 + 150 * 60_000 + 1] * burst
    batches = sync(FakeInvoices(stamps))
    records = emitted(batches)
    assert len({r["id"] for r in records}) == len(records) == len(stamps)
    assert max(len(batch) for batch in batches) <= WINDOW_CAP  # never more than a window in memory


def office_hours_with_exports(n: int, seed: int) -> list[int]:
    """Invoices approved on weekdays around noon, plus exports stamping up to 300 at the same millisecond."""
    rng = random.Random(seed)
    stamps: list[int] = []
    while len(stamps) < n:
        day = T0 + rng.randrange(200) * 24 * HOUR
        if rng.random() < 0.004:
            stamps += [day + rng.randrange(8 * HOUR, 18 * HOUR)] * rng.randrange(10, 300)
        else:
            stamps.append(day + int(rng.gauss(13, 2.5) * HOUR) + rng.randrange(1000))
    return stamps[:n]


def test_a_first_sync_of_bunched_invoices_needs_about_one_request_per_50() -> None:
    stamps = office_hours_with_exports(5000, seed=11)
    api = FakeInvoices(stamps)
    records = emitted(sync(api))
    assert len({r["id"] for r in records}) == len(records) == 5000
    # plain offset paging needs 100; single-page windows sized for a page needed ~1,400 here
    assert len(api.tokens) <= 100 * 1.15


def test_first_sync_from_the_epoch_reads_each_invoice_once_in_about_one_request_per_50(
    candis_factory, tmp_path, tap
) -> None:
    candis = candis_factory(scale=3000)
    config = candis_config(candis, tmp_path)
    catalog = select_only(discover("tap-candis", config, tmp_path), "invoices")
    candis.clear_requests()
    run = tap(config, catalog=catalog)
    assert run.returncode == 0, run.stderr[-2000:]
    ids = [r["id"] for r in run.records("invoices")]
    assert len(ids) == len(set(ids)) == candis.ground_truth()["invoices"]["count"] == 3000
    requests = [r for r in candis.requests() if r["path"].endswith("/invoices")]
    assert len(requests) <= 3000 / 50 * 1.2  # 60 pages of 50; windows of one page each needed ~120
