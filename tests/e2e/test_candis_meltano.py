"""Meltano end to end for tap-candis: `meltano run tap-candis <target>` against a Candis sandbox, then what
landed is compared with the sandbox's ground truth — every record exactly once, every currency total to the
cent — for DuckDB, JSON Lines and PostgreSQL. Each test has its own sandbox, Meltano system database
(hence state), token store and warehouse (see conftest.py)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from warehouse_summary import DuckDBWarehouse, JsonlWarehouse, Report, compare

from tests.e2e.conftest import MeltanoProject, PostgresServer, candis_env, duckdb_report, postgres_report
from tests.helpers import stored_files

pytestmark = pytest.mark.e2e

SCALE = 240  # sandbox size: several pages (Candis clamps pages to 50) of every stream
NO_FILES = ("files",)  # files_dir unset: attachments are not downloaded
STATE_ID = "test:tap-candis-to-target-duckdb"


def assert_landed(report: Report, truth: dict[str, Any]) -> None:
    """The report matches, and it is not vacuous: records and money were really compared."""
    assert report.ok, "\n" + report.render()
    streams = {name: s for name, s in truth["streams"].items() if any(ln.stream == name for ln in report.lines)}
    assert sum(int(s["count"]) for s in streams.values()) > 0, "the sandbox holds no records: nothing was tested"
    empty = [name for name, s in streams.items() if int(s["count"]) == 0]
    assert not empty, f"sandbox streams without records at scale {SCALE}: {empty}"
    money_lines = [line for line in report.lines if line.label not in ("rows", "bytes")]
    assert money_lines, "no money totals were compared"


def rows_are_unique(report: Report) -> None:
    """An upserting target keeps one row per primary key."""
    appended = [line for line in report.lines if line.label == "rows" and line.note]
    assert not appended, "\n" + report.render()


def test_meltano_run_into_duckdb_lands_every_record_file_and_cent(candis_factory, meltano: MeltanoProject):
    # as the demo: flattened (money columns first class) and attachments downloaded; rate limits lifted
    # on both sides so the attachments do not make the test wait (the other tests keep Candis' limit)
    sandbox = candis_factory(scale=SCALE, rate_limit=0)
    files_dir = meltano.workdir / "files"
    meltano.env |= candis_env(sandbox.url, flattening=True) | {
        "TAP_CANDIS_FILES_DIR": str(files_dir),
        "TAP_CANDIS_MAX_REQUESTS_PER_MINUTE": "0",
    }

    meltano.run("run", "tap-candis", "target-duckdb")

    truth, report, columns = duckdb_report(meltano, sandbox, "tap-candis", columns_of="postings")
    assert_landed(report, truth)
    rows_are_unique(report)
    assert any(line.stream == "files" and line.label == "bytes" for line in report.lines)
    assert "amount__valueminor" in columns, f"flattened money columns expected, got {sorted(columns)}"
    stored = stored_files(files_dir)
    assert len(stored) == int(truth["streams"]["files"]["count"])


def test_meltano_run_into_jsonl_keeps_every_decimal_exact(candis_factory, meltano: MeltanoProject):
    sandbox = candis_factory(scale=SCALE)
    meltano.env |= candis_env(sandbox.url, flattening=False)  # records keep the provider's nesting

    meltano.run("run", "tap-candis", "target-jsonl")

    truth = sandbox.admin("GET", "/ground-truth")
    warehouse = JsonlWarehouse(meltano.workdir / "jsonl")
    report = compare(truth, warehouse, title="tap-candis", exact=True, exclude=NO_FILES)
    assert_landed(report, truth)
    assert any(line.note == "decimals" for line in report.lines), "the provider's own decimals were not compared"


def test_meltano_run_into_postgres_lands_every_record_and_every_cent(
    candis_factory, meltano: MeltanoProject, postgres_server: PostgresServer
):
    sandbox = candis_factory(scale=SCALE)
    env = candis_env(sandbox.url, flattening=False)
    truth, report = postgres_report(meltano, postgres_server, sandbox, "tap-candis", env, exclude=NO_FILES)
    assert_landed(report, truth)
    rows_are_unique(report)


# Request paths of the Candis API, by endpoint (ids replaced).
ENDPOINTS = [
    ("organizations/info", re.compile(r"^/v1/organizations/info$")),
    ("exports", re.compile(r"^/v1/organizations/[^/]+/exports$")),
    ("exports/{id}", re.compile(r"^/v1/organizations/[^/]+/exports/[^/]+$")),
    ("exports/{id}/postings", re.compile(r"^/v1/organizations/[^/]+/exports/[^/]+/postings$")),
    ("reimbursement-items", re.compile(r"^/v1/organizations/[^/]+/reimbursement-items$")),
    ("invoices", re.compile(r"^/v1/organizations/[^/]+/invoices$")),
    ("purchase-requests", re.compile(r"^/v1/organizations/[^/]+/purchase-requests$")),
    ("files/{id}", re.compile(r"^/v1/organizations/[^/]+/files/[^/]+$")),
    ("token", re.compile(r"/protocol/openid-connect/token$")),
]


def endpoint(path: str) -> str:
    for name, pattern in ENDPOINTS:
        if pattern.search(path):
            return name
    return path


def test_second_meltano_run_without_changes_makes_at_most_two_requests_per_stream(
    candis_factory, meltano: MeltanoProject
):
    sandbox = candis_factory(scale=SCALE)
    meltano.env |= candis_env(sandbox.url, flattening=True)
    meltano.run("run", "tap-candis", "target-duckdb")
    first = Counter(endpoint(entry["path"]) for entry in sandbox.requests())
    state = meltano.state(STATE_ID)
    assert state.get("singer_state", {}).get("bookmarks"), f"Meltano kept no bookmarks: {state}"

    sandbox.clear_requests()
    meltano.run("run", "tap-candis", "target-duckdb")

    second = Counter(endpoint(entry["path"]) for entry in sandbox.requests())
    print(f"requests per endpoint, first run: {dict(first)}; second run: {dict(second)}")
    too_many = {name: n for name, n in second.items() if n > 2}
    assert not too_many, f"second run, nothing changed: {dict(second)} (first run: {dict(first)})"
    unknown = [name for name in second if name.startswith("/") and not name.startswith("/_sandbox")]
    assert not unknown, f"requests to unexpected paths: {unknown}"
    assert sum(first.values()) > sum(second.values()), "the first run should have paged through everything"
    truth = sandbox.admin("GET", "/ground-truth")
    with DuckDBWarehouse(meltano.workdir / "warehouse.duckdb", schema="tap_candis") as warehouse:
        report = compare(truth, warehouse, title="tap-candis after two runs", exclude=NO_FILES)
    assert_landed(report, truth)
    rows_are_unique(report)
