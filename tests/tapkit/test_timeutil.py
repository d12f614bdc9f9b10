"""tapkit.timeutil: provider timestamps as sortable UTC text, and as the APIs take them."""

from __future__ import annotations

import datetime
import re

from tapkit.timeutil import parse_utc, to_api_ms, to_utc_iso, utc_now_seconds


def test_timestamps_normalise_to_sortable_utc() -> None:
    assert to_utc_iso("2024-05-01T12:00:00+02:00") == "2024-05-01T10:00:00.000000+00:00"
    assert to_utc_iso("2024-05-01T10:00:00.5Z") < to_utc_iso("2024-05-01T10:00:01Z")
    assert to_utc_iso(None) is None and to_utc_iso("") is None


def test_z_lower_case_z_offsets_naive_values_and_datetimes_all_parse_as_utc() -> None:
    expected = datetime.datetime(2020, 12, 18, 11, 52, 42, 313000, tzinfo=datetime.UTC)
    for value in (
        "2020-12-18T11:52:42.313Z",
        " 2020-12-18T11:52:42.313z ",
        "2020-12-18T13:52:42.313+02:00",
        "2020-12-18T11:52:42.313",
        datetime.datetime(2020, 12, 18, 11, 52, 42, 313000),
    ):
        assert parse_utc(value) == expected, value


def test_api_timestamps_are_utc_with_milliseconds() -> None:
    assert to_api_ms("2024-05-01T10:00:00.123456+00:00") == "2024-05-01T10:00:00.123Z"
    assert (
        to_api_ms(datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=2))))
        == "2024-05-01T10:00:00.000Z"
    )
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", utc_now_seconds())
