"""One tenant's `meltano run`, isolated from every other run, its output streamed line by line.

Isolation (what two concurrent runs would otherwise share):

* **Meltano's run dir.** Meltano writes each plugin's config and catalog under `<sys dir>/run/<plugin>/`; two
  concurrent runs of one tap would swap files under each other. Every tenant has its own system dir
  (`MELTANO_SYS_DIR_ROOT=<fleet home>/tenants/<tenant>/meltano`) whose plugin dirs (extractors, loaders,
  utilities, ...) are symlinks to the project's installed ones, so nothing is installed twice.
* **State.** All runs share one Meltano system database (the project's own by default, or
  MELTANO_DATABASE_URI): one state id per tenant (`meltano run --state-id-suffix=<tenant>`). The first run
  of a fleet home migrates it alone (`meltano upgrade database`): runs that start together on a new
  database would race to create its tables.
* **One run per tenant at a time.** `<fleet home>/tenants/<tenant>/run.lock` (fcntl); a second run of the
  same tenant fails at once as transient (it is retried later) rather than reading the same bookmark twice.
* **DuckDB has one writer per file.** A run that loads into DuckDB holds an exclusive fcntl lock on
  `<duckdb file>.lock` for the whole `meltano run`; another run into the same file waits for it (at most
  FLEET_DUCKDB_LOCK_TIMEOUT), whatever the Dagster configuration. Runs into PostgreSQL take no lock.

Nothing here depends on Dagster: :func:`run_tenant` takes a `log(level, line)` callback.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import re
import signal
import subprocess
import threading
import time
import typing as t
from pathlib import Path

import yaml

from orchestrate.settings import FleetSettings
from orchestrate.tenants import TenantRun, TenantRunError

#: Plugin dirs of Meltano's system dir that a tenant's private one links to (the installed virtualenvs).
PLUGIN_DIRS = ("extractors", "loaders", "utilities", "mappers", "transformers", "orchestrators", "files")

Log = t.Callable[[str, str], None]  # (level: debug|info|warning|error, line)

TRANSIENT, PERMANENT, UNKNOWN = "transient", "permanent", "unknown"

# The retry rule, applied to the tap's one-line error (the last output line with `: error:`). Permanent
# first: retrying cannot fix credentials or configuration.
_PERMANENT = re.compile(
    r"rejected|missing setting|invalid configuration|not set \(named in the tenants file\)"
    r"|is not a \S+ setting|not a \S+ tenant of",
    re.IGNORECASE,
)
# Transient: the provider or a shared resource was unavailable for a while.
_TRANSIENT = re.compile(
    r"unavailable after|no response after|after \d+ (?:tries|try|attempts)|HTTP 429|HTTP 5\d\d"
    r"|Another '[^']*' pipeline is already running|already running|Could not set lock on file"
    r"|database is locked|table \S+ already exists|timed out|Connection (?:refused|reset|aborted)"
    # two first loads of one provider into an empty PostgreSQL schema create the same table at once (CREATE
    # TABLE is not safe against a concurrent CREATE of the same name): the retry finds the table made
    r'|duplicate key value violates unique constraint "pg_(?:type_typname|namespace_nspname|class_relname)',
    re.IGNORECASE,
)
# Any other 4xx the tap failed fast on (404 unknown organization, 403 no access, ...): permanent.
_CLIENT_ERROR = re.compile(r"HTTP 4\d\d")

_METRIC = re.compile(r"METRIC: (\{.*\})\s*$")
_JOB_NAME = re.compile(r"Running job with name '([^']+)'")
_ERROR_LINE = re.compile(r"(?:^|\s)(\S+: error: .*)$")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_LEVEL = re.compile(r"\[(debug|info|warning|error|critical)\s*\]")


class RunStartError(Exception):
    """The run could not start (missing secret, tenant busy, DuckDB lock timeout); `kind` decides retries."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclasses.dataclass
class RunResult:
    """What one `meltano run` did, from its exit status and its output."""

    tenant: str
    command: list[str]
    exit_code: int = -1
    started_at: float = 0.0
    finished_at: float = 0.0
    rows: dict[str, int] = dataclasses.field(default_factory=dict)
    state_id: str | None = None
    #: The tap's one-line error: the last output line with `: error:`, from the plugin's name on.
    error_line: str | None = None
    #: The last 40 lines of output.
    tail: list[str] = dataclasses.field(default_factory=list)
    #: The last output line with a transient marker (a loader's exception may be far above the tail).
    transient_line: str | None = None
    lock_wait: float = 0.0
    duckdb_file: str | None = None
    timed_out: bool = False

    @property
    def duration(self) -> float:
        return self.finished_at - self.started_at

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out

    def summary(self) -> str:
        """`tenant x: <the tap's error line>` (or what else ended the run)."""
        if self.timed_out:
            return f"tenant {self.tenant}: meltano run timed out after {self.duration:.0f} s and was stopped"
        if self.error_line:
            return f"tenant {self.tenant}: {self.error_line}"
        if self.transient_line:
            return f"tenant {self.tenant}: meltano exited {self.exit_code}: {_message(self.transient_line)}"
        last = next((line for line in reversed(self.tail) if _LEVEL.search(line.lower())), None)
        last = last or (self.tail[-1] if self.tail else "no output")
        return f"tenant {self.tenant}: meltano exited {self.exit_code}: {_message(last)}"

    def note(self, line: str, tap: str) -> None:
        """Take in one line of the run's output (rows, state id, error and transient lines, tail)."""
        self.tail = [*self.tail[-39:], line]
        for stream, count in record_counts([line], tap).items():
            self.rows[stream] = self.rows.get(stream, 0) + count
        if self.state_id is None and (found := _JOB_NAME.search(line)):
            self.state_id = found.group(1)
        if found := _ERROR_LINE.search(line):
            self.error_line = found.group(1)
        if _TRANSIENT.search(line):
            self.transient_line = line

    def kind(self) -> str:
        """transient, permanent or unknown: the retry rule (see orchestrate/README.md)."""
        if self.timed_out:
            return TRANSIENT
        found = classify(self.error_line or "")
        if found == UNKNOWN:  # no or unknown tap error line: what else the run said (DuckDB lock, sqlite, ...)
            found = TRANSIENT if self.transient_line else UNKNOWN
        return found


def classify(line: str) -> str:
    if _PERMANENT.search(line):
        return PERMANENT
    if _TRANSIENT.search(line):
        return TRANSIENT
    if _CLIENT_ERROR.search(line):
        return PERMANENT
    return UNKNOWN


def _message(line: str) -> str:
    """A Meltano console line without its timestamp and level: `meltano      Loader failed`."""
    found = _LEVEL.search(line.lower())
    return " ".join(line[found.end() :].split()) if found else line.strip()


def parse_metric(line: str) -> dict[str, t.Any] | None:
    """The JSON of a singer-sdk `METRIC: {...}` line, or None."""
    found = _METRIC.search(line)
    if not found:
        return None
    try:
        value = json.loads(found.group(1))
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def record_counts(lines: t.Iterable[str], tap: str) -> dict[str, int]:
    """Rows per stream from the tap's `record_count` counters (one per stream and parent context; singer-sdk
    resets a counter each time it reports it, so the values add up)."""
    rows: dict[str, int] = {}
    for line in lines:
        metric = parse_metric(line)
        if metric and metric.get("metric") == "record_count" and tap in line[: line.find("METRIC:")]:
            stream = str((metric.get("tags") or {}).get("stream", "?"))
            rows[stream] = rows.get(stream, 0) + int(metric.get("value") or 0)
    return rows


def line_level(line: str) -> str:
    if ": error:" in line:
        return "error"
    if "METRIC:" in line:
        return "debug"
    found = _LEVEL.search(line.lower())
    level = found.group(1) if found else "info"
    return {"critical": "error"}.get(level, level)


# ------------------------------------------------------------------------------------------- isolation
def tenant_dir(settings: FleetSettings, tenant: str) -> Path:
    return settings.fleet_home / "tenants" / tenant


def prepare_sys_dir(directory: Path, installed: Path) -> Path:
    """`directory/meltano`: a Meltano system dir of its own whose plugin dirs link to the installed ones."""
    sys_dir = directory / "meltano"
    sys_dir.mkdir(parents=True, exist_ok=True)
    for kind in PLUGIN_DIRS:
        target, link = installed / kind, sys_dir / kind
        if not target.is_dir():
            continue
        if link.is_symlink():
            if os.path.realpath(link) == os.path.realpath(target):
                continue
            link.unlink()
        link.symlink_to(target, target_is_directory=True)
    return sys_dir


@contextlib.contextmanager
def file_lock(path: Path, holder: str, *, timeout: float, log: Log | None = None) -> t.Iterator[float]:
    """Hold an exclusive fcntl lock on `path`; yields the seconds spent waiting. `timeout` 0 = do not wait.
    The holder's description is written into the file so a waiting run can say whom it waits for."""
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with path.open("a+", encoding="utf-8") as handle:
        announced = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = time.monotonic() - started
                handle.seek(0)
                current = handle.read().strip() or "another process"
                if waited >= timeout:
                    raise TimeoutError(f"{path} is held by {current}") from None
                if log and not announced:
                    log("info", f"waiting for {path} (held by {current})")
                    announced = True
                time.sleep(0.2)  # polling the lock until it is free or the deadline passes
        waited = time.monotonic() - started
        handle.seek(0)
        handle.truncate()
        handle.write(f"{holder}, pid {os.getpid()}, since {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}\n")
        handle.flush()
        try:
            yield waited
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


# ------------------------------------------------------------------------------------------- DuckDB file
def _expand(value: str, env: t.Mapping[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: env.get(m.group(1) or m.group(2), m.group(0)), value)


def _named(items: t.Any, name: str) -> dict[str, t.Any]:
    return next((item for item in items or [] if isinstance(item, dict) and item.get("name") == name), {})


def duckdb_file(run: TenantRun, project: t.Mapping[str, t.Any], env: t.Mapping[str, str], root: Path) -> Path | None:
    """The DuckDB file the run's loader writes, resolved as Meltano does (the loader's FILEPATH variable, the
    environment's config, the plugin's config, the setting's default); None when the loader is not DuckDB."""
    plugin = _named((project.get("plugins") or {}).get("loaders"), run.loader)
    identity = " ".join(str(plugin.get(k, "")) for k in ("name", "inherit_from", "namespace", "pip_url", "variant"))
    if "duckdb" not in identity.lower():
        return None
    setting = _named(plugin.get("settings"), "filepath")
    variable = f"{run.loader.upper().replace('-', '_')}_FILEPATH"
    value = env.get(setting.get("env") or variable) or env.get(variable)
    if not value:
        active = run.environment or env.get("MELTANO_ENVIRONMENT") or project.get("default_environment")
        config = _named(project.get("environments"), str(active)).get("config") or {}
        loader = _named((config.get("plugins") or {}).get("loaders"), run.loader)
        value = (loader.get("config") or {}).get("filepath")
    value = value or (plugin.get("config") or {}).get("filepath") or setting.get("value")
    if not value:
        return None
    path = Path(_expand(str(value), {**env, "MELTANO_PROJECT_ROOT": str(root)}))
    return Path(os.path.realpath(path if path.is_absolute() else root / path))


# ------------------------------------------------------------------------------------------- system db
def ensure_system_database(settings: FleetSettings, env: t.Mapping[str, str], log: Log) -> None:
    """Migrate Meltano's system database once per fleet home, alone. Every meltano command migrates it when it
    starts, and several runs starting together on a new database race (`table job already exists`)."""
    stamp = hashlib.sha256(f"{settings.database_uri}\n{os.path.realpath(settings.meltano)}".encode()).hexdigest()
    marker = settings.fleet_home / "systemdb.migrated"
    if marker.exists() and marker.read_text(encoding="utf-8") == stamp:
        return
    with file_lock(settings.fleet_home / "systemdb.lock", "the system database upgrade", timeout=600, log=log):
        if marker.exists() and marker.read_text(encoding="utf-8") == stamp:
            return
        log("info", "meltano upgrade database (the first run of this fleet home on this system database)")
        proc = subprocess.run(  # noqa: S603 - a fixed argument list, no shell
            [settings.meltano, "upgrade", "database"],
            cwd=settings.project_root,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if proc.returncode != 0:
            last = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            raise RunStartError(f"meltano upgrade database failed ({proc.returncode}): {_message(last[0])}", TRANSIENT)
        marker.write_text(stamp, encoding="utf-8")


# ------------------------------------------------------------------------------------------- the run
def run_environment(
    run: TenantRun, settings: FleetSettings, base: t.Mapping[str, str], sys_dir: Path
) -> dict[str, str]:
    """The run's environment: the code location's, the tenant's settings and secrets, the private sys dir and
    the shared system database. Raises TenantRunError (from run.environ) when a secret variable is missing."""
    return {
        **base,
        **run.environ(base),
        "MELTANO_PROJECT_ROOT": str(settings.project_root),
        "MELTANO_SYS_DIR_ROOT": str(sys_dir),
        "MELTANO_DATABASE_URI": settings.database_uri,
    }


def _stop(proc: subprocess.Popen[str]) -> None:
    """SIGTERM the run's process group (meltano and its plugins), SIGKILL it if it is still there in 15 s."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _execute(run: TenantRun, settings: FleetSettings, env: dict[str, str], secrets: list[str], log: Log) -> RunResult:
    """Run meltano, stream its output to `log` (secret values masked), and read what it said."""
    result = RunResult(tenant=run.name, command=run.command(settings.meltano), started_at=time.time())
    timed_out = threading.Event()
    # S603: every argument is ours (the tenant name is a slug, the plugin names come from meltano.yml)
    proc = subprocess.Popen(  # noqa: S603 - a fixed argument list, no shell
        result.command,
        cwd=settings.project_root,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # Meltano logs to stderr: one stream, in order
        text=True,
        encoding="utf-8",
        errors="replace",
        bufsize=1,
        start_new_session=True,  # its own process group, so a stop reaches the plugins too
    )
    watchdog = threading.Timer(settings.run_timeout, lambda: (timed_out.set(), _stop(proc)))
    watchdog.daemon = True
    watchdog.start()
    try:
        for raw in t.cast(t.IO[str], proc.stdout):
            line = _ANSI.sub("", raw.rstrip("\n"))
            for secret in secrets:
                line = line.replace(secret, "********")
            log(line_level(line), line)
            result.note(line, run.tap)
        result.exit_code = proc.wait()
    finally:
        watchdog.cancel()
        _stop(proc)  # an interrupted step (run terminated in Dagster) must not leave meltano running
        result.finished_at = time.time()
        result.timed_out = timed_out.is_set()
    return result


def run_tenant(run: TenantRun, settings: FleetSettings, log: Log) -> RunResult:
    """Run one tenant's `meltano run` (isolated, locked, streamed). Raises RunStartError when it cannot start."""
    base = settings.base_environ()
    directory = tenant_dir(settings, run.name)
    try:
        extra = run.environ(base)
    except TenantRunError as exc:  # a secret variable is missing: this tenant fails, before anything starts
        raise RunStartError(str(exc), PERMANENT) from None
    secrets = [value for var, value in extra.items() if var in run.secret_vars and len(value) >= 4]
    project = yaml.safe_load(settings.meltano_yml.read_text(encoding="utf-8")) or {}
    try:
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(file_lock(directory / "run.lock", f"tenant {run.name}", timeout=0))
            except TimeoutError as exc:
                raise RunStartError(
                    f"tenant {run.name}: another run of this tenant is already running ({exc})", TRANSIENT
                ) from None
            sys_dir = prepare_sys_dir(directory, settings.sys_dir)
            env = run_environment(run, settings, base, sys_dir)
            ensure_system_database(settings, env, log)
            target = duckdb_file(run, project, env, settings.project_root)
            waited = 0.0
            if target is not None:
                lock = target.with_name(target.name + ".lock")
                try:
                    waited = stack.enter_context(
                        file_lock(lock, f"tenant {run.name}", timeout=settings.duckdb_lock_timeout, log=log)
                    )
                except TimeoutError as exc:
                    raise RunStartError(
                        f"tenant {run.name}: DuckDB file lock not free after {settings.duckdb_lock_timeout:.0f} s ({exc})",
                        TRANSIENT,
                    ) from None
            log("info", f"tenant {run.name}: {' '.join(run.command(settings.meltano))}")
            result = _execute(run, settings, env, secrets, log)
    except OSError as exc:
        raise RunStartError(f"tenant {run.name}: cannot start the run: {exc}", TRANSIENT) from None
    result.lock_wait = waited
    result.duckdb_file = str(target) if target else None
    return result
