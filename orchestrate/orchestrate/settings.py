"""The code location's settings: environment variables read once when the definitions are built.

Every variable is optional; orchestrate/README.md lists them with their defaults. Tests build a
:class:`FleetSettings` directly (a private fleet home, a base environment holding the tenants' secrets, retry
delays of 0 s) instead of setting variables.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
import typing as t
from pathlib import Path

#: The repository this package lives in (an editable install): the default Meltano project.
REPOSITORY_ROOT = Path(__file__).resolve().parents[2]


def _number(environ: t.Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a number") from None
    if value < 0:
        raise ValueError(f"{name}={raw!r} must be >= 0")
    return value


def _flag(environ: t.Mapping[str, str], name: str) -> bool:
    return environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def default_meltano() -> str:
    """`meltano` of this interpreter's virtualenv (the one Dagster runs in), else the one on PATH."""
    beside = Path(sys.executable).parent / "meltano"
    return str(beside) if beside.exists() else (shutil.which("meltano") or "meltano")


@dataclasses.dataclass(frozen=True)
class FleetSettings:
    """Where the project, the tenants file and the fleet's working files are, and how runs behave."""

    #: The Meltano project (meltano.yml): MELTANO_PROJECT_ROOT, else the repository root.
    project_root: Path
    #: TENANTS_FILE, default `<project root>/tenants.yml`.
    tenants_file: Path
    #: FLEET_HOME, default `<project root>/.meltano/fleet`: one directory per tenant (its private Meltano
    #: run dir and its run lock) and the DuckDB lock files' holders.
    fleet_home: Path
    #: FLEET_MELTANO: the meltano executable.
    meltano: str
    #: The Meltano system database (state) every tenant run shares: MELTANO_DATABASE_URI, default the project's
    #: own `sqlite:///<sys dir>/meltano.db` (the one `meltano state get` reads in the project).
    database_uri: str
    #: The installed plugins the per-run system dirs link to: MELTANO_SYS_DIR_ROOT, default `<project>/.meltano`.
    sys_dir: Path
    #: FLEET_RETRY_MAX_RETRIES (default 3), FLEET_RETRY_DELAY seconds (default 60; doubled per retry, jittered).
    retry_max_retries: int = 3
    retry_delay: float = 60.0
    #: FLEET_RUN_TIMEOUT seconds (default 14400 = 4 h): a run still going then is killed (transient failure).
    run_timeout: float = 14400.0
    #: FLEET_DUCKDB_LOCK_TIMEOUT seconds (default 3600): longest wait for another run's DuckDB file lock.
    duckdb_lock_timeout: float = 3600.0
    #: FLEET_SENSOR_INTERVAL seconds (default 30) between two syncs of the partitions with the tenants file.
    sensor_interval: int = 30
    #: FLEET_SCHEDULES_RUNNING=1: the schedules start switched on (default: off until turned on in the UI).
    schedules_running: bool = False
    #: FLEET_PROBE=0 turns the change probe off (default on): every scheduled tenant runs (probe.py).
    probe_enabled: bool = True
    #: FLEET_FORCE_RUN_AFTER seconds (default 86400 = 24 h): a tenant whose last successful run started longer
    #: ago runs whatever its probe says (streams a probe cannot see, e.g. full-table reference data).
    force_run_after: float = 86400.0
    #: FLEET_PROBE_TIMEOUT seconds (default 10) per probe request; FLEET_PROBE_WORKERS (default 16) probes at once.
    probe_timeout: float = 10.0
    probe_workers: int = 16
    #: The environment runs start from (None: this process's os.environ, read when the run starts).
    environ: t.Mapping[str, str] | None = None

    @property
    def meltano_yml(self) -> Path:
        return self.project_root / "meltano.yml"

    def base_environ(self) -> dict[str, str]:
        return dict(os.environ if self.environ is None else self.environ)

    @classmethod
    def from_env(cls, environ: t.Mapping[str, str] | None = None) -> FleetSettings:
        env = os.environ if environ is None else environ
        root = Path(env.get("MELTANO_PROJECT_ROOT") or REPOSITORY_ROOT).resolve()
        sys_dir = Path(env.get("MELTANO_SYS_DIR_ROOT") or root / ".meltano")
        return cls(
            project_root=root,
            tenants_file=Path(env.get("TENANTS_FILE") or root / "tenants.yml"),
            fleet_home=Path(env.get("FLEET_HOME") or root / ".meltano" / "fleet"),
            meltano=env.get("FLEET_MELTANO") or default_meltano(),
            database_uri=env.get("MELTANO_DATABASE_URI") or f"sqlite:///{sys_dir / 'meltano.db'}",
            sys_dir=sys_dir,
            retry_max_retries=int(_number(env, "FLEET_RETRY_MAX_RETRIES", 3)),
            retry_delay=_number(env, "FLEET_RETRY_DELAY", 60.0),
            run_timeout=_number(env, "FLEET_RUN_TIMEOUT", 14400.0),
            duckdb_lock_timeout=_number(env, "FLEET_DUCKDB_LOCK_TIMEOUT", 3600.0),
            sensor_interval=max(1, int(_number(env, "FLEET_SENSOR_INTERVAL", 30))),
            schedules_running=_flag(env, "FLEET_SCHEDULES_RUNNING"),
            probe_enabled=env.get("FLEET_PROBE", "1").strip().lower() not in ("0", "false", "no", "off"),
            force_run_after=_number(env, "FLEET_FORCE_RUN_AFTER", 86400.0),
            probe_timeout=_number(env, "FLEET_PROBE_TIMEOUT", 10.0) or 10.0,
            probe_workers=max(1, int(_number(env, "FLEET_PROBE_WORKERS", 16))),
            environ=None if environ is None else dict(environ),
        )
