"""Meltano end to end for tap-findity: `meltano run tap-findity <target> findity-writeback:ack` against a Findity
sandbox. What landed is compared with the sandbox's ground truth (every voucher and row once, every currency
to the cent); the write-back confirms the exports (reports SENT, list empty) only when the load succeeded."""

from __future__ import annotations

from typing import Any

import pytest
import warehouse_summary
from sandbox.findity import CLIENT_ID, CLIENT_SECRET, ORGANIZATION_ID

from tests.e2e.conftest import MeltanoProject, PostgresServer, duckdb_report, postgres_report

pytestmark = pytest.mark.e2e

SCALE = 160  # 8 exports of 10 reports (one per voucher format) + reports left READY_TO_SEND


@pytest.fixture(autouse=True)
def _row_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    # voucher_rows are keyed (voucherId, rowNumber); see the report for the matching line in warehouse_summary
    monkeypatch.setitem(warehouse_summary.PRIMARY_KEYS, "voucher_rows", ["voucherId", "rowNumber"])


def findity_env(base_url: str, *, flattening: bool) -> dict[str, str]:
    """tap-findity's settings, and the same connection settings for the findity-writeback utility."""
    connection = {
        "API_URL": base_url + "/api",
        "TOKEN_URL": base_url + "/oauth/token",
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
        "ORGANIZATION_ID": ORGANIZATION_ID,
    }
    return {
        **{f"TAP_FINDITY_{k}": v for k, v in connection.items()},
        **{f"FINDITY_WRITEBACK_{k}": v for k, v in connection.items()},
        "TAP_FINDITY_FLATTENING_ENABLED": "true" if flattening else "false",
        "TAP_FINDITY_FLATTENING_MAX_DEPTH": "1",
    }


def unprocessed(sandbox: Any) -> list[str]:
    return [e["id"] for e in sandbox.admin("GET", "/findity/exports") if e["status"] == "UNPROCESSED"]


def test_export_then_meltano_run_with_ack_lands_everything_and_confirms_the_exports(
    findity_factory, meltano: MeltanoProject
):
    sandbox = findity_factory(scale=SCALE)
    files_dir = meltano.workdir / "files"
    meltano.env |= findity_env(sandbox.url, flattening=True) | {"TAP_FINDITY_FILES_DIR": str(files_dir)}
    extra = sandbox.admin("POST", "/findity/bulk-send", {"count": 12, "verificationListsType": "USER_PER_EXPENSE"})
    exports = unprocessed(sandbox)
    assert extra["export"]["id"] in exports and len(exports) == 9

    meltano.run("run", "tap-findity", "target-duckdb", "findity-writeback:ack")

    _, report, _ = duckdb_report(meltano, sandbox, "tap-findity")
    assert report.ok, "\n" + report.render()
    assert any(ln.stream == "voucher_rows" and ln.label.startswith("taxAmount") for ln in report.lines)
    assert any(ln.stream == "files" and ln.label == "bytes" for ln in report.lines)
    assert unprocessed(sandbox) == []
    assert sandbox.admin("GET", "/findity/reports")["TRANSFER"] == 0
    assert sandbox.admin("GET", "/findity/reports")["SENT"] == 92

    puts = sum(1 for r in sandbox.requests() if r["method"] == "PUT")
    meltano.run("invoke", "findity-writeback:ack")  # a second ack: nothing left, nothing written
    assert sum(1 for r in sandbox.requests() if r["method"] == "PUT") == puts


def test_a_failed_load_leaves_the_exports_unconfirmed(findity_factory, meltano: MeltanoProject, tmp_path):
    sandbox = findity_factory(scale=SCALE)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    meltano.env |= findity_env(sandbox.url, flattening=False) | {
        "TARGET_DUCKDB_FILEPATH": str(blocker / "warehouse.duckdb"),  # the target cannot create its file
    }
    before = unprocessed(sandbox)

    proc = meltano.run("run", "tap-findity", "target-duckdb", "findity-writeback:ack", check=False)

    assert proc.returncode != 0
    assert unprocessed(sandbox) == before and len(before) == 8
    assert not [r for r in sandbox.requests() if r["method"] == "PUT"]
    assert sandbox.admin("GET", "/findity/reports")["SENT"] == 0


def test_plain_meltano_run_changes_nothing_in_findity(findity_factory, meltano: MeltanoProject):
    sandbox = findity_factory(scale=SCALE)
    meltano.env |= findity_env(sandbox.url, flattening=True)
    meltano.run("run", "tap-findity", "target-duckdb")
    assert len(unprocessed(sandbox)) == 8
    assert not [r for r in sandbox.requests() if r["method"] != "GET" and r["path"] != "/oauth/token"]


def test_meltano_run_into_postgres_keeps_every_decimal_exact(
    findity_factory, meltano: MeltanoProject, postgres_server: PostgresServer
):
    sandbox = findity_factory(scale=SCALE)
    env = findity_env(sandbox.url, flattening=False)
    _, report = postgres_report(
        meltano, postgres_server, sandbox, "tap-findity", env, exclude=("files",), blocks=("findity-writeback:ack",)
    )
    assert report.ok, "\n" + report.render()
    assert unprocessed(sandbox) == []
