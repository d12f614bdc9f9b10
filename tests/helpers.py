"""Test helpers: the sandbox admin client and a tap runner (real subprocess, real HTTP)."""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import decimal
import json
import os
import signal
import subprocess
import sys
import tempfile
import typing as t
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@dataclasses.dataclass
class Sandbox:
    """A running provider emulator and its admin API."""

    url: str

    def admin(self, method: str, path: str, body: t.Any = None) -> t.Any:
        response = requests.request(method, f"{self.url}/_sandbox{path}", json=body, timeout=30)
        response.raise_for_status()
        return response.json(parse_float=decimal.Decimal) if response.content else None

    def ground_truth(self) -> dict:
        return self.admin("GET", "/ground-truth")["streams"]

    def requests(self) -> list[dict]:
        return self.admin("GET", "/requests")

    def clear_requests(self) -> None:
        self.admin("DELETE", "/requests")

    def faults(self, *rules: dict) -> None:
        self.admin("POST", "/faults", list(rules))

    def configure(self, **options: t.Any) -> None:
        self.admin("POST", "/config", options)


@dataclasses.dataclass
class TapRun:
    returncode: int
    messages: list[dict]
    stderr: str

    def records(self, stream: str) -> list[dict]:
        return [m["record"] for m in self.messages if m["type"] == "RECORD" and m["stream"] == stream]

    @property
    def state(self) -> dict | None:
        states = [m["value"] for m in self.messages if m["type"] == "STATE"]
        return states[-1] if states else None

    def streams(self) -> set[str]:
        return {m["stream"] for m in self.messages if m["type"] == "RECORD"}


def _write(tmp: Path, name: str, data: t.Any) -> str:
    path = tmp / name
    path.write_text(json.dumps(data, default=str))
    return str(path)


def run_tap(
    executable: str,
    config: dict,
    tmp: Path,
    *,
    state: dict | None = None,
    catalog: dict | None = None,
    extra_args: t.Sequence[str] = (),
    stop_after_records: int | None = None,
    env: dict | None = None,
) -> TapRun:
    """Run a tap CLI as a subprocess (real process, real HTTP). `stop_after_records` kills it (SIGKILL)
    after that many RECORD messages, like a run killed halfway."""
    args = [str(BIN / executable), "--config", _write(tmp, "config.json", config)]
    if state is not None:
        args += ["--state", _write(tmp, "state.json", state)]
    if catalog is not None:
        args += ["--catalog", _write(tmp, "catalog.json", catalog)]
    args += list(extra_args)
    messages: list[dict] = []
    seen = 0
    err_path = tmp / "stderr.log"
    with (
        err_path.open("w") as err,
        subprocess.Popen(  # stderr to a file: a full pipe would block the tap
            args, stdout=subprocess.PIPE, stderr=err, text=True, env={**os.environ, **(env or {})}
        ) as proc,
    ):
        assert proc.stdout is not None
        for line in proc.stdout:
            message = json.loads(line, parse_float=decimal.Decimal)
            messages.append(message)
            if message.get("type") == "RECORD":
                seen += 1
                if stop_after_records is not None and seen >= stop_after_records:
                    proc.send_signal(signal.SIGKILL)
                    break
        proc.wait(timeout=120)
    stderr = err_path.read_text()
    return TapRun(proc.returncode, messages, stderr)


def discover(executable: str, config: dict, tmp: Path) -> dict:
    """The tap's catalog from `--discover`."""
    out = subprocess.run(
        [str(BIN / executable), "--config", _write(tmp, "discover-config.json", config), "--discover"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)


def select_only(catalog: dict, *streams: str) -> dict:
    """Mark exactly `streams` selected in a discovered catalog."""
    for entry in catalog["streams"]:
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = entry["tap_stream_id"] in streams
    return catalog


# --- fixtures shared by the per-tap conftest.py files ----------------------------------------------------
def sandbox_factory(
    create_app: t.Callable[[t.Any], t.Any], config_cls: t.Callable[..., t.Any], scale: int
) -> t.Iterator[t.Callable[..., Sandbox]]:
    """Body of a `<provider>_factory` fixture: `start(**options)` serves an emulator built from
    `config_cls(**options)` (default `scale`) on a free loopback port; all are stopped after the test."""
    from sandbox.framework.server import serve_in_thread

    with contextlib.ExitStack() as stack:

        def start(**options: t.Any) -> Sandbox:
            options.setdefault("scale", scale)
            return Sandbox(stack.enter_context(serve_in_thread(create_app(config_cls(**options)))))

        yield start


def sandbox_fixtures(provider: str, scale: int) -> tuple[t.Any, t.Any]:
    """The fixtures `<provider>_factory` (`start(**options)` of `<Provider>Config` options, default `scale`;
    every emulator started is stopped after the test) and `<provider>` (one started with the defaults)."""

    @pytest.fixture(name=f"{provider}_factory")
    def factory() -> t.Iterator[t.Callable[..., Sandbox]]:
        import importlib

        module = importlib.import_module(f"sandbox.{provider}")
        yield from sandbox_factory(module.create_app, getattr(module, f"{provider.capitalize()}Config"), scale)

    @pytest.fixture(name=provider)
    def started(request: pytest.FixtureRequest) -> Sandbox:
        return request.getfixturevalue(f"{provider}_factory")()

    return factory, started


def oauth_config(api_url: str, token_url: str, client: tuple[str, str], **settings: t.Any) -> dict:
    """A config of an OAuth client-credentials tap (Candis, Findity) against a sandbox, with 3 retries."""
    client_id, client_secret = client
    oauth = {"token_url": token_url, "client_id": client_id, "client_secret": client_secret}
    return {"api_url": api_url, **oauth, "max_retries": 3, **settings}


def tap_fixture(executable: str) -> t.Any:
    """A `tap` fixture: `tap(config, **run_tap_kwargs)` runs `executable` in a fresh work dir per run."""

    @pytest.fixture(name="tap")
    def tap(tmp_path: Path) -> t.Callable[..., TapRun]:
        counter = iter(range(1000))

        def run(config: dict, **kwargs: t.Any) -> TapRun:
            workdir = tmp_path / f"run{next(counter)}"
            workdir.mkdir()
            return run_tap(executable, config, workdir, **kwargs)

        return run

    return tap


def command_fixture(name: str, executable: str) -> t.Any:
    """A fixture `name`: `name(config, *args)` runs the command `executable --config <file> *args`."""

    @pytest.fixture(name=name)
    def command(tmp_path: Path) -> t.Callable[..., subprocess.CompletedProcess[str]]:
        def run(config: dict, *args: str) -> subprocess.CompletedProcess[str]:
            path = _write(tmp_path, f"{name}-config.json", config)
            return subprocess.run(
                [str(BIN / executable), "--config", path, *args],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )

        return run

    return command


def serve_for_session(app: t.Any, tmp_prefix: str) -> tuple[str, str]:
    """For singer-sdk's built-in tests, whose test class is built at import time: serve `app` from now
    until exit; returns its URL and a temporary directory (removed at exit)."""
    from sandbox.framework.server import serve_in_thread

    server = serve_in_thread(app)
    url = server.__enter__()
    atexit.register(server.__exit__, None, None, None)
    tmp = tempfile.TemporaryDirectory(prefix=tmp_prefix)
    atexit.register(tmp.cleanup)
    return url, tmp.name


def stored_files(files_dir: Path) -> list[Path]:
    """The attachments a tap stored under `files_dir` (not the hidden `.<name>.sha256` digest sidecars)."""
    return [p for p in files_dir.rglob("*") if p.is_file() and not p.name.startswith(".")]
