"""The sensor `fleet_webhooks`: pending webhook events (webhooks/, its store) become the tenant's run.

Each tick reads the store's pending events and, per tenant, looks at the tenant's runs of its fleet asset
(`fleet/<provider>`, partition = the tenant):

* **Covered**: a run that started after the event was stored (or is still queued) reads the provider after
  the event happened. When such a run succeeds, the event is marked done (`done_by` names the run); any run
  counts, the sensor's, a schedule's or one started by hand.
* **Coalesced**: while a covering run is queued or running, nothing is requested. While a run of the tenant is
  running that started before the event, the event waits for it to end, then gets one follow-up run. Every
  event of the tenant that needs a run rides on one RunRequest (run key = the oldest such event's id; a retry
  after a failure adds `#<attempt>`, since Dagster never launches a run key twice).
* **Failed**: a covering run that failed or was canceled leaves its events pending, with the error; the
  sensor requests a new run `retry_delay` seconds after the failure (doubled per attempt, at most an hour).
  Polling schedules stay as the safety net.

Runs and events are compared by wall-clock time (the run's start, the event's `received_at`): the receiver
and Dagster must share a clock (NTP). A skew that makes runs look older only costs extra runs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
import typing as t

import dagster as dg

from orchestrate.tenants import PROVIDERS, Fleet, TenantsFileError, load_fleet

if t.TYPE_CHECKING:
    from webhooks.store import EventStore, StoredEvent

SENSOR_NAME = "fleet_webhooks"
EVENTS_TAG = "fleet/webhook-events"
RUN_KEY_TAG = "dagster/run_key"
PARTITION_TAG = "dagster/partition"
IN_FLIGHT = {
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
}
FAILED = {dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}
#: A requested run that has no run record after this long was lost (the tick failed): request it again.
REQUEST_GRACE = 300.0
MAX_RETRY_DELAY = 3600.0


def default_asset_key(provider: str) -> dg.AssetKey:
    from orchestrate.definitions import asset_key

    return asset_key(provider)


@dataclasses.dataclass
class Decision:
    """What one tick does: runs to request, events to mark, and a line per tenant for the tick's log."""

    requests: list[dg.RunRequest] = dataclasses.field(default_factory=list)
    lines: list[str] = dataclasses.field(default_factory=list)


def _runs(instance: dg.DagsterInstance, tenant: str, asset: dg.AssetKey) -> list[t.Any]:
    """The tenant's recent runs of its fleet asset, newest first (a partition is a tenant: tenant names are
    unique in the file; a run that names its assets must name this one)."""
    records = instance.get_run_records(dg.RunsFilter(tags={PARTITION_TAG: tenant}), limit=50)
    return [r for r in records if not r.dagster_run.asset_selection or asset in r.dagster_run.asset_selection]


def _started(record: t.Any) -> float | None:
    return record.start_time


def _covers(record: t.Any, event: StoredEvent) -> bool:
    """The run reads the provider after the event: it started after the event was stored, or has not started."""
    started = _started(record)
    if started is None:
        return record.dagster_run.status in IN_FLIGHT
    return started >= event.received_at


def decide(
    instance: dg.DagsterInstance,
    store: EventStore,
    fleet: Fleet,
    *,
    asset_key: t.Callable[[str], dg.AssetKey] = default_asset_key,
    retry_delay: float = 300.0,
    now: float | None = None,
) -> Decision:
    """One tick's work against the store and the instance (marks events done / failed / requested)."""
    from webhooks.store import PENDING  # the webhooks package owns the store

    now = time.time() if now is None else now
    decision = Decision()
    by_tenant: dict[str, list[StoredEvent]] = {}
    for event in store.events(PENDING):
        by_tenant.setdefault(event.tenant, []).append(event)
    for tenant, events in by_tenant.items():
        run = fleet.runs.get(tenant)
        if run is None:
            decision.lines.append(f"tenant {tenant}: not in {fleet.path}; its {len(events)} event(s) stay pending")
            continue
        asset = asset_key(run.tenant.provider)
        records = _runs(instance, tenant, asset)
        by_key = {r.dagster_run.tags.get(RUN_KEY_TAG): r for r in records}
        need, waiting, retry_at = [], 0, 0.0
        for event in events:
            covering = [r for r in records if _covers(r, event)]
            done = next((r for r in covering if r.dagster_run.status == dg.DagsterRunStatus.SUCCESS), None)
            if done is not None:
                store.mark_done([event.key], f"dagster run {done.dagster_run.run_id}")
                continue
            if any(r.dagster_run.status in IN_FLIGHT for r in covering):
                waiting += 1
                continue
            requested = by_key.get(event.requested_key) if event.requested_key else None
            if event.requested_key and requested is None and now - (event.requested_at or 0) < REQUEST_GRACE:
                waiting += 1  # requested on an earlier tick; the daemon has not created the run yet
                continue
            failed = [r for r in covering if r.dagster_run.status in FAILED]
            if failed:
                last = max(failed, key=lambda r: r.end_time or 0)
                if event.requested_key:
                    store.mark_failed(
                        [event.key], f"dagster run {last.dagster_run.run_id} {last.dagster_run.status.value}"
                    )
                delay = min(retry_delay * 2 ** max(event.attempts - 1, 0), MAX_RETRY_DELAY)
                retry_at = max(retry_at, (last.end_time or now) + delay)
            need.append(event)
        if not need:
            if waiting:
                decision.lines.append(f"tenant {tenant}: {waiting} event(s) wait for a queued or running run")
            continue
        if retry_at > now:
            decision.lines.append(f"tenant {tenant}: {len(need)} event(s) retried in {retry_at - now:.0f} s")
            continue
        if any(r.dagster_run.status in IN_FLIGHT for r in records):
            decision.lines.append(f"tenant {tenant}: {len(need)} event(s) wait for the running run to end")
            continue
        first = need[0]
        run_key = first.event_id if first.attempts == 0 else f"{first.event_id}#{first.attempts + 1}"
        store.mark_requested([e.key for e in need], run_key, now)
        decision.requests.append(
            dg.RunRequest(
                run_key=run_key,
                partition_key=tenant,
                asset_selection=[asset],
                tags={
                    "fleet/tenant": tenant,
                    "fleet/provider": run.tenant.provider,
                    EVENTS_TAG: str(len(need)),
                },
            )
        )
        decision.lines.append(f"tenant {tenant}: run {run_key} for {len(need)} event(s)")
    return decision


def open_store(settings: t.Any) -> EventStore:
    """The receiver's store: WEBHOOKS_STORE, else `<project root>/.meltano/webhooks/events.db`."""
    from webhooks.settings import Settings
    from webhooks.store import EventStore

    environ = settings.base_environ() if hasattr(settings, "base_environ") else dict(os.environ)
    return EventStore.open(Settings.from_env(environ, project_root=settings.project_root).store)


def webhook_sensor(
    settings: t.Any,
    *,
    asset_key: t.Callable[[str], dg.AssetKey] = default_asset_key,
    interval: int | None = None,
    retry_delay: float | None = None,
) -> dg.SensorDefinition:
    """The sensor over `settings` (orchestrate.settings.FleetSettings: project root, tenants file, environ).
    WEBHOOKS_SENSOR_INTERVAL (default 5 s) and WEBHOOKS_RETRY_DELAY (default 300 s) tune it."""
    environ = settings.base_environ() if hasattr(settings, "base_environ") else dict(os.environ)
    interval = interval if interval is not None else int(float(environ.get("WEBHOOKS_SENSOR_INTERVAL") or 5))
    delay = retry_delay if retry_delay is not None else float(environ.get("WEBHOOKS_RETRY_DELAY") or 300)

    @dg.sensor(
        name=SENSOR_NAME,
        minimum_interval_seconds=max(1, interval),
        default_status=dg.DefaultSensorStatus.RUNNING,
        asset_selection=[asset_key(provider) for provider in PROVIDERS],
        description="Turns the webhook receiver's pending events into one run per tenant (webhooks/README.md).",
    )
    def _sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        try:
            fleet = load_fleet(settings.tenants_file, settings.meltano_yml)
        except TenantsFileError as exc:
            return dg.SkipReason(f"{exc.path} is wrong, no webhook runs: " + "; ".join(exc.problems))
        try:
            store = open_store(settings)
        except ImportError:
            return dg.SkipReason("the webhooks package is not installed (pip install ./webhooks)")
        except Exception as exc:  # noqa: BLE001 - the store's error, whatever its driver: said, retried next tick
            return dg.SkipReason(f"the webhook store cannot be opened: {exc}")
        with contextlib.closing(store):
            decision = decide(context.instance, store, fleet, asset_key=asset_key, retry_delay=delay)
        for line in decision.lines:
            context.log.info(line)
        if not decision.requests:
            return dg.SkipReason("; ".join(decision.lines) or "no pending webhook events")
        return dg.SensorResult(run_requests=decision.requests)

    return _sensor
