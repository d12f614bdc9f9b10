"""Latency: every API request and, separately, every request to the pre-signed file host answers a round trip
later, without holding up the emulator's other requests; the jitter is reproducible from the seed."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sandbox.cli import build_parser
from sandbox.framework.latency import Delay, Latency
from sandbox.framework.server import serve_in_thread
from sandbox.ivesk import IveskConfig
from sandbox.ivesk import create_app as ivesk_app
from sandbox.pleo import PleoConfig
from sandbox.pleo import create_app as pleo_app
from sandbox.pleo.config import FILE_PREFIX

LATENCY_MS = 400
CONCURRENT = 8


def _timed_get(url: str) -> float:
    started = time.monotonic()
    with requests.get(url, timeout=30) as response:
        response.content  # noqa: B018 - read the whole answer before the clock stops
    return time.monotonic() - started


def test_concurrent_requests_wait_one_round_trip_together_not_one_after_another() -> None:
    app = pleo_app(PleoConfig(rate_limit=0))
    app.state.provider.latency = Latency(api=Delay(LATENCY_MS))
    with serve_in_thread(app) as base, ThreadPoolExecutor(CONCURRENT) as pool:
        _timed_get(f"{base}/v3/export-jobs")  # a warm connection pool is not what is measured
        started = time.monotonic()
        each = list(pool.map(_timed_get, [f"{base}/v3/export-jobs"] * CONCURRENT))
        together = time.monotonic() - started
    assert min(each) >= LATENCY_MS / 1000  # every request waited its round trip ...
    assert together < CONCURRENT * LATENCY_MS / 1000 / 2  # ... at the same time as the others (serial: N x L)


def test_file_host_has_its_own_latency() -> None:
    app = pleo_app(PleoConfig(rate_limit=0))
    app.state.provider.latency = Latency(api=Delay(0), files=Delay(LATENCY_MS))
    with serve_in_thread(app) as base:
        assert _timed_get(f"{base}{FILE_PREFIX}nope?X-Amz-Signature=x") >= LATENCY_MS / 1000
    provider = app.state.provider
    assert provider.is_file_request({"path": f"{FILE_PREFIX}r-1"})
    assert not provider.is_file_request({"path": "/v3/export-jobs"})
    assert provider.latency.seconds(file=False) == 0.0
    assert provider.latency.seconds(file=True) == LATENCY_MS / 1000


def test_ivesk_pdfs_and_uploads_are_file_host_requests() -> None:
    provider = ivesk_app(IveskConfig(scale=1)).state.provider
    assert provider.is_file_request({"path": "/documents/123/ab1/9.pdf"})
    assert provider.is_file_request({"path": "/public/key"})
    assert not provider.is_file_request({"path": "/exported"})


def test_jitter_is_reproducible_from_the_seed_and_stays_in_its_band() -> None:
    def draws(seed: int) -> list[float]:
        latency = Latency(api=Delay(150, 50), seed=seed)
        return [latency.seconds(file=False) for _ in range(200)]

    first = draws(7)
    assert first == draws(7)
    assert first != draws(8)
    assert all(0.1 <= s <= 0.2 for s in first)
    assert max(first) - min(first) > 0.05  # it does jitter
    assert Latency(api=Delay(10, 50)).seconds(file=False) >= 0.0  # never below zero


def test_serve_takes_latency_flags_and_refuses_malformed_ones(capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(["serve", "--latency", "150:20", "--file-latency", "300"])
    assert args.latency == Delay(150, 20)
    assert args.file_latency == Delay(300, 0)
    for bad in ("fast", "-5", "150:x"):
        with pytest.raises(SystemExit) as exit_info:
            build_parser().parse_args(["serve", "--latency", bad])
        assert exit_info.value.code == 2
        assert "--latency" in capsys.readouterr().err


def test_serve_gives_every_emulator_the_latency_and_files_default_to_it() -> None:
    from sandbox.cli import _build_apps

    args = build_parser().parse_args(["serve", "--latency", "150:20", "--seed", "3", "--scale", "1"])
    apps = _build_apps(args, ["pleo", "ivesk"])
    for app in apps.values():
        latency = app.state.provider.latency
        assert (latency.api, latency.files, latency.seed) == (Delay(150, 20), Delay(150, 20), 3)
        close = getattr(app.state.provider, "close", None)
        if close is not None:
            close()
