"""The journal on DuckDB, end to end, through Meltano: sandboxes of the four providers; first only Candis and
Pleo -> `meltano run tap-candis target-duckdb tap-pleo target-duckdb dbt-duckdb:build dbt-duckdb:docs-generate`
(loaded without flattening: nested JSON columns), then Įvesk and Findity -> `meltano run ... dbt-duckdb:build`
(flattened at depth 1, as the test and demo environments load them). Most teams use one or two of these
tools: the journal builds from whatever raw tables are there, with nothing created for the others; with all
four, its totals per provider and currency equal the sandboxes' ground truth exactly and every dbt test
(keys, accepted values, tie-outs, internal consistency) passes; and the tests catch a warehouse that no
longer adds up. (The same on PostgreSQL: test_journal_postgres.py.)"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from warehouse_summary import DuckDBWarehouse, compare_journal

from tests.e2e.conftest import ROOT, MeltanoProject
from tests.transform.conftest import DbtResults, Providers, dbt_target, journal_project, needs_plugins, providers

pytestmark = pytest.mark.e2e

PROVIDERS = ("candis", "pleo", "ivesk", "findity")
# dbt and duckdb as the dbt-duckdb utility has them (duckdb is target-duckdb's version: a warehouse changed
# with it keeps the storage version the loader and dbt write)
DBT_BIN = ROOT / ".meltano" / "utilities" / "dbt-duckdb" / "venv" / "bin"


@pytest.fixture(scope="module")
def sandboxes() -> Providers:
    needs_plugins(*PROVIDERS)
    with providers(*PROVIDERS) as running:
        yield running


@pytest.fixture(scope="module")
def two_providers(module_dir: Path, sandboxes: Providers) -> tuple[MeltanoProject, Path]:
    """Candis and Pleo loaded and the journal built (and its docs); returns the project and a copy of the
    warehouse and dbt target dir as they were then (the next fixture adds the other two providers)."""
    project = journal_project(module_dir / "project")
    first = Providers({p: sandboxes.sandboxes[p] for p in ("candis", "pleo")})
    project.env |= first.env(flattening=False)
    project.run(*first.run_args("target-duckdb", "dbt-duckdb", "docs-generate"))
    snapshot = module_dir / "two-providers"
    snapshot.mkdir()
    shutil.copy(project.workdir / "warehouse.duckdb", snapshot / "warehouse.duckdb")
    shutil.copytree(dbt_target(project), snapshot / "dbt-target")
    return project, snapshot


@pytest.fixture(scope="module")
def four_providers(two_providers, sandboxes: Providers, module_dir: Path) -> MeltanoProject:
    project, _ = two_providers
    rest = Providers({p: sandboxes.sandboxes[p] for p in ("ivesk", "findity")})
    project.env |= rest.env(flattening=True, files_dir=module_dir / "files")
    project.run(*rest.run_args("target-duckdb", "dbt-duckdb"))
    return project


def relations(warehouse_path: Path) -> dict[str, set[str]]:
    with DuckDBWarehouse(warehouse_path) as warehouse:
        rows = warehouse._query("SELECT table_schema, table_name FROM information_schema.tables")
    found: dict[str, set[str]] = {}
    for schema, table in rows:
        found.setdefault(schema, set()).add(table)
    return found


def test_journal_builds_from_the_providers_whose_raw_tables_are_there(two_providers, sandboxes) -> None:
    _, snapshot = two_providers
    with DuckDBWarehouse(snapshot / "warehouse.duckdb", schema="journal") as warehouse:
        report = compare_journal({p: sandboxes.truth(p) for p in ("candis", "pleo")}, warehouse)
        in_journal = {p for (p,) in warehouse._query("SELECT DISTINCT provider FROM journal.journal_documents")}
    assert report.ok, "\n" + report.render()
    assert in_journal == {"candis", "pleo"}
    # staging is ephemeral: the journal schema holds the two marts and the currency seed, nothing per provider
    found = relations(snapshot / "warehouse.duckdb")
    assert found["journal"] == {"journal_lines", "journal_documents", "iso_4217_currencies"}
    assert "tap_ivesk" not in found and "tap_findity" not in found
    # every test ran and passed, the absent providers' tie-outs with nothing to tie out
    build = DbtResults.read(snapshot / "dbt-target")
    assert build.failed() == set()
    assert {"tie_out_ivesk_documents", "tie_out_findity_voucher_rows", "tie_out_pleo_export_items"} <= build.ran()


def test_dbt_docs_site_builds_with_the_column_descriptions(two_providers) -> None:
    _, snapshot = two_providers  # `dbt-duckdb:docs-generate` ran after the build
    target = snapshot / "dbt-target"
    assert (target / "index.html").is_file()
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["nodes"]["model.journal.journal_lines"]["columns"]["amount_minor"]["description"]
    catalog = json.loads((target / "catalog.json").read_text())
    assert "amount_minor" in catalog["nodes"]["model.journal.journal_lines"]["columns"]
    assert "source.journal.candis.postings" in catalog["sources"]


def test_journal_of_all_four_providers_equals_the_sandboxes_ground_truth_to_the_cent(four_providers, sandboxes) -> None:
    truths = sandboxes.truths()
    with DuckDBWarehouse(four_providers.workdir / "warehouse.duckdb", schema="journal") as warehouse:
        report = compare_journal(truths, warehouse)
        tenants = set(warehouse._query("SELECT DISTINCT provider, tenant FROM journal.journal_lines"))
        with_files = {
            p
            for (p,) in warehouse._query("SELECT DISTINCT provider FROM journal.journal_documents WHERE file_count > 0")
        }
    assert report.ok, "\n" + report.render()
    assert {line.stream for line in report.lines} == set(PROVIDERS)
    assert {p for p, _ in tenants} == set(PROVIDERS)
    assert {tenant for p, tenant in tenants if p == "candis"} == {truths["candis"]["organization"]}
    assert {tenant for p, tenant in tenants if p == "pleo"} == {truths["pleo"]["company"]}
    assert {tenant for p, tenant in tenants if p == "ivesk"} <= set(truths["ivesk"]["company_codes"])
    assert {tenant for p, tenant in tenants if p == "findity"} == {truths["findity"]["organization"]}
    # the attachments the taps stored (files_dir: Įvesk's and Findity's runs) are linked to their documents
    assert with_files == {"ivesk", "findity"}


def test_every_dbt_test_ran_and_passed(four_providers) -> None:
    results = DbtResults.read(dbt_target(four_providers))
    assert results.failed() == set()
    assert results.statuses("model") == {"success": 2}
    for name in (
        "tie_out_candis_postings",
        "tie_out_candis_reimbursement_items",
        "tie_out_pleo_export_items",
        "tie_out_ivesk_documents",
        "tie_out_findity_voucher_rows",
        "candis_split_postings_sum_to_the_posting_amount",
        "pleo_line_amounts_sum_to_the_export_item_amount",
        "ivesk_line_totals_sum_to_the_document_total_within_rounding",
        "findity_bookkeeping_vouchers_balance_to_zero",
        "unique_journal_lines_journal_line_id",
        "accepted_values_journal_lines_side__debit__credit",
    ):
        assert name in results.ran(), f"dbt test {name} did not run"
    assert results.statuses()["pass"] >= 40


def dbt(project: MeltanoProject, warehouse: Path, *args: str) -> DbtResults:
    """dbt itself, from the utility's virtualenv, with the settings `meltano invoke dbt-duckdb` passes
    (profiles, vars) against `warehouse`, its artifacts beside it (a Meltano start less per command)."""
    target = warehouse.parent / "dbt-target"
    env = {k: v for k, v in project.env.items() if not k.startswith("DBT_")} | {
        "DBT_PROFILES_DIR": str(ROOT / "transform" / "profiles" / "duckdb"),
        "DBT_DUCKDB_PATH": str(warehouse),
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(warehouse.parent / "dbt-logs"),
        "JOURNAL_CANDIS_ORGANIZATION_ID": project.env.get("DBT_DUCKDB_CANDIS_ORGANIZATION_ID", ""),
    }
    with (project.workdir / "meltano.log").open("a", encoding="utf-8") as log:
        log.write(f"\n$ dbt {' '.join(args)}  ({warehouse})\n")
        log.flush()
        subprocess.run(
            [str(DBT_BIN / "dbt"), *args],
            cwd=ROOT / "transform",
            env=env,
            stdout=log,
            stderr=log,
            timeout=300,
            check=False,
        )
    return DbtResults.read(target)


def test_dbt_tests_fail_when_the_raw_tables_no_longer_add_up(two_providers, module_dir: Path) -> None:
    project, snapshot = two_providers
    changed = module_dir / "changed"
    changed.mkdir()
    warehouse = changed / "warehouse.duckdb"
    shutil.copy(snapshot / "warehouse.duckdb", warehouse)
    # after the build, in the raw tables: one posting is gone, another one's amount is a cent more than the
    # sum of its split postings
    script = (
        "import duckdb, sys\n"
        "db = duckdb.connect(sys.argv[1])\n"
        "gone, more = [r[0] for r in db.execute('SELECT id FROM tap_candis.postings ORDER BY id LIMIT 2').fetchall()]\n"
        "db.execute('DELETE FROM tap_candis.postings WHERE id = ?', [gone])\n"
        "db.execute(\"UPDATE tap_candis.postings SET amount = json_merge_patch(amount, json_object('valueMinor', "
        "CAST(json_extract_string(amount, '$.valueMinor') AS BIGINT) + 1)) WHERE id = ?\", [more])\n"
        "db.close()\n"
    )
    subprocess.run([str(DBT_BIN / "python"), "-c", script, str(warehouse)], check=True, timeout=60)

    # the journal as built still has the lines of the posting that is gone: the tie-out says so
    assert dbt(project, warehouse, "test").failed() == {"tie_out_candis_postings"}
    # rebuilt, the journal ties out again, and the changed posting's split postings no longer add up
    assert dbt(project, warehouse, "build").failed() == {"candis_split_postings_sum_to_the_posting_amount"}
