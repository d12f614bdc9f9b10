"""The `fleet_webhooks` sensor over a Dagster test instance: pending events become one run per tenant (run key =
the event id), events of a tenant whose run is queued or running wait and coalesce into one follow-up run,
an event is done when a covering run succeeds, a failed run leaves it pending for a retry run.

The tenant's asset here is a stand-in with the fleet's key and partitions (`fleet/<provider>`,
`<provider>_tenants`) whose body the test controls; the real asset (a `meltano run`) is in
test_dagster_end_to_end.py."""

from __future__ import annotations

import dataclasses
import time
import typing as t

import dagster as dg
import pytest
from orchestrate.tenants import load_fleet
from orchestrate.webhook_sensor import EVENTS_TAG, decide, webhook_sensor
from webhooks.store import Event, EventStore

from tests.helpers import ROOT
from tests.webhooks.conftest import Setup, tenants_document


def key_of(provider: str) -> dg.AssetKey:
    return dg.AssetKey(["fleet", provider])


@dataclasses.dataclass
class Harness:
    """A store, the fleet, a Dagster instance and the stand-in asset; `body` runs inside each materialization."""

    store: EventStore
    setup: Setup
    instance: dg.DagsterInstance
    tenant: str
    body: t.Callable[[], None] = lambda: None

    def __post_init__(self) -> None:
        parts = dg.DynamicPartitionsDefinition(name="ivesk_tenants")
        self.instance.add_dynamic_partitions("ivesk_tenants", [self.tenant])

        @dg.asset(key=key_of("ivesk"), partitions_def=parts, io_manager_key="none")
        def _asset() -> None:
            self.body()

        @dg.io_manager
        def _none() -> dg.IOManager:
            class Nothing(dg.IOManager):
                def handle_output(self, context: t.Any, obj: t.Any) -> None:
                    pass

                def load_input(self, context: t.Any) -> None:
                    return None

            return Nothing()

        self.asset = _asset
        self.resources = {"none": _none}

    def receive(self, n: int = 1) -> list[Event]:
        events = [Event("ivesk", f"msg-{time.monotonic_ns()}-{i}", self.tenant, "on_exported", {}) for i in range(n)]
        for event in events:
            assert self.store.add(event)
        return events

    def tick(self, retry_delay: float = 0.0) -> list[dg.RunRequest]:
        fleet = load_fleet(self.setup.tenants_file, ROOT / "meltano.yml")
        return decide(self.instance, self.store, fleet, asset_key=key_of, retry_delay=retry_delay).requests

    def launch(self, request: dg.RunRequest) -> dg.ExecuteInProcessResult:
        """What the daemon does with a RunRequest, in process."""
        tags = {**request.tags, "dagster/run_key": request.run_key}
        return dg.materialize(
            [self.asset],
            instance=self.instance,
            partition_key=request.partition_key,
            tags=tags,
            resources=self.resources,
            raise_on_error=False,
        )


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[dg.DagsterInstance]:
    """One Dagster test instance for the module (making one takes seconds); each test has its own tenant."""
    with dg.instance_for_test(temp_dir=str(tmp_path_factory.mktemp("dagster"))) as found:
        yield found


@pytest.fixture
def harness(setup: Setup, instance: dg.DagsterInstance, request: pytest.FixtureRequest) -> t.Iterator[Harness]:
    tenant = f"ivesk-{abs(hash(request.node.name)) % 10**8}"
    document = tenants_document()
    document["tenants"][0]["name"] = tenant
    setup.write_tenants(document)
    store = EventStore.open(str(setup.store_path))
    yield Harness(store, setup, instance, tenant)
    store.close()


def test_pending_events_of_a_tenant_become_one_run_and_are_done_when_it_succeeds(harness):
    first, *_ = harness.receive(3)
    (request,) = harness.tick()
    assert request.run_key == first.event_id and request.partition_key == harness.tenant
    assert request.tags[EVENTS_TAG] == "3" and request.asset_selection == [key_of("ivesk")]
    assert harness.tick() == []  # requested, not launched yet: not requested twice
    result = harness.launch(request)
    assert result.success
    assert harness.tick() == []
    events = harness.store.events()
    assert {e.status for e in events} == {"done"} and {e.done_by for e in events} == {f"dagster run {result.run_id}"}


def test_an_event_during_a_running_run_waits_and_gets_one_follow_up_run(harness):
    harness.receive()
    (request,) = harness.tick()
    seen: dict[str, t.Any] = {}

    def body() -> None:  # while the run goes on, two events arrive; a tick requests nothing
        seen["late"] = harness.receive(2)
        seen["requests"] = harness.tick()

    harness.body = body
    assert harness.launch(request).success
    assert seen["requests"] == []
    late_ids = {e.event_id for e in seen["late"]}
    harness.body = lambda: None
    (follow_up,) = harness.tick()  # the first event is done; one run for both late ones
    # the run started before them: it does not cover them
    assert {e.event_id for e in harness.store.pending()} == late_ids
    assert follow_up.tags[EVENTS_TAG] == "2" and follow_up.run_key in late_ids
    assert harness.launch(follow_up).success
    harness.tick()
    assert harness.store.pending() == []


def test_a_failed_run_leaves_its_events_pending_and_a_retry_run_covers_them(harness):
    (event,) = harness.receive()
    (request,) = harness.tick()

    def fail() -> None:
        raise dg.Failure("HTTP 503 from the provider")

    harness.body = fail
    assert not harness.launch(request).success
    assert harness.tick(retry_delay=3600) == []  # the retry waits for its delay
    (stored,) = harness.store.pending()
    assert "FAILURE" in stored.last_error and stored.attempts == 1
    harness.body = lambda: None
    (retry,) = harness.tick(retry_delay=0)
    assert retry.run_key == f"{event.event_id}#2"  # Dagster never launches a run key twice
    assert harness.launch(retry).success
    harness.tick()
    (done,) = harness.store.events()
    assert done.status == "done" and done.attempts == 2


def test_a_run_started_elsewhere_after_the_event_covers_it(harness):
    harness.receive()
    request = dg.RunRequest(partition_key=harness.tenant, run_key="scheduled", tags={})  # e.g. the polling schedule
    assert harness.launch(request).success
    assert harness.tick() == []
    assert [e.status for e in harness.store.events()] == ["done"]


def test_the_sensor_definition_reads_the_store_of_the_settings(harness, setup):
    settings = dataclasses.make_dataclass(
        "S",
        [("project_root", t.Any), ("tenants_file", t.Any), ("meltano_yml", t.Any), ("environ", t.Any)],
    )(ROOT, setup.tenants_file, ROOT / "meltano.yml", {"WEBHOOKS_STORE": str(setup.store_path)})
    settings.base_environ = lambda: settings.environ  # what FleetSettings offers
    sensor = webhook_sensor(settings, asset_key=key_of)
    assert isinstance(sensor(dg.build_sensor_context(instance=harness.instance)), dg.SkipReason)
    harness.receive()
    result = sensor(dg.build_sensor_context(instance=harness.instance))
    assert isinstance(result, dg.SensorResult) and len(result.run_requests) == 1
