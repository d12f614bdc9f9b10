"""tap-ivesk fixtures: a config pointing at the sandbox, and a tap runner with a fresh work dir per run."""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest

from sandbox.ivesk import API_KEY
from tests.helpers import Sandbox, TapRun, run_tap


def ivesk_config(sandbox: Sandbox, **overrides: t.Any) -> dict:
    config = {"api_url": sandbox.url, "api_key": API_KEY, "max_retries": 3}
    config.update(overrides)
    return config


@pytest.fixture
def config(ivesk: Sandbox) -> dict:
    return ivesk_config(ivesk)


@pytest.fixture
def tap(tmp_path: Path) -> t.Callable[..., TapRun]:
    counter = iter(range(1000))

    def run(config: dict, **kwargs: t.Any) -> TapRun:
        workdir = tmp_path / f"run{next(counter)}"
        workdir.mkdir()
        return run_tap("tap-ivesk", config, workdir, **kwargs)

    return run
