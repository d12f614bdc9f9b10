"""tapkit.timeutil: provider timestamps as sortable UTC text."""

from __future__ import annotations

from tapkit.timeutil import to_utc_iso


def test_timestamps_normalise_to_sortable_utc() -> None:
    assert to_utc_iso("2024-05-01T12:00:00+02:00") == "2024-05-01T10:00:00.000000+00:00"
    assert to_utc_iso("2024-05-01T10:00:00.5Z") < to_utc_iso("2024-05-01T10:00:01Z")
