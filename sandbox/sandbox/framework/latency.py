"""Network latency an emulator adds to every request, so tests and benchmarks see a real network's round trip.

Two delays: ``api`` for the provider's API (token endpoints included) and ``files`` for its pre-signed file
host (Pleo receipts, Įvesk PDFs and uploads: the paths a provider's ``file_prefixes`` name). Each is
``ms`` plus a jitter drawn uniformly from ``[-jitter_ms, +jitter_ms]`` (never below 0) by a generator seeded
from the data seed, so a run's sequence of delays is reproducible. Half of the delay passes before the
request is handled (the request travelling), half before the response starts (the answer travelling); both
halves are ``await asyncio.sleep``, so a delayed request never holds up the emulator's other requests.
Admin requests (``/_sandbox/...``) are never delayed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Delay:
    ms: float = 0.0
    jitter_ms: float = 0.0

    @classmethod
    def parse(cls, text: str) -> Delay:
        """``MS`` or ``MS:JITTER_MS`` (numbers >= 0, milliseconds). Raises ValueError in words."""
        ms, _, jitter = text.partition(":")
        try:
            delay = cls(float(ms), float(jitter) if jitter else 0.0)
        except ValueError:
            raise ValueError(f"latency {text!r} must be MS or MS:JITTER_MS (milliseconds)") from None
        if delay.ms < 0 or delay.jitter_ms < 0 or delay.ms != delay.ms or delay.jitter_ms != delay.jitter_ms:
            raise ValueError(f"latency {text!r}: milliseconds must be numbers >= 0")
        return delay

    def __bool__(self) -> bool:
        return self.ms > 0 or self.jitter_ms > 0

    def __str__(self) -> str:
        return f"{self.ms:g} ms" + (f" ± {self.jitter_ms:g} ms" if self.jitter_ms else "")


@dataclass
class Latency:
    """The delays of one emulator (``provider.latency``). ``Latency()`` adds none."""

    api: Delay = field(default_factory=Delay)
    files: Delay = field(default_factory=Delay)
    seed: int = 42
    _random: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._random = random.Random(f"latency:{self.seed}")

    def __bool__(self) -> bool:
        return bool(self.api) or bool(self.files)

    def seconds(self, *, file: bool) -> float:
        """The next round trip's delay in seconds (the event loop is one thread: no lock needed)."""
        delay = self.files if file else self.api
        if not delay:
            return 0.0
        jitter = self._random.uniform(-delay.jitter_ms, delay.jitter_ms) if delay.jitter_ms else 0.0
        return max(0.0, delay.ms + jitter) / 1000.0

    def view(self) -> dict[str, float]:
        return {
            "latency_ms": self.api.ms,
            "latency_jitter_ms": self.api.jitter_ms,
            "file_latency_ms": self.files.ms,
            "file_latency_jitter_ms": self.files.jitter_ms,
        }
