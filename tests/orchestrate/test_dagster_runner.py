"""What a tenant run reads from Meltano's output (rows per stream, the state id, the tap's error line), the
retry rule, and the isolation it sets up (private system dir, DuckDB file). Unit tests: no Meltano runs."""

from __future__ import annotations

import textwrap
import typing as t
from pathlib import Path

import pytest
import yaml
from orchestrate.runner import (
    PERMANENT,
    TRANSIENT,
    UNKNOWN,
    RunResult,
    classify,
    duckdb_file,
    line_level,
    prepare_sys_dir,
    record_counts,
)
from orchestrate.tenants import load_fleet

from tests.helpers import ROOT

# Lines of a real `meltano run tap-ivesk target-duckdb` (the tap reports one record_count per stream and
# parent context; the target's lines are not the tap's).
OUTPUT = """\
2026-12-02T13:40:03.712168Z [info     ] meltano      Running job with name 'test:tap-ivesk-to-target-duckdb:t1' and run ID '01a236fb'
2026-12-02T13:40:08.474294Z [info     ] tap-ivesk    METRIC: {"type":"timer","metric":"http_request_duration","value":0.045794,"tags":{"stream":"columns"}}
2026-12-02T13:40:08.504336Z [info     ] tap-ivesk    METRIC: {"type":"counter","metric":"record_count","value":200,"tags":{"stream":"columns","context":{"companyCode":"302320404"}}}
2026-12-02T13:40:08.578613Z [info     ] tap-ivesk    METRIC: {"type":"counter","metric":"record_count","value":55,"tags":{"stream":"columns","context":{"companyCode":"110053842"}}}
2026-12-02T13:40:08.621681Z [info     ] tap-ivesk    METRIC: {"type":"counter","metric":"record_count","value":33,"tags":{"stream":"documents","context":{}}}
2026-12-02T13:40:08.621681Z [info     ] target-x     METRIC: {"type":"counter","metric":"record_count","value":99,"tags":{"stream":"documents"}}
2026-12-02T13:40:09.002356Z [info     ] target-duckdb Loading 33 rows into '"w"."tap_ivesk"."documents"'
2026-12-02T13:40:09.334649Z [info     ] meltano      Run completed
"""


def test_rows_per_stream_add_up_the_taps_record_counts_only() -> None:
    assert record_counts(OUTPUT.splitlines(), "tap-ivesk") == {"columns": 255, "documents": 33}


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("tap-ivesk: error: GET /columns/1: HTTP 403: Forbidden; the API key was rejected: check api_key", PERMANENT),
        ("tap-candis: error: credentials rejected: invalid_grant (HTTP 400 from POST /token); re-authorize", PERMANENT),
        ("tap-pleo: error: missing setting(s) api_key: set it", PERMANENT),
        ("tap-findity: error: invalid configuration: organization_id must be 32 hex", PERMANENT),
        ("tenant a: environment variable(s) A_KEY not set (named in the tenants file)", PERMANENT),
        ("tap-candis: error: GET /v1/organizations/x/exports: HTTP 404 NOT_FOUND: no such organization", PERMANENT),
        ("tap-ivesk: error: GET /exported: HTTP 503 SERVICE_UNAVAILABLE after 7 tries: try later", TRANSIENT),
        ("tap-pleo: error: GET /v3/export-jobs: HTTP 429 after 7 tries", TRANSIENT),
        ("tap-ivesk: error: GET /exported: no response after 7 tries (read timeout 60 s)", TRANSIENT),
        ("tap-candis: error: token endpoint unavailable after 3 tries: connection refused", TRANSIENT),
        ("Another 'test:tap-ivesk-to-target-duckdb:a' pipeline is already running", TRANSIENT),
        (
            "2026-12-02T14:39:12Z [error    ] meltano      (sqlite3.OperationalError) table job already exists",
            TRANSIENT,
        ),
        (
            "[info     ] target-postgres sqlalchemy.exc.IntegrityError: (psycopg.errors.UniqueViolation) duplicate key "
            'value violates unique constraint "pg_type_typname_nsp_index"',
            TRANSIENT,
        ),
        ("tap-ivesk: error: something nobody foresaw", UNKNOWN),
    ],
)
def test_the_retry_rule(line: str, kind: str) -> None:
    assert classify(line) == kind


def result(**changes: t.Any) -> RunResult:
    return RunResult(**({"tenant": "a", "command": ["meltano"], "exit_code": 1, "finished_at": 1.0} | changes))


def test_a_failure_names_the_tenant_and_the_taps_error_line_else_what_meltano_said_last() -> None:
    line = "tap-ivesk: error: GET /exported: HTTP 502 after 2 tries"
    assert result(error_line=line).summary() == f"tenant a: {line}"
    assert result(error_line=line).kind() == TRANSIENT
    # no tap error line: a DuckDB lock conflict in the target's output is transient, an unknown end is unknown
    locked = 'target-duckdb duckdb.duckdb.IOException: IO Error: Could not set lock on file "/w.duckdb"'
    tail = [f"2026-12-02T13:44:56Z [info     ] {locked}", "2026-12-02T13:44:56Z [error    ] meltano      Loader failed"]
    assert result(tail=tail, transient_line=tail[0]).kind() == TRANSIENT
    assert result(tail=tail, transient_line=tail[0]).summary() == f"tenant a: meltano exited 1: {locked}"
    assert result(tail=tail[1:]).summary() == "tenant a: meltano exited 1: meltano Loader failed"
    assert result(tail=["2026-12-02T13:44:56Z [error    ] meltano      Extractor failed"]).kind() == UNKNOWN
    assert result(timed_out=True, exit_code=-15).kind() == TRANSIENT


def test_a_loaders_transient_error_far_above_the_end_of_the_output_still_makes_the_failure_transient() -> None:
    race = (
        "2026-12-03T12:10:43Z [info     ] target-postgres sqlalchemy.exc.IntegrityError: (psycopg.errors.UniqueViolation)"
        ' duplicate key value violates unique constraint "pg_type_typname_nsp_index"'
    )
    run = result()
    for line in [race, *(f"2026-12-03T12:10:44Z [info     ] target-postgres traceback line {n}" for n in range(60))]:
        run.note(line, "tap-ivesk")
    run.note("2026-12-03T12:10:46Z [error    ] meltano      Loader failed", "tap-ivesk")
    assert race not in run.tail and run.error_line is None
    assert run.kind() == TRANSIENT
    assert run.summary().startswith("tenant a: meltano exited 1: target-postgres sqlalchemy.exc.IntegrityError: ")


def test_log_levels_follow_meltanos_and_metrics_are_debug() -> None:
    lines = OUTPUT.splitlines()
    assert [line_level(lines[0]), line_level(lines[2])] == ["info", "debug"]
    assert line_level("2026 [error    ] meltano      Loader failed") == "error"
    assert line_level("2026 [info     ] tap-ivesk    tap-ivesk: error: GET /x: HTTP 403") == "error"
    assert line_level("2026 [warning  ] meltano      No state was found, complete import.") == "warning"


def test_each_tenant_has_a_system_dir_of_its_own_linking_the_installed_plugins(tmp_path: Path) -> None:
    installed = tmp_path / "project" / ".meltano"
    for kind in ("extractors", "loaders", "utilities"):
        (installed / kind).mkdir(parents=True)
    first = prepare_sys_dir(tmp_path / "fleet" / "a", installed)
    again = prepare_sys_dir(tmp_path / "fleet" / "a", installed)  # idempotent
    other = prepare_sys_dir(tmp_path / "fleet" / "b", installed)
    assert first == again != other
    assert sorted(p.name for p in first.iterdir()) == ["extractors", "loaders", "utilities"]
    assert all(p.is_symlink() and p.resolve() == (installed / p.name).resolve() for p in first.iterdir())


def test_the_duckdb_file_is_resolved_as_meltano_does(tmp_path: Path) -> None:
    tenants = tmp_path / "tenants.yml"
    tenants.write_text(
        textwrap.dedent(
            """
            tenants:
              - {name: a, provider: ivesk, company_codes: ["1"], environment: dev}
              - {name: b, provider: ivesk, company_codes: ["1"]}
              - {name: c, provider: ivesk, company_codes: ["1"], loader: target-postgres}
            """
        )
    )
    a, b, c = load_fleet(tenants, ROOT / "meltano.yml")
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    root = tmp_path / "project"
    assert duckdb_file(a, project, {}, root) == root / "output" / "dev.duckdb"  # the environment's filepath
    assert duckdb_file(b, project, {}, root) == root / "output" / "dev.duckdb"  # the default environment: dev
    assert duckdb_file(b, project, {"MELTANO_ENVIRONMENT": "prod"}, root) == root / "output" / "prod.duckdb"
    assert duckdb_file(a, project, {"TARGET_DUCKDB_FILEPATH": "w/x.duckdb"}, root) == root / "w" / "x.duckdb"
    assert duckdb_file(c, project, {}, root) is None  # Postgres: no lock, runs in parallel
