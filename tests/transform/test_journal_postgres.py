"""The journal on PostgreSQL, end to end: the sandboxes of all four providers -> one `meltano run` of every
tap into target-postgres (nested JSONB, no flattening, as in prod) followed by `dbt-postgres:build` -> the
same models as on DuckDB, built from the exact NUMERIC/JSONB values, whose totals per provider and currency
equal the sandboxes' ground truth exactly, with every dbt test passing."""

from __future__ import annotations

from pathlib import Path

import pytest
from warehouse_summary import PostgresWarehouse, compare_journal

from tests.e2e.conftest import PostgresServer
from tests.transform.conftest import DbtResults, dbt_target, journal_project, needs_plugins, providers

pytestmark = pytest.mark.e2e

PROVIDERS = ("candis", "pleo", "ivesk", "findity")


def test_journal_on_postgres_equals_the_sandboxes_ground_truth_to_the_cent(
    module_dir: Path, postgres_server: PostgresServer
) -> None:
    needs_plugins(*PROVIDERS)
    database = postgres_server.create_database("journal")
    with providers(*PROVIDERS) as sandboxes:
        project = journal_project(module_dir)
        project.env |= sandboxes.env(flattening=False) | postgres_server.target_env(database)
        project.env |= {
            "DBT_POSTGRES_HOST": postgres_server.host,
            "DBT_POSTGRES_PORT": str(postgres_server.port),
            "DBT_POSTGRES_USER": postgres_server.user,
            "DBT_POSTGRES_DBNAME": database,
        }
        project.run(*sandboxes.run_args("target-postgres", "dbt-postgres"))
        truths = sandboxes.truths()

    assert DbtResults.read(dbt_target(project)).failed() == set()
    with PostgresWarehouse(postgres_server.dsn(database), schema="journal") as warehouse:
        report = compare_journal(truths, warehouse)
        types = dict(
            warehouse._query(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'journal' AND table_name = 'journal_lines'"
            )
        )
    assert report.ok, "\n" + report.render()
    assert {line.stream for line in report.lines} == set(PROVIDERS)
    assert types["amount"] == "numeric" and types["amount_minor"] == "bigint"
