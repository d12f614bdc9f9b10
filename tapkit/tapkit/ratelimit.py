"""Proactive client-side rate limiting (rolling window), shared by all streams of a tap."""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
import typing as t


class RollingWindowLimiter:
    """Allow at most `limit` requests per `window` seconds, as the server counts them; shared by every thread.

    The server stamps a request when it arrives, which is some time after the client decided to send it
    (connection setup, a token refresh, a slow network). Stamping the slot at that decision would let the
    request that reuses it arrive a hair less than `window` after the first one — a 429 at every window
    boundary. So a slot taken with `slot()` counts as in flight (it cannot expire) until its response has
    arrived, and from then on for `window` seconds: a moment never earlier than the server's stamp. With
    concurrent workers that holds for every order in which their requests reach the server: whoever takes
    a slot counts every request of the server's window that took one before it. `acquire()` takes a slot
    stamped now (for a request that is not re-stamped). A thread waiting for a slot waits on a condition
    (it holds no lock while it waits, so responses keep freeing slots); a limit of 0 (or less) disables
    limiting. `sleep` (tests, with their own `clock`) replaces the waiting on the condition.
    """

    def __init__(self, limit: int, window: float = 60.0, *, clock=time.monotonic, sleep=None) -> None:
        self.limit = int(limit)
        self.window = float(window)
        self._clock = clock
        self._sleep = sleep
        # slot -> when its response arrived (None: in flight); insertion order = acquisition order
        self._calls: dict[int, float | None] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Condition(threading.Lock())
        self.waited = 0.0

    def acquire(self) -> float:
        """Block until a request is allowed; return the seconds waited."""
        key, waited = self._take()
        if key:
            self._release(key)
        return waited

    @contextlib.contextmanager
    def slot(self) -> t.Iterator[float]:
        """Hold a slot for one request (yields the seconds waited); it counts from the response's arrival."""
        key, waited = self._take()
        try:
            yield waited
        finally:
            if key:
                self._release(key)

    def _release(self, key: int) -> None:
        with self._lock:
            if key in self._calls:
                self._calls[key] = self._clock()
            self._lock.notify_all()

    def _take(self) -> tuple[int, float]:
        if self.limit <= 0:
            return 0, 0.0
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                for key in [k for k, used in self._calls.items() if used is not None and now - used >= self.window]:
                    del self._calls[key]
                if len(self._calls) < self.limit:
                    key = next(self._ids)
                    self._calls[key] = None
                    self.waited += waited
                    return key, waited
                arrived = [used for used in self._calls.values() if used is not None]
                # every slot in flight: wait for a response (then the window of its slot starts)
                pause = self.window - (now - min(arrived)) if arrived else None
                if self._sleep is None:
                    self._lock.wait(pause)
                    waited += self._clock() - now
                    continue
            self._sleep(pause or 0.0)
            waited += pause or 0.0
