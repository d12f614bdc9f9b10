"""Fixtures of the Meltano end-to-end tests: a sandbox per test, a private PostgreSQL server, and
`meltano run` in a subprocess isolated from the demo and from other tests (its own system database,
hence its own state, token store and warehouse files under the test's tmp dir)."""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import json
import os
import pwd
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from warehouse_summary import DuckDBWarehouse, PostgresWarehouse, Report, compare

ROOT = Path(__file__).resolve().parents[2]
MELTANO = ROOT / ".venv" / "bin" / "meltano"
CANDIS_TOKEN_PATH = "/auth/realms/candis/protocol/openid-connect/token"
MELTANO_RUN_TIMEOUT = 480  # seconds (below pytest's timeout): a hung run fails its test with Meltano's log


# ------------------------------------------------------------------------------------------- meltano
@dataclasses.dataclass
class MeltanoProject:
    """`meltano` in the repository's project, with per-test system database and paths."""

    workdir: Path
    env: dict[str, str]
    environment: str = "test"

    def run(
        self, *args: str, check: bool = True, timeout: float = MELTANO_RUN_TIMEOUT
    ) -> subprocess.CompletedProcess[str]:
        command = [str(MELTANO), f"--environment={self.environment}", *args]
        log = self.workdir / "meltano.log"
        with log.open("a", encoding="utf-8") as out:
            out.write(f"\n$ {' '.join(command)}\n")
            out.flush()
            started = time.monotonic()
            proc = subprocess.run(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=out,
                text=True,
                timeout=timeout,
                check=False,
            )
            out.write(f"[exit {proc.returncode} after {time.monotonic() - started:.1f}s]\n{proc.stdout}")
        if check and proc.returncode != 0:
            tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-60:])
            pytest.fail(
                f"`meltano {' '.join(args)}` exited {proc.returncode}; last lines of {log}:\n{tail}", pytrace=False
            )
        return proc

    def state(self, state_id: str) -> dict[str, Any]:
        proc = self.run("state", "get", state_id)
        return json.loads(proc.stdout.strip().splitlines()[-1])

    @contextlib.contextmanager
    def background(self, *args: str, **popen: Any) -> Iterator[subprocess.Popen[str]]:
        """`meltano <args>` started in the background in its own process group (Meltano, the tap and the
        target), logged like `run`; `popen` may give stdin/stdout pipes. Killed with `kill_group` on exit."""
        command = [str(MELTANO), f"--environment={self.environment}", *args]
        with (self.workdir / "meltano.log").open("a", encoding="utf-8") as out:
            out.write(f"\n$ {' '.join(command)} &\n")
            out.flush()
            proc = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=popen.pop("stdout", out),
                stderr=out,
                text=True,
                start_new_session=True,
                **popen,
            )
        try:
            yield proc
        finally:
            kill_group(proc)
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None:
                    pipe.close()

    def saved_state(self, state_id: str) -> dict[str, Any]:
        """The state Meltano has saved for `state_id` so far, read from this project's system database without
        starting `meltano` (so a test can poll it while a run goes on): as `state get` shows it, or {}."""
        from meltano.core.state_store.base import MeltanoState

        database = self.env["MELTANO_DATABASE_URI"].removeprefix("sqlite:///")
        try:
            with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)) as db:
                row = db.execute(
                    "SELECT partial_state, completed_state FROM state WHERE state_id = ?", (state_id,)
                ).fetchone()
        except sqlite3.OperationalError:  # no database or no state table yet: Meltano has not started
            return {}
        if row is None:
            return {}
        partial, completed = (json.loads(value) if value else {} for value in row)
        return json.loads(MeltanoState(state_id, partial_state=partial, completed_state=completed).json_merged())


def kill_group(proc: subprocess.Popen[str]) -> None:
    """SIGKILL the process group of `proc` (started with `start_new_session`): Meltano with its tap and
    target, the way an OOM kill or a lost machine ends a run — no signal handler runs, nothing is flushed.
    Only while `proc` itself has not been reaped: until then its pid cannot name another process group."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)


def wait_until(
    condition: Callable[[], Any], *, what: str, timeout: float = 120, proc: subprocess.Popen[str] | None = None
) -> Any:
    """Poll `condition` until it returns something truthy (returned); fail naming `what` after `timeout`
    seconds, or as soon as `proc` has exited (it can no longer bring the condition about)."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"the process exited ({proc.returncode}) before {what}", pytrace=False)
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {timeout} s", pytrace=False)
        if proc is None:
            time.sleep(0.1)  # the pause between two polls (nothing else to wait on)
        else:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=0.1)  # the pause between two polls; returns at once if the process exits
    return value


def _clean_environ() -> dict[str, str]:
    """The caller's environment without settings that would leak into the plugins or Meltano."""
    prefixes = ("TAP_", "TARGET_", "MELTANO_")
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


@pytest.fixture
def meltano(tmp_path: Path) -> MeltanoProject:
    """A Meltano invocation context whose system db (hence state), token store and outputs are the test's own."""
    if not MELTANO.exists():
        pytest.fail(f"{MELTANO} is missing: run ./scripts/setup (or ./scripts/test) first", pytrace=False)
    missing = [
        name
        for name in (
            "extractors/tap-candis",
            "loaders/target-duckdb",
            "loaders/target-jsonl",
            "loaders/target-postgres",
        )
        if not (ROOT / ".meltano" / name / "venv").is_dir()
    ]
    if missing:
        pytest.fail(f"Meltano plugins not installed ({', '.join(missing)}): run ./scripts/setup", pytrace=False)
    workdir = tmp_path / "meltano"
    workdir.mkdir()
    # Meltano's own dir, private to the test: the installed plugin virtualenvs are linked in, but the run
    # dir (catalog and config files Meltano writes per plugin) is the test's, so a concurrent demo or
    # another test run cannot swap a catalog under this one.
    sys_dir = workdir / "sys"
    sys_dir.mkdir()
    for kind in ("extractors", "loaders", "utilities", "mappers", "transformers", "orchestrators", "files"):
        if (ROOT / ".meltano" / kind).is_dir():
            (sys_dir / kind).symlink_to(ROOT / ".meltano" / kind, target_is_directory=True)
    env = _clean_environ() | {
        "MELTANO_SYS_DIR_ROOT": str(sys_dir),
        "MELTANO_DATABASE_URI": f"sqlite:///{workdir / 'meltano.db'}",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
        "MELTANO_CLI_LOG_LEVEL": "info",
        "TAP_CANDIS_TOKEN_STORE_DIR": str(workdir / "tokens"),
        "TARGET_DUCKDB_FILEPATH": str(workdir / "warehouse.duckdb"),
        "TARGET_DUCKDB_TEMP_DIR": str(workdir),
        "TARGET_JSONL_DESTINATION_PATH": str(workdir / "jsonl"),
        "XDG_STATE_HOME": str(workdir / "xdg-state"),
    }
    return MeltanoProject(workdir=workdir, env=env)


def candis_env(base_url: str, *, flattening: bool) -> dict[str, str]:
    """Settings of tap-candis pointing at a Candis sandbox."""
    return {
        "TAP_CANDIS_API_URL": base_url,
        "TAP_CANDIS_TOKEN_URL": base_url + CANDIS_TOKEN_PATH,
        "TAP_CANDIS_CLIENT_ID": "sandbox-client",
        "TAP_CANDIS_CLIENT_SECRET": "sandbox-secret",
        "TAP_CANDIS_REFRESH_TOKEN": "sandbox-refresh-token",
        "TAP_CANDIS_FLATTENING_ENABLED": "true" if flattening else "false",
        "TAP_CANDIS_FLATTENING_MAX_DEPTH": "1",
    }


def plugin_about(extractor: str) -> dict[str, Any]:
    """`<extractor> --about --format=json` from the plugin virtualenv Meltano runs."""
    executable = ROOT / ".meltano" / "extractors" / extractor / "venv" / "bin" / extractor
    if not executable.exists():
        pytest.fail(f"{executable} is missing: run ./scripts/setup", pytrace=False)
    proc = subprocess.run(
        [str(executable), "--about", "--format=json"], capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(proc.stdout)


def meltano_yml() -> dict[str, Any]:
    """The repository's meltano.yml, parsed."""
    return yaml.safe_load((ROOT / "meltano.yml").read_text())


def meltano_plugin(project: Mapping[str, Any], kind: str, name: str) -> dict[str, Any]:
    """The one plugin `name` of `kind` (extractors, utilities, ...) in a parsed meltano.yml."""
    (plugin,) = [p for p in project["plugins"][kind] if p["name"] == name]
    return plugin


# ------------------------------------------------------------------------------------------- sandbox
# The sandboxes themselves come from tests/conftest.py (`candis_factory`: a Candis emulator on a free
# loopback port via sandbox.framework.server.serve_in_thread).


# ------------------------------------------------------------------------------------------- postgres
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _postgres_bindir() -> Path | None:
    for candidate in (os.environ.get("PG_BINDIR"), *sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)):
        if candidate and (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb and shutil.which("pg_ctl") else None


@dataclasses.dataclass
class PostgresServer:
    host: str
    port: int
    user: str
    datadir: Path

    def dsn(self, database: str = "postgres") -> str:
        return f"host={self.host} port={self.port} user={self.user} dbname={database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def target_env(self, database: str) -> dict[str, str]:
        return {
            "TARGET_POSTGRES_HOST": self.host,
            "TARGET_POSTGRES_PORT": str(self.port),
            "TARGET_POSTGRES_USER": self.user,
            "TARGET_POSTGRES_PASSWORD": "unused-trust-auth",
            "TARGET_POSTGRES_DATABASE": database,
        }


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A private PostgreSQL server on a free loopback port, from the Debian server binaries.

    Skipped when the binaries are missing, except under CI=true, where it fails: CI must run it.
    As root the server runs as the `postgres` OS user (initdb refuses root), in a tmp dir that user owns.
    """
    bindir = _postgres_bindir()
    if bindir is None:
        message = "PostgreSQL server binaries (initdb, pg_ctl) not found; install Debian's `postgresql` package"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    as_root = os.geteuid() == 0
    prefix: list[str] = []
    if as_root:
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            pytest.fail("running as root but there is no `postgres` OS user to run the server as", pytrace=False)
        prefix = ["runuser", "-u", "postgres", "--"]
    base = Path(tempfile.mkdtemp(prefix="e2e-postgres-"))  # not under pytest's root-only tmp tree
    if as_root:
        os.chown(base, pw.pw_uid, pw.pw_gid)
    datadir, sockdir, logfile = base / "data", base / "sock", base / "server.log"
    port = free_port()

    def run(*cmd: str | Path) -> None:
        proc = subprocess.run(
            [*prefix, *map(str, cmd)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=120,
            check=False,
        )
        if proc.returncode != 0:
            log = logfile.read_text(errors="replace") if logfile.exists() else ""
            pytest.fail(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{proc.stdout}\n{log}", pytrace=False)

    if as_root:
        run("mkdir", "-p", sockdir)
    else:
        sockdir.mkdir()
    run(
        bindir / "initdb",
        "-D",
        datadir,
        "-U",
        "postgres",
        "-A",
        "trust",
        "-E",
        "UTF8",
        "--no-sync",
        "--no-instructions",
    )
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {sockdir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    run(bindir / "pg_ctl", "-D", datadir, "-l", logfile, "-o", options, "-w", "-t", "60", "start")
    try:
        yield PostgresServer(host="127.0.0.1", port=port, user="postgres", datadir=datadir)
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "immediate", "-w", "stop"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
            check=False,
        )
        shutil.rmtree(base, ignore_errors=True)


def env_with(base: Mapping[str, str], *extra: Mapping[str, str]) -> dict[str, str]:
    merged = dict(base)
    for part in extra:
        merged.update(part)
    return merged


def duckdb_report(
    meltano: MeltanoProject, sandbox: Any, tap: str, *, columns_of: str | None = None
) -> tuple[dict[str, Any], Report, dict[str, str]]:
    """The sandbox's ground truth, the project's DuckDB warehouse compared with it, and the columns of the
    table `columns_of` (flattened or nested money columns, ...)."""
    truth = sandbox.admin("GET", "/ground-truth")
    with DuckDBWarehouse(meltano.workdir / "warehouse.duckdb", schema=tap.replace("-", "_")) as warehouse:
        report = compare(truth, warehouse, title=tap)
        columns = warehouse._columns(columns_of) if columns_of else {}
    return truth, report, columns


def postgres_report(
    meltano: MeltanoProject,
    postgres_server: PostgresServer,
    sandbox: Any,
    tap: str,
    env: Mapping[str, str],
    *,
    exclude: tuple[str, ...],
    blocks: tuple[str, ...] = (),
) -> tuple[dict[str, Any], Report]:
    """`meltano run <tap> target-postgres [blocks]` into a new database (the tap's records nested as JSONB),
    and the warehouse compared exactly with the sandbox's ground truth; the provider's decimals must be among
    what was compared."""
    database = postgres_server.create_database(f"e2e_{tap.removeprefix('tap-')}")
    meltano.env |= dict(env) | postgres_server.target_env(database)
    meltano.run("run", tap, "target-postgres", *blocks)
    truth = sandbox.admin("GET", "/ground-truth")
    with PostgresWarehouse(postgres_server.dsn(database), schema=tap.replace("-", "_")) as warehouse:
        report = compare(truth, warehouse, title=tap, exact=True, exclude=exclude)
    assert any(line.note == "decimals" for line in report.lines), "the provider's own decimals were not compared"
    return truth, report
