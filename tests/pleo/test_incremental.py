"""Incremental runs: accounting entries by look-back window + open queue; export jobs by `changedAt` plus
the jobs seen open last time; a killed run resumes without gaps."""

from __future__ import annotations

from collections import Counter

from tests.helpers import discover, select_only
from tests.pleo.conftest import open_job_id, pleo_config, unique


def per_path(sandbox) -> Counter:
    return Counter(r["path"] for r in sandbox.requests())


def test_rerun_without_changes_reads_the_window_and_the_queue_not_the_history(pleo_factory, tmp_path, tap) -> None:
    pleo = pleo_factory(scale=3000, rate_limit=0)
    config = pleo_config(pleo, tmp_path, accounting_entries_lookback_days=30)
    first = tap(config)
    assert first.returncode == 0, first.stderr[-2000:]
    assert len(unique(first.records("accounting_entries"), "id")) == 3000
    first_calls = per_path(pleo)
    pleo.clear_requests()
    second = tap(config, state=first.state)
    assert second.returncode == 0, second.stderr[-2000:]
    again = second.records("accounting_entries")
    assert 0 < len(again) < 3000 * 0.4  # window + export queue (30 % of the entries), not the history
    assert per_path(pleo)["/v1/accounting-entries:search"] < first_calls["/v1/accounting-entries:search"] / 2
    items_calls = sum(n for p, n in per_path(pleo).items() if p.startswith("/v3/export-jobs/") and p.endswith("/items"))
    assert items_calls == 1  # only the open job's items; finished jobs unchanged since the bookmark are skipped


def test_an_entry_exported_later_is_delivered_with_its_new_status(pleo, tmp_path, tap, ack) -> None:
    config = pleo_config(pleo, tmp_path)
    first = tap(config)
    assert first.returncode == 0
    job_id = open_job_id(pleo)
    assert ack(config).returncode == 0  # the open job's entries are now exported
    second = tap(config, state=first.state)
    jobs = {j["id"]: j for j in second.records("export_jobs")}
    assert jobs[job_id]["status"] == "completed"  # the job seen open last time is delivered finished
    items = [i for i in second.records("export_job_items") if i["exportJobId"] == job_id]
    assert items and {i["status"] for i in items} == {"successful"}


def test_a_run_killed_halfway_resumes_from_its_last_state_without_gaps(pleo_factory, tmp_path, tap) -> None:
    pleo = pleo_factory(scale=800, rate_limit=0)
    config = pleo_config(pleo, tmp_path, page_size=50)
    catalog = select_only(discover("tap-pleo", config, tmp_path), "accounting_entries")
    killed = tap(config, catalog=catalog, stop_after_records=500)
    rerun = tap(config, catalog=catalog, state=killed.state or {})
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    ids = set(unique(killed.records("accounting_entries"), "id")) | set(
        unique(rerun.records("accounting_entries"), "id")
    )
    assert len(ids) == 800
