"""Fixtures of the journal tests (transform/, the dbt project): sandboxes of the providers at a small scale,
a Meltano project of the test's own (system database, state, warehouse, dbt target dir) and a dbt run's
results. The loads are shared per module: each `meltano run` costs seconds."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import typing as t
from collections import Counter
from pathlib import Path

import pytest
from sandbox.framework.server import serve_in_thread

from tests.e2e.conftest import (
    MELTANO,
    ROOT,
    MeltanoProject,
    _clean_environ,
    candis_env,
    env_with,
    postgres_server,  # noqa: F401 (the private PostgreSQL server, as a fixture here)
)
from tests.e2e.test_findity_meltano import findity_env
from tests.e2e.test_ivesk_meltano import ivesk_env
from tests.e2e.test_pleo_meltano import pleo_env
from tests.helpers import Sandbox

DBT_UTILITIES = ("dbt-duckdb", "dbt-postgres")
# Small sandboxes: enough for several documents per currency, several tenants (Įvesk's company codes) and,
# for Findity, exports in several voucher formats (bookkeeping ones and payment ones).
SCALES = {"candis": 30, "pleo": 40, "ivesk": 40, "findity": 80}
EXTRACTORS = {"candis": "tap-candis", "pleo": "tap-pleo", "ivesk": "tap-ivesk", "findity": "tap-findity"}


def needs_plugins(*names: str) -> None:
    for name in (*(f"extractors/{EXTRACTORS[p]}" for p in names), *(f"utilities/{u}" for u in DBT_UTILITIES)):
        if not (ROOT / ".meltano" / name / "venv").is_dir():
            pytest.fail(f"Meltano plugin {name} is not installed: run ./scripts/setup", pytrace=False)


@dataclasses.dataclass
class Providers:
    """Running sandboxes, by provider, and the settings that point the taps at them."""

    sandboxes: dict[str, Sandbox]

    def env(self, *, flattening: bool, files_dir: Path | None = None) -> dict[str, str]:
        makers = {"candis": candis_env, "pleo": pleo_env, "ivesk": ivesk_env, "findity": findity_env}
        env: dict[str, str] = {}
        for provider, sandbox in self.sandboxes.items():
            env |= makers[provider](sandbox.url, flattening=flattening)
            if files_dir is not None:
                env[f"TAP_{provider.upper()}_FILES_DIR"] = str(files_dir)
        env |= {"TAP_CANDIS_MAX_REQUESTS_PER_MINUTE": "0", "TAP_PLEO_MAX_REQUESTS_PER_MINUTE": "0"}
        if "candis" in self.sandboxes:  # the tenant of Candis rows from a tap that writes no organizationId yet
            env |= dbt_settings(candis_organization_id=self.truth("candis")["organization"])
        return env

    def truth(self, provider: str) -> dict[str, t.Any]:
        return self.sandboxes[provider].admin("GET", "/ground-truth")

    def truths(self) -> dict[str, dict[str, t.Any]]:
        return {provider: self.truth(provider) for provider in self.sandboxes}

    def run_args(self, loader: str, utility: str, *commands: str) -> list[str]:
        """`meltano run` arguments: every tap into `loader`, then `utility:build` (dbt build) and `commands`
        of the utility (one Meltano process for all of them)."""
        blocks = [arg for provider in self.sandboxes for arg in (EXTRACTORS[provider], loader)]
        return ["run", *blocks, *(f"{utility}:{command}" for command in ("build", *commands))]


@contextlib.contextmanager
def providers(*names: str) -> t.Iterator[Providers]:
    """Sandboxes of `names` on free loopback ports, at SCALES (rate limits off), stopped on exit."""
    from sandbox import candis, findity, ivesk, pleo

    apps = {
        "candis": lambda: candis.create_app(candis.CandisConfig(scale=SCALES["candis"], rate_limit=0)),
        "pleo": lambda: pleo.create_app(pleo.PleoConfig(scale=SCALES["pleo"], rate_limit=0)),
        "ivesk": lambda: ivesk.create_app(ivesk.IveskConfig(scale=SCALES["ivesk"])),
        "findity": lambda: findity.create_app(findity.FindityConfig(scale=SCALES["findity"])),
    }
    with contextlib.ExitStack() as stack:
        yield Providers({name: Sandbox(stack.enter_context(serve_in_thread(apps[name]()))) for name in names})


def journal_project(workdir: Path) -> MeltanoProject:
    """`meltano` (environment `test`) with this work dir's own system database, state, token store,
    warehouse and dbt target/log dirs (so a concurrent demo or test never shares dbt's artifacts)."""
    if not MELTANO.exists():
        pytest.fail(f"{MELTANO} is missing: run ./scripts/setup (or ./scripts/test) first", pytrace=False)
    workdir.mkdir(parents=True, exist_ok=True)
    sys_dir = workdir / "sys"
    sys_dir.mkdir(exist_ok=True)
    for kind in ("extractors", "loaders", "utilities"):
        if not (sys_dir / kind).exists():
            (sys_dir / kind).symlink_to(ROOT / ".meltano" / kind, target_is_directory=True)
    warehouse = workdir / "warehouse.duckdb"
    env = env_with(
        _clean_environ(),
        {
            "MELTANO_SYS_DIR_ROOT": str(sys_dir),
            "MELTANO_DATABASE_URI": f"sqlite:///{workdir / 'meltano.db'}",
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
            "XDG_STATE_HOME": str(workdir / "xdg-state"),
            "TAP_CANDIS_TOKEN_STORE_DIR": str(workdir / "tokens"),
            "TARGET_DUCKDB_FILEPATH": str(warehouse),
            "TARGET_DUCKDB_TEMP_DIR": str(workdir),
            "DBT_DUCKDB_PATH": str(warehouse),
            # Meltano reads a utility's settings from <UTILITY>_<SETTING> and passes them on under their
            # `env` names (DBT_TARGET_PATH, JOURNAL_*): set them for both dbt utilities
            **dbt_settings(target_path=str(workdir / "dbt-target"), log_path=str(workdir / "dbt-logs")),
        },
    )
    return MeltanoProject(workdir=workdir, env=env)


def dbt_settings(**settings: str) -> dict[str, str]:
    """Settings of both dbt utilities as the environment variables Meltano reads them from."""
    return {f"{u.upper().replace('-', '_')}_{k.upper()}": v for u in DBT_UTILITIES for k, v in settings.items()}


def dbt_target(project: MeltanoProject) -> Path:
    return Path(project.env["DBT_DUCKDB_TARGET_PATH"])


@dataclasses.dataclass
class DbtResults:
    """run_results.json of the last dbt command."""

    results: list[dict[str, t.Any]]

    @classmethod
    def read(cls, target: Path) -> DbtResults:
        """The results in a dbt target dir."""
        return cls(json.loads((target / "run_results.json").read_text())["results"])

    def statuses(self, kind: str = "test") -> Counter[str]:
        return Counter(r["status"] for r in self.results if r["unique_id"].startswith(f"{kind}."))

    def failed(self) -> set[str]:
        return {r["unique_id"].split(".")[2] for r in self.results if r["status"] not in ("pass", "success")}

    def ran(self) -> set[str]:
        return {r["unique_id"].split(".")[2] for r in self.results}


@pytest.fixture(scope="module")
def module_dir(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    return tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
