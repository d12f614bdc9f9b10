"""Time as integer milliseconds since the Unix epoch (UTC), with ISO 8601 formatting and parsing.

Integers keep comparisons, bisection and arithmetic exact and cheap; datetimes only appear at the edges.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from email.utils import formatdate

UTC = UTC
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SECOND_MS = 1000
MINUTE_MS = 60 * SECOND_MS
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_ms(dt: datetime) -> int:
    """Aware datetime -> epoch milliseconds (naive datetimes are taken as UTC)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return (dt - EPOCH) // timedelta(milliseconds=1)


def ms_of(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    return to_ms(datetime(year, month, day, hour, minute, second, tzinfo=UTC))


def day_floor(ms: int) -> int:
    return ms - ms % DAY_MS


def iso_ms(ms: int) -> str:
    """``2024-01-31T13:45:10.123Z`` (JavaScript ``toISOString`` style, as JS backends send it)."""
    seconds, millis = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def iso_s(ms: int) -> str:
    """``2024-01-31T13:45:10Z`` (whole seconds, as in the vendor samples for business dates)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms // 1000))


def iso_date(ms: int) -> str:
    """``2024-01-31``."""
    return time.strftime("%Y-%m-%d", time.gmtime(ms // 1000))


def http_date(epoch_seconds: float) -> str:
    """RFC 7231 IMF-fixdate, e.g. for ``Retry-After``."""
    return formatdate(epoch_seconds, usegmt=True)


_ISO_RE = re.compile(
    r"""^(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})
        (?:[T ](?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<frac>\d{1,9}))?)?
           (?P<tz>Z|z|[+-]\d{2}(?::?\d{2})?)?)?$""",
    re.VERBOSE,
)


def parse_iso8601(text: str, *, end_of_day: bool = False) -> int:
    """Parse an ISO 8601 date or date-time into epoch milliseconds.

    Accepts ``2024-01-31``, ``2024-01-31T10:00:00Z``, ``…T10:00:00.123Z``, ``…T10:00:00+02:00`` and
    ``…T10:00:00`` (no offset: taken as UTC). A date without a time is midnight UTC, or, with
    ``end_of_day=True`` (for inclusive ``…To`` bounds), the last millisecond of that day.
    Fractions beyond milliseconds are truncated. Raises ``ValueError`` on anything else.
    """
    m = _ISO_RE.match(text.strip()) if isinstance(text, str) else None
    if not m:
        raise ValueError(f"not an ISO 8601 date: {text!r}")
    g = m.groupdict()
    try:
        base = datetime(int(g["y"]), int(g["mo"]), int(g["d"]), tzinfo=UTC)
    except ValueError as exc:
        raise ValueError(f"not a valid date: {text!r}") from exc
    if g["h"] is None:
        ms = to_ms(base)
        return ms + DAY_MS - 1 if end_of_day else ms
    hour, minute, second = int(g["h"]), int(g["mi"]), int(g["s"] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"not a valid time: {text!r}")
    frac = (g["frac"] or "").ljust(3, "0")[:3]
    ms = to_ms(base) + hour * HOUR_MS + minute * MINUTE_MS + second * SECOND_MS + int(frac or 0)
    tz = g["tz"]
    if tz and tz not in ("Z", "z"):
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        off_h, off_m = int(digits[:2]), int(digits[2:4] or 0)
        if off_h > 23 or off_m > 59:
            raise ValueError(f"not a valid offset: {text!r}")
        ms -= sign * (off_h * HOUR_MS + off_m * MINUTE_MS)
    return ms
