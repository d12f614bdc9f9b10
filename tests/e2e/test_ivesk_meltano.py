"""Meltano end to end for tap-ivesk: `meltano run tap-ivesk <target>` against an Įvesk sandbox, then what landed
is compared with the sandbox's ground truth — every document, code and PDF exactly once, every currency total to
the cent — for DuckDB and PostgreSQL; plus the plugin commands through `meltano invoke`."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sandbox.ivesk import API_KEY, COMPANY_CODES
from warehouse_summary import DuckDBWarehouse, Report, compare

from tests.e2e.conftest import MeltanoProject, PostgresServer, duckdb_report, postgres_report
from tests.helpers import stored_files

pytestmark = pytest.mark.e2e

SCALE = 400  # several pages (~100) of the exported queue
STATE_ID = "test:tap-ivesk-to-target-duckdb"


def ivesk_env(base_url: str, *, flattening: bool) -> dict[str, str]:
    return {
        "TAP_IVESK_API_URL": base_url,
        "TAP_IVESK_API_KEY": API_KEY,
        "TAP_IVESK_COMPANY_CODES": json.dumps(list(COMPANY_CODES)),
        "TAP_IVESK_FLATTENING_ENABLED": "true" if flattening else "false",
        "TAP_IVESK_FLATTENING_MAX_DEPTH": "1",
    }


def assert_landed(report: Report, truth: dict[str, Any]) -> None:
    assert report.ok, "\n" + report.render()
    assert all(int(truth["streams"][line.stream]["count"]) > 0 for line in report.lines if line.label == "rows")
    assert [line for line in report.lines if line.label not in ("rows", "bytes")], "no money totals were compared"
    appended = [line for line in report.lines if line.label == "rows" and line.note]
    assert not appended, "\n" + report.render()


def test_meltano_run_into_duckdb_lands_every_document_code_pdf_and_cent(ivesk_factory, meltano: MeltanoProject):
    sandbox = ivesk_factory(scale=SCALE)
    files_dir = meltano.workdir / "files"
    meltano.env |= ivesk_env(sandbox.url, flattening=True) | {"TAP_IVESK_FILES_DIR": str(files_dir)}

    meltano.run("run", "tap-ivesk", "target-duckdb")

    truth, report, columns = duckdb_report(meltano, sandbox, "tap-ivesk", columns_of="documents")
    assert_landed(report, truth)
    assert any(line.stream == "files" and line.label == "bytes" for line in report.lines)
    assert "totalminor" in columns and "lines" in columns
    assert len(stored_files(files_dir)) == int(truth["streams"]["files"]["count"])


def test_second_meltano_run_reads_only_what_is_new(ivesk_factory, meltano: MeltanoProject):
    sandbox = ivesk_factory(scale=SCALE)
    meltano.env |= ivesk_env(sandbox.url, flattening=True)
    meltano.run("run", "tap-ivesk", "target-duckdb")
    state = meltano.state(STATE_ID)
    assert state["singer_state"]["bookmarks"]["documents"]["replication_key"] == "exportedat"

    exported = sandbox.admin("POST", "/ivesk/export", {"count": 6})
    sandbox.clear_requests()
    meltano.run("run", "tap-ivesk", "target-duckdb")

    queue_calls = [e for e in sandbox.requests() if e["path"] == "/exported"]
    assert len(queue_calls) == 1, queue_calls
    truth = sandbox.admin("GET", "/ground-truth")
    with DuckDBWarehouse(meltano.workdir / "warehouse.duckdb", schema="tap_ivesk") as warehouse:
        report = compare(truth, warehouse, title="tap-ivesk after two runs", exclude=("files",))
        landed = {row[0] for row in warehouse._query("SELECT id FROM tap_ivesk.documents")}
    assert_landed(report, truth)
    assert set(exported["ids"]) <= landed


def test_meltano_run_into_postgres_keeps_every_decimal_exact(
    ivesk_factory, meltano: MeltanoProject, postgres_server: PostgresServer
):
    sandbox = ivesk_factory(scale=SCALE)
    env = ivesk_env(sandbox.url, flattening=False)
    truth, report = postgres_report(meltano, postgres_server, sandbox, "tap-ivesk", env, exclude=("files",))
    assert_landed(report, truth)


def test_plugin_commands_upload_and_report_sync_errors(ivesk_factory, meltano: MeltanoProject):
    sandbox = ivesk_factory(digitize_delay=0)
    meltano.env |= ivesk_env(sandbox.url, flattening=True)
    inbox = meltano.workdir / "inbox"
    inbox.mkdir()
    (inbox / "a.pdf").write_bytes(b"%PDF-1.4 a")
    (inbox / "b.pdf").write_bytes(b"%PDF-1.4 b")

    uploaded = meltano.run("invoke", "tap-ivesk:upload", str(inbox), "--id-from", "name")
    assert [json.loads(line)["sourcedata"]["id"] for line in uploaded.stdout.splitlines() if line.startswith("{")] == [
        "a.pdf",
        "b.pdf",
    ]
    sandbox.admin("POST", "/ivesk/export", {})
    meltano.run("run", "tap-ivesk", "target-duckdb")
    with DuckDBWarehouse(meltano.workdir / "warehouse.duckdb", schema="tap_ivesk") as warehouse:
        rows = warehouse._query(
            "SELECT id, companycode, sourcedata__id FROM tap_ivesk.documents WHERE sourcedata__id IS NOT NULL"
        )
    assert sorted(r[2] for r in rows) == ["a.pdf", "b.pdf"]  # the sourcedata id, intact, in its own column

    doc_id, company, _ = rows[0]
    meltano.run(
        "invoke",
        "tap-ivesk:report-sync-error",
        "--document-id",
        doc_id,
        "--company-code",
        company,
        "--message",
        "Supplier missing in the ERP",
    )
    assert [e["documentid"] for e in sandbox.admin("GET", "/ivesk/syncerrors")] == [doc_id]
    failed = meltano.run(
        "invoke",
        "tap-ivesk:report-sync-error",
        "--document-id",
        "nope",
        "--company-code",
        company,
        "--message",
        "x",
        check=False,
    )
    assert failed.returncode != 0
