"""Proactive client-side rate limiting (rolling window), shared by all streams of a tap."""

from __future__ import annotations

import collections
import threading
import time


class RollingWindowLimiter:
    """Allow at most `limit` calls per `window` seconds; `acquire()` sleeps until a slot frees.

    A limit of 0 (or less) disables limiting.
    """

    def __init__(self, limit: int, window: float = 60.0, *, clock=time.monotonic, sleep=time.sleep) -> None:
        self.limit = int(limit)
        self.window = float(window)
        self._clock = clock
        self._sleep = sleep
        self._calls: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()
        self.waited = 0.0

    def acquire(self) -> float:
        """Block until a call is allowed; return the seconds waited."""
        if self.limit <= 0:
            return 0.0
        waited = 0.0
        with self._lock:
            while True:
                now = self._clock()
                while self._calls and now - self._calls[0] >= self.window:
                    self._calls.popleft()
                if len(self._calls) < self.limit:
                    self._calls.append(now)
                    self.waited += waited
                    return waited
                pause = self.window - (now - self._calls[0])
                self._sleep(pause)
                waited += pause
