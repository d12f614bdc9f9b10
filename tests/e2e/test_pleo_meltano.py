"""Meltano end to end for tap-pleo: the whole export workflow through `meltano run tap-pleo target-duckdb
pleo-writeback:ack` (job completed, every item successful with an externalId naming the warehouse row),
a plain `meltano run` that changes nothing in Pleo, exact money in DuckDB and PostgreSQL against the
sandbox's ground truth, and meltano.yml declaring every setting. Each test has its own sandbox, Meltano
system database (hence state), manifest dir and warehouse (see conftest.py)."""

from __future__ import annotations

from collections import Counter

import pytest
from sandbox.pleo import API_KEY, DEFAULT_COMPANY_ID
from warehouse_summary import DuckDBWarehouse, PostgresWarehouse, compare

from tests.e2e.conftest import ROOT, MeltanoProject, PostgresServer
from tests.helpers import stored_files

pytestmark = pytest.mark.e2e

SCALE = 400


def pleo_env(url: str, *, flattening: bool) -> dict[str, str]:
    """tap-pleo's settings, and the same ones for the pleo-writeback utility (Meltano reads a utility's
    settings from PLEO_WRITEBACK_*, and hands them to it as TAP_PLEO_*)."""
    shared = {"API_URL": url, "API_KEY": API_KEY, "COMPANY_ID": DEFAULT_COMPANY_ID}
    return {
        **{f"TAP_PLEO_{k}": v for k, v in shared.items()},
        **{f"PLEO_WRITEBACK_{k}": v for k, v in shared.items()},
        "TAP_PLEO_MAX_REQUESTS_PER_MINUTE": "0",
        "TAP_PLEO_FLATTENING_ENABLED": "true" if flattening else "false",
        "TAP_PLEO_FLATTENING_MAX_DEPTH": "1",
    }


def needs_plugins() -> None:
    for name in ("extractors/tap-pleo", "utilities/pleo-writeback"):
        if not (ROOT / ".meltano" / name / "venv").is_dir():
            pytest.fail(f"Meltano plugin {name} is not installed: run ./scripts/setup", pytrace=False)


def open_job(sandbox) -> dict:
    import requests

    jobs = requests.get(
        sandbox.url + "/v3/export-jobs",
        params={"company_id": DEFAULT_COMPANY_ID, "statuses": ["pending", "in_progress"]},
        auth=(API_KEY, ""),
        timeout=10,
    ).json()["data"]
    (job,) = jobs
    return job


def assert_matches(report) -> None:
    assert report.ok, "\n" + report.render()
    assert any(line.stream == "export_items" and line.label != "rows" for line in report.lines)
    assert any(line.stream == "accounting_entries" and line.label != "rows" for line in report.lines)


def test_meltano_run_with_pleo_writeback_closes_the_export_job_after_the_load(pleo_factory, meltano: MeltanoProject):
    needs_plugins()
    sandbox = pleo_factory(scale=SCALE, rate_limit=0)
    job = open_job(sandbox)
    files_dir = meltano.workdir / "files"
    meltano.env |= pleo_env(sandbox.url, flattening=True) | {"TAP_PLEO_FILES_DIR": str(files_dir)}

    meltano.run("run", "tap-pleo", "target-duckdb", "pleo-writeback:ack")

    detail = sandbox.admin("GET", f"/pleo/export-jobs/{job['id']}")
    assert detail["status"] == "completed"
    assert Counter(i["status"] for i in detail["items"]) == {"successful": job["numberOfItems"]}
    truth = sandbox.admin("GET", "/ground-truth")
    with DuckDBWarehouse(meltano.workdir / "warehouse.duckdb", schema="tap_pleo") as warehouse:
        report = compare(truth, warehouse, title="tap-pleo")
        # every externalId names a row of the warehouse: <table>/<exportJobId>/<accountingEntryId>
        rows = set(warehouse._query("SELECT exportjobid, accountingentryid FROM tap_pleo.export_items"))
    assert_matches(report)
    for item in detail["items"]:
        table, job_id, entry_id = item["externalId"].split("/")
        assert table == "tap_pleo.export_items" and (job_id, entry_id) in rows
    assert len(stored_files(files_dir)) == int(truth["streams"]["files"]["count"])

    # a second `meltano run` with the write-back: the job is finished, nothing is reported twice
    sandbox.clear_requests()
    meltano.run("run", "tap-pleo", "target-duckdb", "pleo-writeback:ack")
    writes = [r for r in sandbox.requests() if r["method"] == "PUT" or r["path"] == "/v3/export-job-events"]
    assert writes == []


def test_plain_meltano_run_changes_nothing_in_pleo_and_lands_exact_money_in_postgres(
    pleo_factory, meltano: MeltanoProject, postgres_server: PostgresServer
):
    needs_plugins()
    sandbox = pleo_factory(scale=SCALE, rate_limit=0)
    job = open_job(sandbox)
    database = postgres_server.create_database("e2e_pleo")
    meltano.env |= pleo_env(sandbox.url, flattening=False) | postgres_server.target_env(database)

    meltano.run("run", "tap-pleo", "target-postgres")

    assert open_job(sandbox)["status"] == job["status"] == "pending"
    assert [r for r in sandbox.requests() if r["method"] == "PUT" or r["path"] == "/v3/export-job-events"] == []
    truth = sandbox.admin("GET", "/ground-truth")
    with PostgresWarehouse(postgres_server.dsn(database), schema="tap_pleo") as warehouse:
        report = compare(truth, warehouse, title="tap-pleo", exact=True, exclude=("files",))
    assert_matches(report)
    assert any(line.note == "decimals" for line in report.lines), "the exact decimals were not compared"
