"""Timestamps as records and bookmarks hold them."""

from __future__ import annotations

import datetime
import typing as t


def to_utc_iso(value: t.Any) -> str | None:
    """A provider timestamp (ISO 8601 text or a datetime; UTC if no offset) as UTC ISO 8601 with
    microseconds (sortable as text), or None for an empty value."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        moment = value
    else:
        moment = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc).isoformat(timespec="microseconds")
