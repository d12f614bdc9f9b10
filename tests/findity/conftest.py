"""tap-findity fixtures: a config pointing at the Findity sandbox, a tap runner and the write-back runner."""

from __future__ import annotations

import subprocess
import typing as t
from pathlib import Path

import pytest

from sandbox.findity import CLIENT_ID, CLIENT_SECRET, ORGANIZATION_ID
from tests.helpers import BIN, Sandbox, TapRun, _write, run_tap


def findity_config(sandbox: Sandbox, tmp: Path, **overrides: t.Any) -> dict:
    config = {
        "api_url": f"{sandbox.url}/api",
        "token_url": f"{sandbox.url}/oauth/token",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "organization_id": ORGANIZATION_ID,
        "manifest_dir": str(tmp / "manifests"),
        "max_retries": 3,
    }
    config.update(overrides)
    return config


@pytest.fixture
def config(findity: Sandbox, tmp_path: Path) -> dict:
    return findity_config(findity, tmp_path)


@pytest.fixture
def tap(tmp_path: Path) -> t.Callable[..., TapRun]:
    counter = iter(range(1000))

    def run(config: dict, **kwargs: t.Any) -> TapRun:
        workdir = tmp_path / f"run{next(counter)}"
        workdir.mkdir()
        return run_tap("tap-findity", config, workdir, **kwargs)

    return run


@pytest.fixture
def writeback(tmp_path: Path) -> t.Callable[..., subprocess.CompletedProcess[str]]:
    def run(config: dict, *args: str) -> subprocess.CompletedProcess[str]:
        path = _write(tmp_path, "writeback-config.json", config)
        return subprocess.run([str(BIN / "tap-findity-writeback"), "--config", path, *args],
                              capture_output=True, text=True, timeout=120, check=False)

    return run


def exports_in_findity(sandbox: Sandbox) -> dict[str, dict]:
    return {e["id"]: e for e in sandbox.admin("GET", "/findity/exports")}
