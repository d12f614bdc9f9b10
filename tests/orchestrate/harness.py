"""Dagster in process, against a test instance on disk, for the fleet tests.

Concurrent runs are materialized in worker processes (sharing the instance through its ref) as a Dagster
deployment runs each run in a process of its own: `materialize()` in several threads of one process deadlocks
inside Dagster (every run's log manager calls logging.config.dictConfig while other threads log). The workers
fork from a forkserver that has imported Dagster once (a spawned worker would spend seconds importing it).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import decimal
import multiprocessing
import textwrap
import typing as t
from pathlib import Path

import dagster as dg
import yaml
from orchestrate.definitions import asset_key, build_definitions, tenants_sensor
from orchestrate.settings import FleetSettings

_WORKERS = multiprocessing.get_context("forkserver")
_WORKERS.set_forkserver_preload([__name__])
STEP_EVENTS = ("STEP_START", "STEP_RESTARTED", "STEP_UP_FOR_RETRY", "STEP_SUCCESS", "STEP_FAILURE")
#: what a good tenant's run may be retried for: runs starting together on one shared resource - two first loads of
#: a provider creating one PostgreSQL table or schema at once, Meltano's SQLite system database busy with another
#: run (orchestrate/README.md, "Retries"). A retry for anything else (the provider, the tap) fails the test.
SHARED_RESOURCE_RACES = ("pg_type_typname_nsp_index", "pg_namespace_nspname_index", "database is locked")


@dataclasses.dataclass
class Outcome:
    """One materialization of one partition, as the worker process saw it (picklable)."""

    partition: str
    success: bool
    run_id: str
    steps: list[tuple[str, float]]  # (STEP_* event, timestamp)
    metadata: dict[str, t.Any]  # of the materialization, or of the final Failure
    failure: str | None  # the final Failure's description
    retried: list[str]  # the error of every STEP_UP_FOR_RETRY

    @property
    def events(self) -> list[str]:
        return [name for name, _ in self.steps]

    def assert_succeeded(self) -> None:
        """It succeeded, retried (if at all) only for a race on a shared resource."""
        assert self.events[-1] == "STEP_SUCCESS", (self.partition, self.failure)
        assert all(any(race in error for race in SHARED_RESOURCE_RACES) for error in self.retried), (
            self.partition,
            self.retried,
        )
        assert self.metadata["exit_code"] == 0

    def windows(self) -> list[tuple[float, float]]:
        """When the step was executing (each attempt), from the run's recorded step events."""
        out, start = [], None
        for name, when in self.steps:
            if name in ("STEP_START", "STEP_RESTARTED"):
                start = when
            elif start is not None:
                out.append((start, when))
                start = None
        return out


def _plain(metadata: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    return {key: getattr(value, "value", value) for key, value in metadata.items()}


def materialize_partition(ref: t.Any, settings: FleetSettings, provider: str, partition: str) -> Outcome:
    """In a worker process: materialize `partition` of the provider's asset on the instance `ref`."""
    with dg.DagsterInstance.from_ref(ref) as instance:
        asset = build_definitions(settings).get_assets_def(asset_key(provider))
        result = dg.materialize([asset], instance=instance, partition_key=partition, raise_on_error=False)
        steps, metadata, failure, retried = [], {}, None, []
        for record in instance.all_logs(result.run_id):
            event = record.dagster_event
            if event is None or event.event_type_value not in (*STEP_EVENTS, "ASSET_MATERIALIZATION"):
                continue
            if event.event_type_value == "ASSET_MATERIALIZATION":
                metadata = _plain(event.step_materialization_data.materialization.metadata)
                continue
            steps.append((event.event_type_value, record.timestamp))
            if event.event_type_value == "STEP_UP_FOR_RETRY":
                retried.append(event.step_retry_data.error.to_string() if event.step_retry_data.error else "")
            if event.event_type_value == "STEP_FAILURE":
                user = event.step_failure_data.user_failure_data
                failure = user.description if user else event.step_failure_data.error.message
                metadata = _plain(user.metadata) if user else {}
        return Outcome(partition, result.success, result.run_id, steps, metadata, failure, retried)


@dataclasses.dataclass
class Fleet:
    """A tenants file, the settings the code location is built with, and a Dagster test instance."""

    root: Path
    settings: FleetSettings
    instance: dg.DagsterInstance

    def write_tenants(self, text: str) -> None:
        self.settings.tenants_file.write_text(textwrap.dedent(text), encoding="utf-8")

    def write_tenant_list(self, tenants: list[dict[str, t.Any]], **defaults: t.Any) -> None:
        document = {"version": 1, "defaults": {"environment": "test", **defaults}, "tenants": tenants}
        self.settings.tenants_file.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")

    def with_settings(self, **changes: t.Any) -> None:
        self.settings = dataclasses.replace(self.settings, **changes)

    def sync_partitions(self) -> dg.SensorResult | dg.SkipReason:
        """One tick of the fleet_tenants sensor, its partition requests applied as the daemon does."""
        context = dg.build_sensor_context(instance=self.instance)
        result = tenants_sensor(self.settings)(context)
        if isinstance(result, dg.SensorResult):
            for request in result.dynamic_partitions_requests or []:
                if isinstance(request, dg.AddDynamicPartitionsRequest):
                    self.instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
                else:
                    for key in request.partition_keys:
                        self.instance.delete_dynamic_partition(request.partitions_def_name, key)
        return result

    def partitions(self, provider: str) -> list[str]:
        return sorted(self.instance.get_dynamic_partitions(f"{provider}_tenants"))

    @contextlib.contextmanager
    def materializing(self, provider: str, *partitions: str) -> t.Iterator[dict[str, concurrent.futures.Future]]:
        """Start materializing the partitions at the same time, one worker process each."""
        with concurrent.futures.ProcessPoolExecutor(len(partitions), mp_context=_WORKERS) as pool:
            yield {
                key: pool.submit(materialize_partition, self.instance.get_ref(), self.settings, provider, key)
                for key in partitions
            }

    def materialize(self, provider: str, *partitions: str) -> dict[str, Outcome]:
        """Materialize the partitions at the same time, one worker process each; wait for every one."""
        with self.materializing(provider, *partitions) as futures:
            return {key: future.result(timeout=600) for key, future in futures.items()}

    def materialize_many(self, runs: t.Iterable[tuple[str, str]], workers: int | None = None) -> dict[str, Outcome]:
        """Materialize `(provider, partition)` pairs of several providers at the same time, at most `workers` at once
        (default: one worker each); wait for every one. Keyed by partition (tenant names are unique)."""
        pairs = list(runs)
        ref = self.instance.get_ref()
        with concurrent.futures.ProcessPoolExecutor(workers or len(pairs), mp_context=_WORKERS) as pool:
            futures = {
                key: pool.submit(materialize_partition, ref, self.settings, provider, key) for provider, key in pairs
            }
            return {key: future.result(timeout=900) for key, future in futures.items()}

    def log_messages(self, run_id: str) -> list[str]:
        """What the run logged through context.log (Meltano's output among it)."""
        return [record.user_message for record in self.instance.all_logs(run_id) if record.dagster_event is None]


def findity_tenant(name: str, organization: str, url: str, root: Path, secret_var: str, **settings: t.Any) -> dict:
    """A Findity tenant of a tenants file on the emulator at `url` (the sandbox's OAuth client, manifests
    under `root`), its client secret in `secret_var`."""
    from sandbox.findity import CLIENT_ID

    return {
        "name": name,
        "provider": "findity",
        "organization_id": organization,
        "settings": {
            "api_url": url + "/api",
            "token_url": url + "/oauth/token",
            "client_id": CLIENT_ID,
            "manifest_dir": str(root / "manifests"),
            **settings,
        },
        "secrets": {"client_secret": secret_var},
    }


def max_overlap(windows: t.Iterable[tuple[float, float]]) -> int:
    """The most intervals open at one instant (an end before a start at the same instant)."""
    spans = list(windows)
    points = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    most = current = 0
    for _, step in points:
        current += step
        most = max(most, current)
    return most


def merged_truth(*truths: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """Several sandboxes' ground truths as one (counts and per-currency money added up), for tenants that
    load into the same tables."""
    streams: dict[str, dict[str, t.Any]] = {}
    for truth in truths:
        for name, stream in truth["streams"].items():
            into = streams.setdefault(name, {"count": 0, "money": {}})
            into["count"] += int(stream["count"])
            for path, currencies in (stream.get("money") or {}).items():
                sums = into["money"].setdefault(path, {})
                for currency, amount in currencies.items():
                    total = decimal.Decimal(str(sums.get(currency, "0"))) + decimal.Decimal(str(amount))
                    sums[currency] = str(total)
    return {"streams": streams}
