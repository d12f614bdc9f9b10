"""Child reads in parallel (tapkit.prefetch.ChildReads): with `max_parallel_requests` > 1 the children that are
one request chain per parent record (Candis postings per export, Pleo job items per job, Findity packages per
export) are read side by side on the wire, yet the tap emits exactly the RECORD and STATE messages of a serial
run, in the same order; at the provider's budget over a jittery network no 429 is served; and a run killed
while reads are under way, resumed from its last STATE, loses nothing."""

from __future__ import annotations

import contextlib
import importlib
import itertools
import json
import re
import threading
import typing as t
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sandbox.framework.latency import Delay, Latency
from sandbox.framework.ratelimit import RollingWindowLimiter as ServerLimiter
from sandbox.framework.server import serve_in_thread
from tap_candis.tap import TapCandis
from tapkit.ratelimit import RollingWindowLimiter

from tests.candis.conftest import candis_config
from tests.findity.conftest import findity_config
from tests.helpers import Sandbox, TapRun, discover, run_tap, select_only
from tests.kill_campaign import key_sets, records_by_key
from tests.pleo.conftest import pleo_config
from tests.tapkit.test_parallel_downloads import _sequence, _timeless

#: per provider: sandbox scale, and the path of a child read (group 1: the parent's id)
CHILD_READS = {
    "candis": (200, re.compile(r"/exports/([^/]+)/postings$")),
    "pleo": (300, re.compile(r"/v3/export-jobs/([^/]+)/items$")),
    "findity": (40, re.compile(r"/exports/([^/]+)/export$")),
}
#: the field naming the parent in each provider's child records
PARENT_FIELD = {"candis": "exportId", "pleo": "exportJobId", "findity": "exportId"}
PARENT = {"candis": "exports", "pleo": "export_jobs", "findity": "exports"}
CHILDREN = {
    "candis": ("postings", "failed_postings"),
    "pleo": ("export_job_items", "export_items"),
    "findity": ("vouchers", "voucher_rows"),
}
LATENCY_MS = 80


@contextlib.contextmanager
def _served(provider: str, latency: Latency) -> Iterator[Sandbox]:
    module = importlib.import_module(f"sandbox.{provider}")
    options: dict[str, t.Any] = {"scale": CHILD_READS[provider][0], "rate_limit": 0}
    app = module.create_app(getattr(module, f"{provider.capitalize()}Config")(**options))
    app.state.provider.latency = latency
    with serve_in_thread(app) as url:
        yield Sandbox(url)


def _config(provider: str, sandbox: Sandbox, tmp: Path, workers: int) -> dict:
    if provider == "pleo":
        config = pleo_config(sandbox, tmp)
    elif provider == "findity":
        config = findity_config(sandbox, tmp)
    else:
        config = candis_config(sandbox, tmp, max_requests_per_minute=0)
    return config | {"max_parallel_requests": workers}


def _run(provider: str, sandbox: Sandbox, tmp: Path, workers: int, **kwargs: t.Any) -> TapRun:
    """A run of the parents and their children only (the other streams make no child reads)."""
    tmp.mkdir(parents=True, exist_ok=True)
    # one token store and manifest directory for the test's runs (Candis rotates the refresh token)
    config = _config(provider, sandbox, tmp.parent, workers)
    if provider not in _CATALOGS:
        catalog = discover(f"tap-{provider}", config, tmp)
        _CATALOGS[provider] = select_only(catalog, PARENT[provider], *CHILDREN[provider])
    return run_tap(f"tap-{provider}", config, tmp, catalog=_CATALOGS[provider], **kwargs)


_CATALOGS: dict[str, dict] = {}


def _child_reads(provider: str, entries: list[dict]) -> list[tuple[float, str]]:
    """(arrival, parent id) of every child read the sandbox served, in arrival order."""
    pattern = CHILD_READS[provider][1]
    found = []
    for entry in entries:
        match = pattern.search(entry["path"])
        if match and entry["method"] == "GET":
            found.append((datetime.fromisoformat(entry["ts"].replace("Z", "+00:00")).timestamp(), match.group(1)))
    return sorted(found)


def _overlapping(reads: list[tuple[float, str]], latency_ms: float) -> int:
    """How many child reads arrived while the one before them cannot have been answered yet."""
    return sum(1 for (a, _), (b, _) in itertools.pairwise(reads) if b - a < latency_ms / 2000)


class _CountingLimiter(RollingWindowLimiter):
    """The tap's limiter, counting the most slots held at once by the child-read workers (their requests in
    flight; the workers' threads are named `read_…`)."""

    def __init__(self, limit: int, window: float) -> None:
        super().__init__(limit, window)
        self.in_flight = self.most_in_flight = 0
        self._count = threading.Lock()

    @contextlib.contextmanager
    def slot(self) -> Iterator[float]:
        if not threading.current_thread().name.startswith("read"):
            with super().slot() as waited:
                yield waited
            return
        with super().slot() as waited:
            with self._count:
                self.in_flight += 1
                self.most_in_flight = max(self.most_in_flight, self.in_flight)
            try:
                yield waited
            finally:
                with self._count:
                    self.in_flight -= 1


@pytest.mark.parametrize("provider", sorted(CHILD_READS))
def test_parallel_child_reads_overlap_and_emit_what_a_serial_run_emits_in_its_order(
    provider: str, tmp_path: Path
) -> None:
    with _served(provider, Latency(api=Delay(LATENCY_MS))) as sandbox:
        serial = _run(provider, sandbox, tmp_path / "serial", 1)
        serial_reads = _child_reads(provider, sandbox.requests())
        sandbox.clear_requests()
        parallel = _run(provider, sandbox, tmp_path / "parallel", 8)
        parallel_reads = _child_reads(provider, sandbox.requests())
    assert serial.returncode == 0, serial.stderr[-2000:]
    assert parallel.returncode == 0, parallel.stderr[-2000:]
    assert sum(len(serial.records(s)) for s in CHILDREN[provider]) >= 30
    assert _sequence(parallel) == _sequence(serial)
    # the same reads, none twice, yet side by side
    assert sorted(p for _, p in parallel_reads) == sorted(p for _, p in serial_reads)
    assert len(serial_reads) >= 4
    assert _overlapping(serial_reads, LATENCY_MS) == 0
    assert _overlapping(parallel_reads, LATENCY_MS) >= 3


def test_eight_parallel_reads_at_the_budget_never_get_a_429_with_latency_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    budget, window = 5, 1.0  # requests per window, the server's and the tap's (Candis's is 500 a minute)
    module = importlib.import_module("sandbox.candis")
    app = module.create_app(module.CandisConfig(scale=CHILD_READS["candis"][0], rate_limit=budget))
    provider = app.state.provider
    provider.limiter = ServerLimiter(window=window)
    provider.latency = Latency(api=Delay(60, 55), seed=11)  # 5-115 ms: arrivals overtake one another
    with serve_in_thread(app) as url:
        sandbox = Sandbox(url)
        config = candis_config(sandbox, tmp_path, max_requests_per_minute=budget, max_parallel_requests=8)
        tap = TapCandis(config=config)
        tap.__dict__["rate_limiter"] = limiter = _CountingLimiter(budget, window)  # the tap-wide limiter
        tap.sync_all()
        served = sandbox.requests()
    messages = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert any(m["type"] == "RECORD" and m["stream"] == "postings" for m in messages)
    statuses = [entry["status"] for entry in served]
    assert statuses.count(429) == 0, f"{statuses.count(429)} of {len(statuses)} requests got 429"
    assert limiter.waited > 0  # the budget was reached: the reads waited for slots
    assert len(_child_reads("candis", served)) >= 4
    assert limiter.most_in_flight >= 2  # child reads were sent side by side


@pytest.mark.parametrize("provider", sorted(CHILD_READS))
def test_a_run_killed_while_child_reads_are_under_way_loses_nothing_when_resumed(provider: str, tmp_path: Path) -> None:
    with _served(provider, Latency(api=Delay(20))) as sandbox:
        truth = _run(provider, sandbox, tmp_path / "truth", 1)
        assert truth.returncode == 0, truth.stderr[-2000:]
        parents = [p for _, p in _child_reads(provider, sandbox.requests())]
        assert len(parents) >= 4
        # the third parent's read hangs; the run is killed at the first record of the second parent's children,
        # while the third is held on the wire and the later ones were read ahead
        field = PARENT_FIELD[provider]
        ordered = [m for m in truth.messages if m["type"] == "RECORD"]
        second = next(i for i, m in enumerate(ordered) if m["record"].get(field) == parents[1])
        pattern = CHILD_READS[provider][1].pattern.replace("([^/]+)", re.escape(parents[2]))
        sandbox.faults({"path": pattern, "kind": "slow", "delay": 3, "times": None})
        sandbox.clear_requests()
        killed = _run(provider, sandbox, tmp_path / "killed", 8, stop_after_records=second + 1)
        read_while_killed = {p for _, p in _child_reads(provider, sandbox.requests())}
        sandbox.admin("DELETE", "/faults")
        resumed = _run(provider, sandbox, tmp_path / "resumed", 8, state=killed.state)
    assert killed.returncode == -9
    assert read_while_killed & set(parents[3:])  # reads of later parents were under way when it was killed
    assert not {m["record"].get(field) for m in killed.messages if m["type"] == "RECORD"} & set(parents[2:])
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    delivered = key_sets([killed, resumed])
    assert delivered == key_sets([truth])  # every record of the ground truth, once per key
    latest = records_by_key([killed, resumed])
    for stream, records in records_by_key([truth]).items():
        assert {k: _timeless(r) for k, r in latest[stream].items()} == {k: _timeless(r) for k, r in records.items()}


@pytest.mark.parametrize("value", [0, -2])
def test_a_bad_max_parallel_requests_fails_with_one_line(value: t.Any, tmp_path: Path) -> None:
    config = candis_config(Sandbox("http://127.0.0.1:9"), tmp_path, max_parallel_requests=value)
    run = run_tap("tap-candis", config, tmp_path)
    assert run.returncode == 1
    assert run.stderr.strip().splitlines()[-1] == (
        f"tap-candis: error: max_parallel_requests {value!r} must be an integer >= 1 (1 reads one child at a time)"
    )
