"""A kill campaign: run a tap, SIGKILL it after k records, resume from the last STATE it emitted, repeat until
a run completes; then what the runs delivered together (distinct keys per stream) and what it cost (the
duplicate ratio: records received / distinct keys).

The kill points are seeded (`kill_points`), so a campaign is the same on every run of the suite. The keys are
the streams' own `key_properties`, read from the SCHEMA messages, so the helper needs no list per tap and
compares records by key only (fields a tap adds later change nothing here).
"""

from __future__ import annotations

import dataclasses
import random
import typing as t
from collections import Counter

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from tests.helpers import TapRun

Key = tuple[t.Any, ...]


def kill_points(seed: int, kills: int, records: int) -> list[int]:
    """`kills` seeded kill points (records emitted before the SIGKILL), each in [1, records // kills): their sum
    stays below `records`, so a resumed tap that does not start over is killed every time."""
    rng = random.Random(seed)
    span = max(2, records // kills)
    return [rng.randrange(1, span) for _ in range(kills)]


def schema_keys(runs: Iterable[TapRun]) -> dict[str, tuple[str, ...]]:
    """The key properties of every stream the runs described (SCHEMA messages)."""
    keys: dict[str, tuple[str, ...]] = {}
    for run in runs:
        for message in run.messages:
            if message["type"] == "SCHEMA":
                keys[message["stream"]] = tuple(message.get("key_properties") or ())
    return keys


def records_by_key(runs: Iterable[TapRun]) -> dict[str, dict[Key, dict]]:
    """Per stream, the last record the runs delivered for each key."""
    runs = list(runs)
    keys = schema_keys(runs)
    out: dict[str, dict[Key, dict]] = {}
    for run in runs:
        for message in run.messages:
            if message["type"] == "RECORD":
                record = message["record"]
                key = tuple(record.get(k) for k in keys.get(message["stream"], ()))
                out.setdefault(message["stream"], {})[key] = record
    return out


def key_sets(runs: Iterable[TapRun]) -> dict[str, set[Key]]:
    return {stream: set(found) for stream, found in records_by_key(runs).items()}


@dataclasses.dataclass
class Campaign:
    """What a kill campaign's runs delivered, and at what cost."""

    tap: str
    runs: list[TapRun]
    kills: list[int]  # records each killed run emitted before its SIGKILL

    @property
    def received(self) -> Counter[str]:
        return Counter(m["stream"] for run in self.runs for m in run.messages if m["type"] == "RECORD")

    @property
    def keys(self) -> dict[str, set[Key]]:
        return key_sets(self.runs)

    @property
    def latest(self) -> dict[str, dict[Key, dict]]:
        return records_by_key(self.runs)

    def ratio(self, stream: str | None = None) -> float:
        """Records received / distinct keys, of one stream or of all of them."""
        keys, received = self.keys, self.received
        streams = [stream] if stream else list(keys)
        distinct = sum(len(keys.get(s, ())) for s in streams)
        return sum(received[s] for s in streams) / distinct if distinct else 1.0

    def missing(self, expected: Mapping[str, set[Key]]) -> dict[str, set[Key]]:
        """The expected keys no run delivered, per stream (empty when nothing was lost)."""
        keys = self.keys
        gaps = {stream: want - keys.get(stream, set()) for stream, want in expected.items()}
        return {stream: gap for stream, gap in gaps.items() if gap}

    def summary(self) -> str:
        """One line for the test log: the kills and the duplicate ratio, overall and per stream."""
        received, keys = self.received, self.keys
        streams = ", ".join(f"{s} {self.ratio(s):.2f}" for s in sorted(keys))
        return (
            f"{self.tap}: {len(self.kills)} kill(s) after {self.kills} records, {len(self.runs)} runs, "
            f"{sum(received.values())} records for {sum(len(v) for v in keys.values())} keys: duplicate ratio "
            f"{self.ratio():.2f} ({streams})"
        )


def run_campaign(
    tap: str,
    run: Callable[..., TapRun],
    kills: Sequence[int],
    *,
    state: dict | None = None,
    between: Callable[[int], None] | None = None,
    resume_from_state: bool = True,
) -> Campaign:
    """`run(state=..., stop_after_records=k)` once per kill point, each killed run's successor starting from the
    last STATE emitted so far (`resume_from_state`; else every run starts from `state`: a rerun), then once to
    the end. `between(i)` runs after the i-th killed run, before its successor (e.g. data changing in the
    provider). Stops early if a run completes before its kill point. The last run must succeed."""
    runs: list[TapRun] = []
    done: list[int] = []
    current = state
    for i, k in enumerate(kills):
        killed = run(state=current, stop_after_records=k)
        runs.append(killed)
        if killed.returncode == 0:  # finished before the kill point
            return Campaign(tap, runs, done)
        assert killed.returncode == -9, killed.stderr[-2000:]
        done.append(k)
        if resume_from_state and killed.state is not None:
            current = killed.state
        if between is not None:
            between(i)
    last = run(state=current)
    assert last.returncode == 0, last.stderr[-2000:]
    runs.append(last)
    return Campaign(tap, runs, done)
