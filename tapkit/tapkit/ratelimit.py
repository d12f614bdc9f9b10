"""Proactive client-side rate limiting (rolling window), shared by all streams of a tap."""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
import typing as t


class RollingWindowLimiter:
    """Allow at most `limit` requests per `window` seconds, as the server counts them.

    The server stamps a request when it arrives, which is some time after the client decided to send it
    (connection setup, a token refresh, a slow network). Stamping the slot at that decision would let the
    request that reuses it arrive a hair less than `window` after the first one — a 429 at every window
    boundary. So a slot taken with `slot()` is re-stamped when the response has arrived, a moment that is
    never earlier than the server's stamp. `acquire()` sleeps until a slot is free. A limit of 0 (or less)
    disables limiting.
    """

    def __init__(self, limit: int, window: float = 60.0, *, clock=time.monotonic, sleep=time.sleep) -> None:
        self.limit = int(limit)
        self.window = float(window)
        self._clock = clock
        self._sleep = sleep
        self._calls: dict[int, float] = {}  # slot -> when it was used (insertion order = acquisition order)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.waited = 0.0

    def acquire(self) -> float:
        """Block until a request is allowed; return the seconds waited."""
        return self._take()[1]

    @contextlib.contextmanager
    def slot(self) -> t.Iterator[float]:
        """Hold a slot for one request (yields the seconds waited); it counts from the response's arrival."""
        key, waited = self._take()
        try:
            yield waited
        finally:
            if key:
                with self._lock:
                    if key in self._calls:
                        self._calls[key] = self._clock()

    def _take(self) -> tuple[int, float]:
        if self.limit <= 0:
            return 0, 0.0
        waited = 0.0
        with self._lock:
            while True:
                now = self._clock()
                for key in [k for k, used in self._calls.items() if now - used >= self.window]:
                    del self._calls[key]
                if len(self._calls) < self.limit:
                    key = next(self._ids)
                    self._calls[key] = now
                    self.waited += waited
                    return key, waited
                pause = self.window - (now - min(self._calls.values()))
                self._sleep(pause)
                waited += pause
