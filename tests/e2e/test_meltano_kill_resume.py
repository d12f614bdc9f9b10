"""A `meltano run` killed with SIGKILL (Meltano, tap and target at once: an OOM kill, a lost machine) and run
again with `--force`, as the README says: the rerun starts from the state the target had confirmed before the
kill, and after it every document is in the warehouse exactly once (after dedupe by key for JSON Lines).

Each kill test first runs tap-ivesk with only its code lists selected (so Meltano holds a state from a
complete run), then a run of every stream that the sandbox holds at its third queue page (a `slow` fault: the
code lists and two pages of documents have gone to the target), kills the whole process group once the target
has done what it does before the end of a run, and reruns. What the targets confirm before the end (README,
"Reruns after a crash"): target-duckdb every batch (`batch_size_rows`, every stream written first: the last
test), target-postgres only at the end or five minutes after its last confirmation, target-jsonl only at the
end."""

from __future__ import annotations

import dataclasses
import datetime
import json
import select
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest
import requests
from sandbox.ivesk import API_KEY
from tapkit.timeutil import parse_utc, to_api_ms
from warehouse_summary import DuckDBWarehouse, JsonlWarehouse, PostgresWarehouse, compare

from tests.e2e.conftest import MeltanoProject, PostgresServer, kill_group, wait_until
from tests.e2e.test_ivesk_meltano import assert_landed, ivesk_env
from tests.helpers import Sandbox

pytestmark = pytest.mark.e2e

BATCH_ROWS = "10"  # the targets' batch size in these tests: many full batches before the kill
# The killed run waits at its third `/exported` request (pages of 100: 200 documents are out by then); the
# tap's request timeout is longer than that, so the run stays there until it is killed.
HOLD = {"path": "^/exported$", "kind": "slow", "delay": 600, "after": 2, "times": 1}
SLOW_TAP = {"TAP_IVESK_REQUEST_TIMEOUT": "900", "TAP_IVESK_MAX_RETRIES": "0"}
CODE_LISTS_ONLY = {"TAP_IVESK__SELECT": '["columns.*"]'}


def state_id(target: str) -> str:
    return f"test:tap-ivesk-to-{target}"


def bookmark(state: dict[str, Any], stream: str = "documents") -> dict[str, Any]:
    """A stream's bookmark in a Meltano state (`{}` when there is none)."""
    return state.get("singer_state", {}).get("bookmarks", {}).get(stream, {})


def resume_from(state: dict[str, Any]) -> str:
    """The `from` of the first `/exported` request of a run started from `state` (1 ms before the bookmark)."""
    position = parse_utc(bookmark(state)["replication_key_value"])
    return to_api_ms(position - datetime.timedelta(milliseconds=1))


def run_killed_at_the_hold(
    sandbox: Sandbox, meltano: MeltanoProject, target: str, done: Callable[[], Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A complete run of the code lists, then a run of every stream killed at HOLD once `done()`. Returns the
    state of the complete run and the state Meltano kept after the kill."""
    dataclasses.replace(meltano, env=meltano.env | CODE_LISTS_ONLY).run("run", "tap-ivesk", target)
    complete = meltano.saved_state(state_id(target))
    assert bookmark(complete, "columns") and not bookmark(complete), complete
    sandbox.faults(HOLD)
    with meltano.background("run", "tap-ivesk", target) as run:
        wait_until(
            lambda: not sandbox.admin("GET", "/faults") and done(),
            what=f"run into {target} held at its third queue page",
            proc=run,
        )
        kill_group(run)
    return complete, meltano.saved_state(state_id(target))


def rerun_after_the_kill(sandbox: Sandbox, meltano: MeltanoProject, target: str) -> list[dict[str, Any]]:
    """`meltano run --force` (the killed run's job looks alive for five more minutes); the requests it made."""
    sandbox.admin("DELETE", "/faults")
    sandbox.clear_requests()
    meltano.run("run", "--force", "tap-ivesk", target)
    return sandbox.requests()


def queue_reads(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [entry["query"] for entry in log if entry["path"] == "/exported"]


def code_list_reads(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [entry["query"] for entry in log if entry["path"].startswith("/columns/")]


def sandbox_documents(sandbox: Sandbox) -> list[dict[str, Any]]:
    """Every document of the exported queue, read from the sandbox's API (`from` = the page's `next`)."""
    documents: list[dict[str, Any]] = []
    params: dict[str, str] = {}
    while True:
        page = requests.get(f"{sandbox.url}/exported", params=params, headers={"x-api-key": API_KEY}, timeout=30)
        page.raise_for_status()
        documents += page.json()["documents"]
        if not page.json().get("next"):
            return documents
        params = {"from": page.json()["next"]}


def test_killed_run_into_duckdb_resumes_from_the_last_batch_it_confirmed(ivesk_factory, meltano: MeltanoProject):
    sandbox = ivesk_factory()
    meltano.env |= ivesk_env(sandbox.url, flattening=True) | SLOW_TAP | {"TARGET_DUCKDB_BATCH_SIZE_ROWS": BATCH_ROWS}

    _, kept = run_killed_at_the_hold(
        sandbox, meltano, "target-duckdb", lambda: bookmark(meltano.saved_state(state_id("target-duckdb")))
    )

    # confirmed during the run, and only what was stored (flush_all_streams): no document before the
    # bookmark is missing from the warehouse
    position, at_position = parse_utc(bookmark(kept)["replication_key_value"]), bookmark(kept)["boundary_ids"]
    with DuckDBWarehouse(meltano.workdir / "warehouse.duckdb", schema="tap_ivesk") as warehouse:
        stored = {row[0] for row in warehouse._query("SELECT id FROM tap_ivesk.documents")}
    passed = [
        d["id"] for d in sandbox_documents(sandbox) if parse_utc(d["exportedat"]) < position or d["id"] in at_position
    ]
    assert passed and set(passed) <= stored

    refused = meltano.run("run", "tap-ivesk", "target-duckdb", check=False)
    assert refused.returncode != 0
    assert "pipeline is already running" in (meltano.workdir / "meltano.log").read_text(encoding="utf-8")

    reads = rerun_after_the_kill(sandbox, meltano, "target-duckdb")
    assert queue_reads(reads)[0].get("from") == resume_from(kept)  # not from the start of the queue
    truth = sandbox.admin("GET", "/ground-truth")
    with DuckDBWarehouse(meltano.workdir / "warehouse.duckdb", schema="tap_ivesk") as warehouse:
        assert_landed(compare(truth, warehouse, title="tap-ivesk after the kill", exclude=("files",)), truth)


def assert_restarted_from_the_complete_run(
    complete: dict[str, Any], kept: dict[str, Any], reads: list[dict[str, Any]]
) -> None:
    """Nothing of the killed run was confirmed: Meltano kept the complete run's state, and the rerun started
    from it (the code lists from their bookmarks, the queue, never confirmed, from its start)."""
    assert kept == complete
    assert "from" not in queue_reads(reads)[0]
    assert code_list_reads(reads) and all("modifiedsince" in query for query in code_list_reads(reads))


def test_killed_run_into_postgres_resumes_from_the_last_complete_run(
    ivesk_factory, meltano: MeltanoProject, postgres_server: PostgresServer
):
    sandbox = ivesk_factory()
    database = postgres_server.create_database("e2e_kill_resume")
    meltano.env |= (
        ivesk_env(sandbox.url, flattening=False)
        | SLOW_TAP
        | postgres_server.target_env(database)
        | {"TARGET_POSTGRES_BATCH_SIZE_ROWS": BATCH_ROWS}
    )

    def written() -> int:
        with psycopg.connect(postgres_server.dsn(database)) as conn:
            exists = conn.execute("SELECT to_regclass('tap_ivesk.documents')").fetchone()
            if not exists or exists[0] is None:
                return 0
            return conn.execute("SELECT COUNT(*) FROM tap_ivesk.documents").fetchone()[0]

    complete, kept = run_killed_at_the_hold(sandbox, meltano, "target-postgres", lambda: written() > 0)

    # full batches of documents were in PostgreSQL, yet target-postgres had confirmed none of them: it
    # emits STATE at the end of a run, or five minutes after its last one
    assert written() > 0
    reads = rerun_after_the_kill(sandbox, meltano, "target-postgres")
    assert_restarted_from_the_complete_run(complete, kept, reads)
    truth = sandbox.admin("GET", "/ground-truth")
    with PostgresWarehouse(postgres_server.dsn(database), schema="tap_ivesk") as warehouse:
        report = compare(truth, warehouse, title="tap-ivesk after the kill", exact=True, exclude=("files",))
    assert_landed(report, truth)  # upserted by key: the documents loaded twice are there once


def test_killed_run_into_jsonl_restarts_from_the_last_complete_run_and_appends_again(
    ivesk_factory, meltano: MeltanoProject
):
    sandbox = ivesk_factory()
    meltano.env |= ivesk_env(sandbox.url, flattening=False) | SLOW_TAP
    documents = meltano.workdir / "jsonl" / "documents.jsonl"

    complete, kept = run_killed_at_the_hold(sandbox, meltano, "target-jsonl", lambda: line_count(documents) > 0)

    written = line_count(documents)  # what the killed run wrote (target-jsonl writes each record at once)
    reads = rerun_after_the_kill(sandbox, meltano, "target-jsonl")
    assert_restarted_from_the_complete_run(complete, kept, reads)
    truth = sandbox.admin("GET", "/ground-truth")
    report = compare(truth, JsonlWarehouse(meltano.workdir / "jsonl"), exact=True, exclude=("files",))
    assert report.ok, "\n" + report.render()  # every document, once per key
    (rows,) = [line for line in report.lines if line.stream == "documents" and line.label == "rows"]
    stored = int(truth["streams"]["documents"]["count"]) + written
    assert rows.note == f"{stored} rows stored (appended)"  # what the killed run wrote is there twice


def line_count(path: Path) -> int:
    if not path.exists():
        return 0
    with path.open(encoding="utf-8") as lines:
        return sum(1 for _ in lines)


def test_target_duckdb_confirms_a_state_only_after_storing_every_stream_before_it(meltano: MeltanoProject):
    """flush_all_streams (meltano.yml): a full batch of one stream writes every stream before the state is
    passed on. Without it, target-duckdb confirms another stream's bookmark whose records it only buffered."""

    def schema(stream: str) -> dict[str, Any]:
        body = {"type": "object", "properties": {"id": {"type": "integer"}}}
        return {"type": "SCHEMA", "stream": stream, "schema": body, "key_properties": ["id"]}

    messages = [
        schema("first"),
        *({"type": "RECORD", "stream": "first", "record": {"id": i}} for i in range(3)),
        {"type": "STATE", "value": {"bookmarks": {"first": {"replication_key_value": 2}}}},
        schema("second"),
        *({"type": "RECORD", "stream": "second", "record": {"id": i}} for i in range(int(BATCH_ROWS))),
    ]
    meltano.env |= {"TARGET_DUCKDB_BATCH_SIZE_ROWS": BATCH_ROWS, "TARGET_DUCKDB_DEFAULT_TARGET_SCHEMA": "kill"}
    with meltano.background("invoke", "target-duckdb", stdin=subprocess.PIPE, stdout=subprocess.PIPE) as target:
        assert target.stdin is not None and target.stdout is not None
        target.stdin.write("".join(json.dumps(message) + "\n" for message in messages))
        target.stdin.flush()  # stdin stays open: the run is not over, only a batch is full
        stdout = target.stdout
        wait_until(lambda: select.select([stdout], [], [], 0)[0], what="STATE from target-duckdb", proc=target)
        confirmed = json.loads(stdout.readline())
        kill_group(target)
    assert confirmed == {"bookmarks": {"first": {"replication_key_value": 2}}}
    with duckdb.connect(str(meltano.workdir / "warehouse.duckdb"), read_only=True) as db:
        assert db.sql("SELECT COUNT(*) FROM kill.first").fetchall() == [(3,)]
