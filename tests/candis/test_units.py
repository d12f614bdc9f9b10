"""Unit tests of tap-candis's own tricky pieces: reimbursement money, where the exports list stops.

The shared pieces (money, Retry-After, rate limiter, token store, UTC timestamps) are tested in tests/tapkit/."""

from __future__ import annotations

import decimal
import json
import types

from tap_candis.money import add_reimbursement_minor_units
from tap_candis.pagination import ExportsPaginator


def test_reimbursement_amounts_in_minor_units_with_precision_or_major_without() -> None:
    with_precision = {"totalAmount": {"amount": 10000, "currency": "EUR", "precision": 2}, "bookings": []}
    add_reimbursement_minor_units(with_precision)
    assert with_precision["totalAmount"]["amountMinor"] == 10000
    assert with_precision["totalAmount"]["amountMajor"] == decimal.Decimal("100.00")
    bare = {
        "totalAmount": {"amount": decimal.Decimal("27.84"), "currency": "EUR"},
        "bookings": [{"amount": decimal.Decimal("27.84")}],
    }
    add_reimbursement_minor_units(bare)
    assert bare["totalAmount"]["amountMinor"] == 2784
    assert bare["bookings"][0]["amountMinor"] == 2784


def exports_page(*created: str, total: int) -> types.SimpleNamespace:
    body = {"exports": [{"id": c, "createdAt": c} for c in created], "pagination": {"totalCount": total}}
    return types.SimpleNamespace(content=json.dumps(body).encode())


def test_a_newest_first_export_list_is_read_only_down_to_the_bookmark() -> None:
    pages = ExportsPaginator("2026-02-01T00:00:00.000000+00:00")
    pages.advance(exports_page("2026-03-02T00:00:00Z", "2026-03-01T00:00:00Z", total=4))
    assert pages.current_value == 2
    pages.advance(exports_page("2026-02-01T00:00:00Z", "2026-01-01T00:00:00Z", total=4))
    assert pages.finished


def test_an_oldest_first_export_list_is_read_to_the_end() -> None:
    pages = ExportsPaginator("2026-02-01T00:00:00.000000+00:00")
    pages.advance(exports_page("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", total=4))
    assert not pages.finished and pages.current_value == 2
    pages.advance(exports_page("2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z", total=4))
    assert pages.finished  # every export was listed


def test_without_a_bookmark_every_page_is_read() -> None:
    pages = ExportsPaginator(None)
    pages.advance(exports_page("2026-03-02T00:00:00Z", "2026-03-01T00:00:00Z", total=3))
    assert not pages.finished and pages.current_value == 2
