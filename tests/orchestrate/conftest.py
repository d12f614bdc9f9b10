"""Fixtures of the fleet tests: a tenants file, the code location's settings and a Dagster test instance,
all under the test's tmp dir (its own fleet home, Meltano system database and warehouse files)."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import typing as t
from pathlib import Path

import dagster as dg
import pytest
from orchestrate.settings import FleetSettings

from tests.e2e.conftest import MELTANO, MeltanoProject, _clean_environ
from tests.e2e.conftest import postgres_server as postgres_server  # the e2e tests' private PostgreSQL server
from tests.helpers import ROOT
from tests.orchestrate.harness import Fleet
from tests.orchestrate.locked_sqlite import instance_overrides

# A stand-in for meltano where only Dagster's side is under test (pools, locks): it says what a real
# `meltano run` says first and last; in between it waits (polling, 20 s at most) until FAKE_MELTANO_PEERS
# runs have started (a marker file each in FAKE_MELTANO_DIR), so runs the cap allows together do overlap.
FAKE_MELTANO = """#!{python}
import json, os, sys, time
from pathlib import Path
args = [a for a in sys.argv[1:] if not a.startswith("-")]
if args[0] == "upgrade":
    sys.exit(0)
tap, loader = args[1], args[2]
suffix = next(a.split("=", 1)[1] for a in sys.argv if a.startswith("--state-id-suffix="))
stamp = lambda: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
print(f"{{stamp()}} [info     ] meltano      Running job with name 'test:{{tap}}-to-{{loader}}:{{suffix}}'", flush=True)
markers = Path(os.environ["FAKE_MELTANO_DIR"])
markers.mkdir(exist_ok=True)
(markers / suffix).touch()
deadline = time.monotonic() + 20
while len(list(markers.iterdir())) < int(os.environ.get("FAKE_MELTANO_PEERS", "1")) and time.monotonic() < deadline:
    time.sleep(0.05)
metric = {{"type": "counter", "metric": "record_count", "value": 7, "tags": {{"stream": "documents"}}}}
print(f"{{stamp()}} [info     ] {{tap}}    METRIC: {{json.dumps(metric)}}", flush=True)
"""


@contextlib.contextmanager
def fleet_at(root: Path) -> t.Iterator[Fleet]:
    """The fleet's code location settings under `root` (private fleet home, system database, DuckDB file, retry
    delay 0) and a Dagster instance on disk that worker processes share, its event log locked for pool slots
    as on PostgreSQL (tests/orchestrate/locked_sqlite.py)."""
    missing = [
        kind for kind in ("extractors/tap-ivesk", "loaders/target-duckdb") if not (ROOT / ".meltano" / kind).is_dir()
    ]
    if missing:
        pytest.fail(f"Meltano plugins not installed ({', '.join(missing)}): run ./scripts/setup", pytrace=False)
    environ = _clean_environ() | {
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
        "MELTANO_CLI_LOG_LEVEL": "info",
        "TARGET_DUCKDB_FILEPATH": str(root / "warehouse.duckdb"),
        "TARGET_DUCKDB_TEMP_DIR": str(root),
        "TARGET_JSONL_DESTINATION_PATH": str(root / "jsonl"),
        "XDG_STATE_HOME": str(root / "xdg-state"),
    }
    settings = FleetSettings(
        project_root=ROOT,
        tenants_file=root / "tenants.yml",
        fleet_home=root / "fleet",
        meltano=str(MELTANO),
        database_uri=f"sqlite:///{root / 'meltano.db'}",
        sys_dir=ROOT / ".meltano",
        retry_max_retries=2,
        retry_delay=0,
        run_timeout=300,
        duckdb_lock_timeout=300,
        environ=environ,
    )
    (root / "dagster").mkdir()
    overrides = instance_overrides(str(root / "dagster" / "events"))  # pool slots claimed atomically (see there)
    with dg.instance_for_test(temp_dir=str(root / "dagster"), overrides=overrides) as instance:
        yield Fleet(root=root, settings=settings, instance=instance)


@pytest.fixture
def fleet(tmp_path: Path) -> t.Iterator[Fleet]:
    """The fleet under the test's tmp dir (see fleet_at)."""
    with fleet_at(tmp_path) as fleet:
        yield fleet


@pytest.fixture
def fake_meltano(fleet: Fleet, tmp_path: Path) -> Fleet:
    """The fleet with the stand-in meltano; set FAKE_MELTANO_PEERS in its environ to make runs wait for peers."""
    path = tmp_path / "fake-meltano"
    path.write_text(FAKE_MELTANO.format(python=sys.executable), encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    environ = {**fleet.settings.base_environ(), "FAKE_MELTANO_DIR": str(tmp_path / "fake-runs")}
    fleet.with_settings(meltano=str(path), environ=environ)
    return fleet


def meltano_for(fleet: Fleet) -> MeltanoProject:
    """`meltano` on the fleet's system database (for `meltano state list/get`), as a user would run it."""
    env = dict(fleet.settings.base_environ()) | {
        "MELTANO_DATABASE_URI": fleet.settings.database_uri,
        "MELTANO_SYS_DIR_ROOT": str(fleet.settings.fleet_home / "cli"),
    }
    os.makedirs(env["MELTANO_SYS_DIR_ROOT"], exist_ok=True)
    return MeltanoProject(workdir=fleet.root, env=env)
