"""Timestamps as records and bookmarks hold them, and as the provider APIs take them."""

from __future__ import annotations

import datetime
import typing as t

UTC = datetime.UTC


def parse_utc(value: str | datetime.datetime) -> datetime.datetime:
    """A provider timestamp (ISO 8601 text with `Z`, `z` or an offset, or a datetime; UTC if none) as an
    aware UTC datetime."""
    if isinstance(value, datetime.datetime):
        moment = value
    else:
        moment = datetime.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def to_utc_iso(value: t.Any) -> str | None:
    """A provider timestamp as UTC ISO 8601 with microseconds (what records and bookmarks hold; sortable as
    text), or None for an empty value."""
    if value in (None, ""):
        return None
    return parse_utc(value).isoformat(timespec="microseconds")


def to_api_ms(value: str | datetime.datetime) -> str:
    """A timestamp the way the APIs take them in filters (Candis, Pleo, Įvesk): UTC, milliseconds, `Z`."""
    moment = parse_utc(value)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def utc_now_seconds() -> str:
    """Now, in UTC to the second with `Z` (what write-backs report as the time of the export)."""
    return datetime.datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
