"""From a provider's event to the tenant's data in the warehouse: a sandbox admin action, its webhook, the
receiver (a free loopback port), the code location's `fleet_webhooks` sensor in process (or `webhooks drain`,
without Dagster), the tenant's own `meltano run`, the new records in DuckDB exactly once. The seconds from the
admin action to the loaded data are reported at the end of the run."""

from __future__ import annotations

import concurrent.futures
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
import typing as t

import dagster as dg
import pytest
from orchestrate.definitions import asset_key, build_definitions
from orchestrate.tenants import load_fleet
from orchestrate.webhook_sensor import SENSOR_NAME
from sandbox.ivesk import API_KEY as IVESK_API_KEY
from warehouse_summary import DuckDBWarehouse
from webhooks.drain import drain_once
from webhooks.store import EventStore

from tests.e2e.conftest import MELTANO, MeltanoProject
from tests.e2e.conftest import meltano as meltano  # the e2e tests' isolated Meltano (system db, warehouse)
from tests.helpers import BIN, ROOT
from tests.orchestrate.conftest import fleet as fleet  # the code location's settings and a Dagster test instance
from tests.orchestrate.harness import Fleet
from tests.webhooks.conftest import (
    FINDITY_SECRET,
    LATENCIES,
    Setup,
    ivesk_deliveries,
    open_pleo_job,
    pleo_deliveries,
    subscribe_ivesk,
    subscribe_pleo,
    tenants_document,
    trust_sns,
    wait_until,
)

pytestmark = pytest.mark.e2e


def drain(setup: Setup, meltano: MeltanoProject, store: EventStore) -> list[t.Any]:
    """`webhooks drain`, once: the pending tenants' meltano runs, in the test's isolated Meltano."""
    fleet = load_fleet(setup.tenants_file, ROOT / "meltano.yml")
    with (meltano.workdir / "meltano.log").open("a", encoding="utf-8") as log:
        results = drain_once(
            store,
            fleet,
            project_root=ROOT,
            meltano=str(MELTANO),
            environ=meltano.env | setup.environ,
            log=lambda line: print(line, file=log, flush=True),
            output=log,
        )
    failed = [r for r in results if not r.ok]
    if failed:
        tail = (meltano.workdir / "meltano.log").read_text(encoding="utf-8").splitlines()[-40:]
        pytest.fail(f"drain failed: {failed}\n" + "\n".join(tail), pytrace=False)
    return results


def launch(ref: t.Any, settings: t.Any, partition: str, tags: dict[str, str]) -> tuple[str, bool]:
    """In a worker process: what the daemon does with a RunRequest of the sensor (the tenant's fleet asset)."""
    with dg.DagsterInstance.from_ref(ref) as instance:
        definitions = build_definitions(settings)
        asset = definitions.get_assets_def(asset_key(tags["fleet/provider"]))
        result = dg.materialize([asset], instance=instance, partition_key=partition, tags=tags, raise_on_error=False)
        return result.run_id, result.success


def through_dagster(fleet: Fleet, setup: Setup) -> list[dg.DagsterRun]:
    """The code location's `fleet_webhooks` sensor, in process: one tick, each RunRequest materialized as the
    daemon would launch it (the tenant's real `meltano run`), then one more tick, which marks the events done."""
    fleet.with_settings(
        environ={**fleet.settings.base_environ(), **setup.environ, "WEBHOOKS_STORE": str(setup.store_path)}
    )
    fleet.sync_partitions()
    definitions = build_definitions(fleet.settings)
    sensor = next(s for s in definitions.sensors or [] if s.name == SENSOR_NAME)
    tick = sensor(dg.build_sensor_context(instance=fleet.instance))
    assert isinstance(tick, dg.SensorResult), tick
    results = []
    context = multiprocessing.get_context("spawn")  # each run in a process of its own, as Dagster runs them
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        for request in tick.run_requests:
            tags = {**request.tags, "dagster/run_key": request.run_key}
            work = pool.submit(launch, fleet.instance.get_ref(), fleet.settings, request.partition_key, tags)
            run_id, success = work.result(timeout=600)
            assert success, "\n".join(fleet.log_messages(run_id)[-40:])
            results.append(fleet.instance.get_run_by_id(run_id))
    after = sensor(dg.build_sensor_context(instance=fleet.instance))
    assert isinstance(after, dg.SkipReason), after
    return results


def warehouse_ids(where: MeltanoProject | Fleet, schema: str, table: str, column: str = "id") -> list[str]:
    path = (where.workdir if isinstance(where, MeltanoProject) else where.root) / "warehouse.duckdb"
    if not path.exists():
        return []
    with DuckDBWarehouse(path, schema=schema) as warehouse:
        query = f'SELECT "{column}" FROM {schema}.{table}'  # noqa: S608 - the test's own table names
        return [str(row[0]) for row in warehouse._query(query)]


def all_delivered(ivesk: t.Any) -> int:
    """How many Notifications the Įvesk sandbox delivered, once none is still being retried (0 before)."""
    notes = [d for d in ivesk_deliveries(ivesk) if d["type"] == "Notification"]
    return len(notes) if notes and all(d["delivered"] for d in notes) else 0


def report(request: pytest.FixtureRequest, started: float) -> float:
    seconds = time.monotonic() - started
    LATENCIES.append((request.node.name, seconds))  # printed at the end of the run (conftest.py)
    request.node.user_properties.append(("event_to_data_s", round(seconds, 3)))
    return seconds


def test_ivesk_export_lands_in_duckdb_through_sns_webhook_and_the_sensor(ivesk_factory, setup, fleet, request):
    ivesk = ivesk_factory(scale=30, webhook_retry_base=0.05)
    setup.write_tenants(tenants_document(ivesk=ivesk.url))
    hooks = setup.receiver(sns_ca_file=trust_sns(ivesk, setup))
    config = setup.root / "ivesk.json"
    config.write_text(json.dumps({"api_url": ivesk.url, "api_key": IVESK_API_KEY}), encoding="utf-8")
    target = f"{hooks.url}/ivesk"
    subscribed = subprocess.run(
        [
            BIN / "tap-ivesk-commands",
            "--config",
            str(config),
            "subscribe",
            "--json",
            "--event",
            "on_exported",
            "--target",
            target,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert subscribed.returncode == 0, subscribed.stderr
    assert json.loads(subscribed.stdout)["status"] == "requested"
    wait_until(lambda: any(s["confirmed"] for s in ivesk.admin("GET", "/ivesk/subscriptions")), what="confirmation")

    started = time.monotonic()
    exported = ivesk.admin("POST", "/ivesk/export", {"count": 3})  # the accountant clicks Export
    # one on_exported per company of the Export; the tenant holds all three companies
    notified = wait_until(lambda: all_delivered(ivesk), what="delivered on_exported notifications")
    events = hooks.store.pending()
    assert len(events) == notified and {e.tenant for e in events} == {"baltic-ivesk"}
    (run,) = through_dagster(fleet, setup)  # one run covers them all
    seconds = report(request, started)

    assert run.tags["fleet/webhook-events"] == str(len(events))
    landed = warehouse_ids(fleet, "tap_ivesk", "documents")
    assert set(exported["ids"]) <= set(landed) and len(landed) == len(set(landed))
    assert all(hooks.store.get("ivesk", e.event_id).status == "done" for e in events)
    assert seconds < 120


def test_pleo_export_job_lands_in_duckdb_through_standard_webhook_and_the_sensor(pleo_factory, setup, fleet, request):
    pleo = pleo_factory(scale=40)
    setup.write_tenants(tenants_document(pleo=pleo.url))
    hooks = setup.receiver()
    subscribe_pleo(pleo, f"{hooks.url}/pleo", setup)

    started = time.monotonic()
    job = open_pleo_job(pleo, 4)  # the accountant clicks Export: v1.export-job.created
    (event,) = wait_until(hooks.store.pending, what="stored Pleo event")
    (run,) = through_dagster(fleet, setup)
    report(request, started)

    assert run.tags["dagster/run_key"] == event.event_id
    assert job["id"] in warehouse_ids(fleet, "tap_pleo", "export_jobs")
    items = warehouse_ids(fleet, "tap_pleo", "export_job_items", "exportjobid")
    assert items.count(job["id"]) == job["numberOfItems"]
    assert hooks.store.get("pleo", event.event_id).status == "done"


def test_findity_bulk_send_lands_in_duckdb_through_secret_url_webhook_and_the_sensor(
    findity_factory, setup, fleet, request
):
    findity = findity_factory()
    setup.write_tenants(tenants_document(findity=findity.url))
    hooks = setup.receiver()
    findity.configure(webhook_url=f"{hooks.url}/findity/{FINDITY_SECRET}")

    started = time.monotonic()
    sent = findity.admin("POST", "/findity/bulk-send", {"count": 3})  # the admin sends the reports
    assert sent["webhook"]["status"] == 200
    through_dagster(fleet, setup)
    report(request, started)

    exports = warehouse_ids(fleet, "tap_findity", "exports")
    assert exports.count(sent["export"]["id"]) == 1
    assert hooks.store.get("findity", sent["export"]["id"]).status == "done"


def test_receiver_down_during_a_delivery_pleo_retries_and_the_data_lands_once(pleo_factory, setup, meltano):
    pleo = pleo_factory(scale=40)
    setup.write_tenants(tenants_document(pleo=pleo.url))
    hooks = setup.receiver()
    port = hooks.server.port
    subscribe_pleo(pleo, f"{hooks.url}/pleo", setup, schedule=[0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8])
    hooks.stop()  # the receiver is down

    job = open_pleo_job(pleo, 3)
    wait_until(lambda: pleo_deliveries(pleo)[0]["attempts"] >= 2, what="two failed deliveries")
    assert not pleo_deliveries(pleo)[0]["delivered"] and hooks.store.events() == []
    hooks.start(port)  # back, on the same port: a later redelivery gets through
    (delivery,) = wait_until(lambda: [d for d in pleo_deliveries(pleo) if d["delivered"]], what="redelivery")
    assert delivery["attempts"] >= 3
    drain(setup, meltano, hooks.store)

    (event,) = hooks.store.events()
    assert event.event_id == delivery["webhookId"] and event.status == "done"
    assert warehouse_ids(meltano, "tap_pleo", "export_jobs").count(job["id"]) == 1


def serve(setup: Setup, port: int, *, crash_after_store: bool) -> subprocess.Popen[str]:
    """`webhooks serve` in a process of its own (so it can be killed), on `port`."""
    port_file = setup.root / f"receiver-{time.monotonic_ns()}.url"
    env = {
        **os.environ,
        **setup.environ,
        "WEBHOOKS_SNS_CERT_HOSTS": r"127\.0\.0\.1",
        "WEBHOOKS_SNS_CA_FILE": str(setup.root / "sns-ca.pem"),
        "WEBHOOKS_CRASH_AFTER_STORE": "1" if crash_after_store else "",
    }
    where = ["--project-root", str(ROOT), "--tenants-file", str(setup.tenants_file), "--store", str(setup.store_path)]
    with (setup.root / "receiver.log").open("a", encoding="utf-8") as log:  # the child keeps its own copy
        proc = subprocess.Popen(
            [sys.executable, "-m", "webhooks", "serve", "--port", str(port), "--port-file", str(port_file), *where],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
            text=True,
            start_new_session=True,
        )
    wait_until(lambda: port_file.exists() or proc.poll() is not None, what="receiver start", timeout=60)
    assert proc.poll() is None, (setup.root / "receiver.log").read_text()
    return proc


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_receiver_killed_between_storing_and_answering_keeps_the_event_and_its_run_happens(
    ivesk_factory, setup, meltano
):
    ivesk = ivesk_factory(scale=30, webhook_retry_base=0.2)
    setup.write_tenants(tenants_document(ivesk=ivesk.url))
    trust_sns(ivesk, setup)
    port = free_port()
    proc = serve(setup, port, crash_after_store=True)
    try:
        subscribe_ivesk(ivesk, f"http://127.0.0.1:{port}/ivesk")  # confirmations are not stored: no crash
        exported = ivesk.admin("POST", "/ivesk/export", {"count": 2, "companycode": "302320404"})
        proc.wait(timeout=60)  # stored the event, then died before answering
        assert proc.returncode == 70
        with EventStore.open(str(setup.store_path)) as store:
            (event,) = store.pending()  # on disk, pending: nothing ran it yet
        proc = serve(setup, port, crash_after_store=False)  # restarted: SNS's retry is a duplicate
        wait_until(
            lambda: any(d["delivered"] for d in ivesk_deliveries(ivesk) if d["type"] == "Notification"),
            what="redelivery",
        )
        with EventStore.open(str(setup.store_path)) as store:
            assert [e.event_id for e in store.events()] == [event.event_id]
            drain(setup, meltano, store)
            assert store.get("ivesk", event.event_id).status == "done"
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    landed = warehouse_ids(meltano, "tap_ivesk", "documents")
    assert set(exported["ids"]) <= set(landed) and len(landed) == len(set(landed))
