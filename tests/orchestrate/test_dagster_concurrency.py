"""Concurrency of the fleet: the per-provider pool caps concurrent runs, and loads into one DuckDB file never
overlap whatever the pool allows. Only Dagster's side is under test here, so `meltano` is a stand-in
(tests/orchestrate/conftest.py)."""

from __future__ import annotations

import contextlib
import time

from orchestrate.runner import file_lock

from tests.orchestrate.harness import Fleet, max_overlap


def tenants(count: int, loader: str) -> list[dict]:
    return [
        {"name": f"t{i}", "provider": "ivesk", "company_codes": ["302320404"], "loader": loader} for i in range(count)
    ]


def test_the_provider_pool_caps_concurrent_runs(fake_meltano: Fleet) -> None:
    fleet = fake_meltano
    fleet.with_settings(environ={**fleet.settings.base_environ(), "FAKE_MELTANO_PEERS": "2"})
    fleet.write_tenant_list(tenants(4, "target-jsonl"))  # no DuckDB lock: only the pool limits
    fleet.sync_partitions()
    fleet.instance.event_log_storage.set_concurrency_slots("fleet-ivesk", 2)

    outcomes = fleet.materialize("ivesk", "t0", "t1", "t2", "t3")

    assert all(o.success for o in outcomes.values()), {k: o.failure for k, o in outcomes.items()}
    windows = [w for o in outcomes.values() for w in o.windows()]
    assert len(windows) == 4
    assert max_overlap(windows) == 2  # never more than the pool's 2 (and each run waited for a second one)
    assert {o.metadata["rows/documents"] for o in outcomes.values()} == {7}
    assert outcomes["t3"].metadata["state_id"] == "test:tap-ivesk-to-target-jsonl:t3"


def test_runs_into_one_duckdb_file_never_overlap_whatever_the_pool_allows(fake_meltano: Fleet) -> None:
    fleet = fake_meltano
    fleet.write_tenant_list(tenants(3, "target-duckdb"))
    fleet.sync_partitions()
    fleet.instance.event_log_storage.set_concurrency_slots("fleet-ivesk", 3)
    duckdb_file = fleet.root / "warehouse.duckdb"

    with contextlib.ExitStack() as held:
        held.enter_context(file_lock(duckdb_file.with_name("warehouse.duckdb.lock"), "the test", timeout=0))
        with fleet.materializing("ivesk", "t0", "t1", "t2") as futures:
            deadline = time.monotonic() + 120  # until all three runs wait for the lock the test holds
            while len(waiting := waiting_runs(fleet)) < 3 and time.monotonic() < deadline:
                time.sleep(0.1)
            held.close()  # release it: the runs go one at a time
            outcomes = {key: future.result(timeout=120) for key, future in futures.items()}
    assert len(waiting) == 3, waiting

    assert all(o.success for o in outcomes.values()), {k: o.failure for k, o in outcomes.items()}
    assert max_overlap((o.metadata["started_at"], o.metadata["finished_at"]) for o in outcomes.values()) == 1
    assert {o.metadata["duckdb_file"] for o in outcomes.values()} == {str(duckdb_file)}
    # Every run was seen waiting above; the metadata must show a wait too. Not `all`: a run whose first attempt
    # is retried by the policy takes the lock at once on its retry, so its (last) attempt may report 0 s.
    assert max(o.metadata["duckdb_lock_wait_s"] for o in outcomes.values()) > 0


def waiting_runs(fleet: Fleet) -> list[str]:
    """Runs that logged they wait for a DuckDB lock."""
    return [
        record.dagster_run.run_id
        for record in fleet.instance.get_run_records()
        if any("waiting for" in message for message in fleet.log_messages(record.dagster_run.run_id))
    ]
