"""A rolling-window rate limiter keyed by organization (or whatever key the provider chooses)."""

from __future__ import annotations

import math
from collections import defaultdict, deque


class RollingWindowLimiter:
    """At most ``limit`` accepted requests per key in any ``window`` seconds.

    Rejected requests do not take a slot. ``check`` answers ``None`` (accepted, slot taken) or the whole
    number of seconds (>= 1) until the oldest slot in the window frees up, for ``Retry-After``.
    """

    def __init__(self, window: float = 60.0) -> None:
        self.window = window
        self._hits: dict[str, deque[float]] = defaultdict(deque)

    def check(self, key: str, limit: int, now: float) -> int | None:
        if limit <= 0:
            return None
        hits = self._hits[key]
        horizon = now - self.window
        while hits and hits[0] <= horizon:
            hits.popleft()
        if len(hits) >= limit:
            return max(1, math.ceil(hits[len(hits) - limit] + self.window - now))
        hits.append(now)
        return None

    def clear(self) -> None:
        self._hits.clear()
