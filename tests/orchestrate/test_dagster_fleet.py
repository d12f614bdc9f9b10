"""The fleet end to end: Dagster (in process, test instance) runs real `meltano run`s of tap-ivesk for several
tenants at once — each tenant an Įvesk sandbox of its own data — into one DuckDB file and one PostgreSQL
database; what landed is compared with every sandbox's ground truth. And a Findity tenant's write-back."""

from __future__ import annotations

import pytest
from sandbox.findity import CLIENT_SECRET as FINDITY_CLIENT_SECRET
from sandbox.findity import ORGANIZATION_ID as FINDITY_ORGANIZATION
from sandbox.ivesk import API_KEY, COMPANY_CODES
from warehouse_summary import DuckDBWarehouse, PostgresWarehouse, compare

from tests.e2e.conftest import PostgresServer
from tests.e2e.test_ivesk_meltano import assert_landed
from tests.orchestrate.conftest import meltano_for
from tests.orchestrate.harness import Fleet, findity_tenant, max_overlap, merged_truth

pytestmark = pytest.mark.e2e

SCALE = 30  # documents per sandbox (both queues): one page, a few seconds per run
WRONG_KEY = "dp_revoked_0000000000000000"


def ivesk_tenant(name: str, url: str, secret_var: str, **extra: object) -> dict:
    return {
        "name": name,
        "provider": "ivesk",
        "company_codes": list(COMPANY_CODES),
        "settings": {"api_url": url, "max_retries": 1},
        "secrets": {"api_key": secret_var},
        **extra,
    }


def test_a_fleet_cycle_lands_every_tenant_once_failures_stay_alone_and_the_next_cycle_is_incremental(
    fleet: Fleet, ivesk_factory, postgres_server: PostgresServer
) -> None:
    vilnius, kaunas, klaipeda = (ivesk_factory(scale=SCALE, seed=seed) for seed in (1, 2, 3))
    database = postgres_server.create_database("fleet_ivesk")
    fleet.write_tenant_list(
        [
            ivesk_tenant("vilnius", vilnius.url, "VILNIUS_KEY"),
            ivesk_tenant("kaunas", kaunas.url, "KAUNAS_KEY"),
            ivesk_tenant("klaipeda", klaipeda.url, "KLAIPEDA_KEY", loader="target-postgres"),
            ivesk_tenant("siauliai", vilnius.url, "SIAULIAI_KEY"),  # the variable is not set
            ivesk_tenant("panevezys", kaunas.url, "PANEVEZYS_KEY", loader="target-postgres"),  # a key it rejects
        ],
        loader="target-duckdb",
    )
    secrets = {"VILNIUS_KEY": API_KEY, "KAUNAS_KEY": API_KEY, "KLAIPEDA_KEY": API_KEY, "PANEVEZYS_KEY": WRONG_KEY}
    fleet.with_settings(environ={**fleet.settings.base_environ(), **secrets, **postgres_server.target_env(database)})
    fleet.sync_partitions()
    tenants = ("vilnius", "kaunas", "klaipeda", "siauliai", "panevezys")
    assert fleet.partitions("ivesk") == sorted(tenants)

    first = fleet.materialize("ivesk", *tenants)

    assert [name for name in tenants if first[name].success] == ["vilnius", "kaunas", "klaipeda"]
    missing, rejected = first["siauliai"], first["panevezys"]
    assert missing.failure == (
        "tenant siauliai: environment variable(s) SIAULIAI_KEY not set (named in the tenants file)"
    )
    assert rejected.failure.startswith("tenant panevezys: tap-ivesk: error: GET /columns/")
    assert "the API key was rejected" in rejected.failure
    for failed in (missing, rejected):  # permanent: failed once, never retried
        assert failed.events == ["STEP_START", "STEP_FAILURE"] and failed.metadata["failure"] == "permanent"
    assert rejected.metadata["exit_code"] != 0

    truths = {name: sandbox.admin("GET", "/ground-truth") for name, sandbox in good(vilnius, kaunas, klaipeda)}
    for name in ("vilnius", "kaunas", "klaipeda"):
        outcome = first[name]
        outcome.assert_succeeded()  # five runs start together: Meltano's system database may be busy once
        assert outcome.metadata["duration_s"] > 0
        assert outcome.metadata["rows/documents"] == int(truths[name]["streams"]["documents"]["count"])
        assert outcome.metadata["rows/columns"] > 0
    assert first["vilnius"].metadata["state_id"] == "test:tap-ivesk-to-target-duckdb:vilnius"
    assert first["klaipeda"].metadata["state_id"] == "test:tap-ivesk-to-target-postgres:klaipeda"
    # the two DuckDB loads took turns on the one file
    duckdb_runs = [first[n].metadata for n in ("vilnius", "kaunas")]
    assert max_overlap((m["started_at"], m["finished_at"]) for m in duckdb_runs) == 1
    assert_warehouses(fleet, postgres_server, database, truths)

    # Meltano's output is in the run's logs; no secret value is anywhere in them
    logs = {name: "\n".join(fleet.log_messages(first[name].run_id)) for name in tenants}
    assert "Block run completed" in logs["vilnius"] and "tap-ivesk: error: GET /columns/" in logs["panevezys"]
    assert not [name for name, text in logs.items() if API_KEY in text or WRONG_KEY in text]

    # next cycle: only what is new is read, and it lands once more
    exported = {
        name: sandbox.admin("POST", "/ivesk/export", {"count": 3}) for name, sandbox in good(vilnius, kaunas, klaipeda)
    }
    for _, sandbox in good(vilnius, kaunas, klaipeda):
        sandbox.clear_requests()
    second = fleet.materialize("ivesk", "vilnius", "kaunas", "klaipeda")

    for name, sandbox in good(vilnius, kaunas, klaipeda):
        assert second[name].success, second[name].failure
        assert second[name].metadata["rows/documents"] == exported[name]["exported"] > 0
        assert len([r for r in sandbox.requests() if r["path"] == "/exported"]) == 1
    truths = {name: sandbox.admin("GET", "/ground-truth") for name, sandbox in good(vilnius, kaunas, klaipeda)}
    assert_warehouses(fleet, postgres_server, database, truths)
    states = meltano_for(fleet).run("state", "list").stdout.split()
    assert {
        "test:tap-ivesk-to-target-duckdb:vilnius",
        "test:tap-ivesk-to-target-duckdb:kaunas",
        "test:tap-ivesk-to-target-postgres:klaipeda",
    } <= set(states)


def good(*sandboxes):
    return zip(("vilnius", "kaunas", "klaipeda"), sandboxes, strict=True)


def assert_warehouses(fleet: Fleet, postgres_server: PostgresServer, database: str, truths: dict) -> None:
    """vilnius and kaunas share the DuckDB tables (their documents, added up, once each); klaipeda has its
    PostgreSQL database to itself (every stream, exact decimals)."""
    with DuckDBWarehouse(fleet.root / "warehouse.duckdb", schema="tap_ivesk") as warehouse:
        both = merged_truth(truths["vilnius"], truths["kaunas"])
        report = compare(both, warehouse, title="vilnius + kaunas", streams=["documents"])
    assert report.ok and not [line for line in report.lines if line.note and line.label == "rows"], report.render()
    with PostgresWarehouse(postgres_server.dsn(database), schema="tap_ivesk") as warehouse:
        report = compare(truths["klaipeda"], warehouse, title="klaipeda", exact=True, exclude=("files",))
    assert_landed(report, truths["klaipeda"])


def test_a_transient_failure_is_retried_with_backoff_until_it_succeeds(fleet: Fleet, ivesk_factory) -> None:
    sandbox = ivesk_factory(scale=SCALE, seed=4)
    # the provider answers 503 for a while: every request of the first run (the tap tries each twice)
    sandbox.faults({"path": "^/(columns|exported)", "kind": "status", "status": 503, "retry_after": 0, "times": 2})
    fleet.write_tenant_list([ivesk_tenant("alytus", sandbox.url, "ALYTUS_KEY")])
    fleet.with_settings(environ={**fleet.settings.base_environ(), "ALYTUS_KEY": API_KEY})
    fleet.sync_partitions()

    outcome = fleet.materialize("ivesk", "alytus")["alytus"]

    assert outcome.success, outcome.failure
    assert outcome.events == ["STEP_START", "STEP_UP_FOR_RETRY", "STEP_RESTARTED", "STEP_SUCCESS"]
    (first_error,) = outcome.retried
    assert "tenant alytus: tap-ivesk: error: GET /columns/" in first_error and "HTTP 503" in first_error
    truth = sandbox.admin("GET", "/ground-truth")
    assert outcome.metadata["rows/documents"] == int(truth["streams"]["documents"]["count"])
    assert outcome.metadata["rows"]["documents"] > 0


def test_a_findity_tenants_run_confirms_its_exports_after_the_load(fleet: Fleet, findity_factory) -> None:
    sandbox = findity_factory(scale=10)
    fleet.write_tenant_list(
        [findity_tenant("nordic", FINDITY_ORGANIZATION, sandbox.url, fleet.root, "NORDIC_SECRET")],
        loader="target-duckdb",
    )
    fleet.with_settings(environ={**fleet.settings.base_environ(), "NORDIC_SECRET": FINDITY_CLIENT_SECRET})
    fleet.sync_partitions()
    assert [e["status"] for e in sandbox.admin("GET", "/findity/exports")] == ["UNPROCESSED"]

    outcome = fleet.materialize("findity", "nordic")["nordic"]

    assert outcome.success, outcome.failure
    assert outcome.metadata["command"].endswith("tap-findity target-duckdb findity-writeback:ack")
    assert outcome.metadata["rows/exports"] == 1 and outcome.metadata["rows/vouchers"] > 0
    # the write-back ran with the tenant's settings (not the utility's production defaults)
    assert [e["status"] for e in sandbox.admin("GET", "/findity/exports")] == ["PROCESSED"]
