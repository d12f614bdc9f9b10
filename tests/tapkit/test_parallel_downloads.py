"""Attachments in parallel (tapkit.prefetch): with `max_parallel_downloads` > 1 the downloads overlap on the
wire, yet the tap emits exactly the messages of a serial run, in the same order; a download that keeps failing
fails the run with one line naming the file, with neither its record nor its owner's, and a run resumed from
the last STATE delivers it."""

from __future__ import annotations

import contextlib
import importlib
import itertools
import typing as t
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sandbox.framework.latency import Delay, Latency
from sandbox.framework.server import serve_in_thread

from tests.candis.conftest import candis_config
from tests.findity.conftest import findity_config
from tests.helpers import Sandbox, TapRun, run_tap
from tests.ivesk.conftest import ivesk_config
from tests.pleo.conftest import pleo_config


@contextlib.contextmanager
def _served(provider: str, scale: int, latency: Latency) -> Iterator[Sandbox]:
    module = importlib.import_module(f"sandbox.{provider}")
    config = getattr(module, f"{provider.capitalize()}Config")(scale=scale)
    app = module.create_app(config)
    app.state.provider.latency = latency
    with serve_in_thread(app) as url:
        yield Sandbox(url)


def _config(provider: str, sandbox: Sandbox, tmp: Path, **overrides: t.Any) -> dict:
    if provider == "ivesk":
        return ivesk_config(sandbox, **overrides)
    if provider == "pleo":
        return pleo_config(sandbox, tmp, **overrides)
    if provider == "findity":
        return findity_config(sandbox, tmp, **overrides)
    return candis_config(sandbox, tmp, **overrides)


def _run(provider: str, sandbox: Sandbox, tmp: Path, workers: int, **kwargs: t.Any) -> TapRun:
    tmp.mkdir(parents=True, exist_ok=True)
    # one token store for the test's runs (Candis rotates the refresh token)
    config = _config(provider, sandbox, tmp.parent, files_dir=str(tmp / "files"), max_parallel_downloads=workers)
    return run_tap(f"tap-{provider}", config, tmp, **kwargs)


def _sequence(run: TapRun) -> list[t.Any]:
    """The run's RECORD and STATE messages in order, without what depends on the moment of the run."""
    out: list[t.Any] = []
    for message in run.messages:
        if message["type"] == "RECORD":
            out.append(("RECORD", message["stream"], _timeless(message["record"])))
        elif message["type"] == "STATE":
            out.append(("STATE", _timeless(message["value"])))
    return out


#: the moment a file was written and where, pre-signed URLs (signed when listed), the SDK's signposts
_MOMENTS = ("downloadedAt", "path", "url", "replication_key_signpost")


def _timeless(value: t.Any) -> t.Any:
    if isinstance(value, dict):
        return {k: _timeless(v) for k, v in value.items() if k not in _MOMENTS}
    if isinstance(value, list):
        return [_timeless(v) for v in value]
    return value


def _overlapping_downloads(sandbox: Sandbox, prefix: str, latency_s: float) -> int:
    """How many file requests began while the previous one had not yet been answered (the request log stamps
    a request when it arrives, before its round trip)."""
    starts = sorted(
        datetime.fromisoformat(r["ts"].replace("Z", "+00:00")).timestamp()
        for r in sandbox.requests()
        if prefix in r["path"]
    )
    return sum(1 for a, b in itertools.pairwise(starts) if b - a < latency_s / 2)


# Įvesk's PDFs and Pleo's receipts come from a pre-signed file host; Candis and Findity serve files from their
# API (every request delayed).
@pytest.mark.parametrize(
    ("provider", "scale", "prefix", "api_ms", "file_ms"),
    [
        ("ivesk", 40, "/documents/", 0, 100),
        ("pleo", 40, "/_files/receipts/", 0, 100),
        ("candis", 30, "/files/", 100, 100),
        ("findity", 40, "/basis", 100, 100),
    ],
)
def test_parallel_downloads_overlap_and_emit_what_a_serial_run_emits_in_its_order(
    provider: str, scale: int, prefix: str, api_ms: int, file_ms: int, tmp_path: Path
) -> None:
    with _served(provider, scale, Latency(api=Delay(api_ms), files=Delay(file_ms))) as sandbox:
        serial = _run(provider, sandbox, tmp_path / "serial", 1)
        serial_overlaps = _overlapping_downloads(sandbox, prefix, file_ms / 1000)
        sandbox.clear_requests()
        parallel = _run(provider, sandbox, tmp_path / "parallel", 8)
        overlaps = _overlapping_downloads(sandbox, prefix, file_ms / 1000)
    assert serial.returncode == 0 and parallel.returncode == 0, parallel.stderr[-2000:]
    assert len(serial.records("files")) >= 10
    assert _sequence(parallel) == _sequence(serial)
    assert serial_overlaps == 0
    assert overlaps >= 5  # the downloads really ran side by side


def test_a_download_that_keeps_failing_fails_the_run_naming_the_file_and_a_resumed_run_delivers_it(
    tmp_path: Path,
) -> None:
    with _served("ivesk", 40, Latency(files=Delay(20))) as sandbox:
        serial = _run("ivesk", sandbox, tmp_path / "serial", 1)
        files = serial.records("files")
        broken = files[len(files) // 2]
        sandbox.faults({"path": f"/{broken['id']}\\.pdf$", "kind": "drop", "times": None})
        failed = _run("ivesk", sandbox, tmp_path / "parallel", 8)
        assert failed.returncode != 0
        last_line = failed.stderr.strip().splitlines()[-1]
        assert f"{broken['id']}.pdf" in last_line
        assert broken["id"] not in {r["id"] for r in failed.records("files")}
        assert broken["id"] not in {r["id"] for r in failed.records("documents")}
        emitted_files = [r["id"] for r in failed.records("files")]
        assert emitted_files == [r["id"] for r in files[: len(emitted_files)]]  # in order, none past it

        sandbox.admin("DELETE", "/faults")
        resumed = run_tap(
            "tap-ivesk",
            _config("ivesk", sandbox, tmp_path, files_dir=str(tmp_path / "parallel" / "files")),
            tmp_path / "parallel",
            state=failed.state,
        )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    delivered = {r["id"] for r in failed.records("files")} | {r["id"] for r in resumed.records("files")}
    assert delivered == {r["id"] for r in files}
