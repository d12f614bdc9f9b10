"""Unit tests of the tricky pieces: money, Retry-After, rate limiter, token store, timestamps."""

from __future__ import annotations

import datetime
import decimal
import email.utils

import pytest
import requests

from tap_candis.client import api_time, to_utc_iso
from tap_candis.money import add_reimbursement_minor_units
from tapkit.http import retry_after_seconds
from tapkit.money import to_minor
from tapkit.ratelimit import RollingWindowLimiter
from tapkit.token_store import RefreshTokenStore


def test_minor_units_are_exact_and_refuse_to_round() -> None:
    assert to_minor(decimal.Decimal("0.1") + decimal.Decimal("0.2"), "EUR") == 30
    assert to_minor(decimal.Decimal("1234567890123.45"), "EUR") == 123456789012345
    assert to_minor(5, "JPY") == 5
    with pytest.raises(ValueError, match="more than 2 decimal places"):
        to_minor(decimal.Decimal("1.005"), "EUR")


def test_reimbursement_amounts_in_minor_units_with_precision_or_major_without() -> None:
    with_precision = {"totalAmount": {"amount": 10000, "currency": "EUR", "precision": 2}, "bookings": []}
    add_reimbursement_minor_units(with_precision)
    assert with_precision["totalAmount"]["amountMinor"] == 10000
    assert with_precision["totalAmount"]["amountMajor"] == decimal.Decimal("100.00")
    bare = {"totalAmount": {"amount": decimal.Decimal("27.84"), "currency": "EUR"},
            "bookings": [{"amount": decimal.Decimal("27.84")}]}
    add_reimbursement_minor_units(bare)
    assert bare["totalAmount"]["amountMinor"] == 2784
    assert bare["bookings"][0]["amountMinor"] == 2784


def _response(retry_after: str) -> requests.Response:
    response = requests.Response()
    response.headers["Retry-After"] = retry_after
    return response


def test_retry_after_seconds_and_http_date() -> None:
    now = datetime.datetime(2026, 1, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)
    assert retry_after_seconds(_response("7")) == 7.0
    date = email.utils.format_datetime(now + datetime.timedelta(seconds=30), usegmt=True)
    assert retry_after_seconds(_response(date), now=now) == 30.0
    assert retry_after_seconds(_response("garbage")) is None


def test_rate_limiter_waits_for_the_oldest_call_to_leave_the_window() -> None:
    clock = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    limiter = RollingWindowLimiter(3, 60, clock=lambda: clock[0], sleep=sleep)
    for _ in range(3):
        assert limiter.acquire() == 0.0
        clock[0] += 1
    assert limiter.acquire() == pytest.approx(57.0)
    assert slept == [pytest.approx(57.0)]


def test_token_store_prefers_rotated_token_unless_config_has_a_new_authorization(tmp_path) -> None:
    store = RefreshTokenStore(tmp_path, token_url="https://id/token", client_id="c")
    assert store.load("first") == "first"
    store.save("rotated-1", "first")
    assert store.load("first") == "rotated-1"
    assert store.load("re-authorized") == "re-authorized"
    assert oct(store.path.stat().st_mode & 0o777) == "0o600"
    assert not list(tmp_path.glob(".tok-*"))


def test_timestamps_normalise_to_sortable_utc() -> None:
    assert to_utc_iso("2024-05-01T12:00:00+02:00") == "2024-05-01T10:00:00.000000+00:00"
    assert to_utc_iso("2024-05-01T10:00:00.5Z") < to_utc_iso("2024-05-01T10:00:01Z")
    assert api_time("2024-05-01T10:00:00.123456+00:00") == "2024-05-01T10:00:00.123Z"
