"""Incremental runs: only what is new, honest bookmarks, records changing while the tap pages."""

from __future__ import annotations

import datetime
from collections import Counter

from tests.candis.conftest import candis_config
from tests.candis.test_sync import STREAMS, unique

ENDPOINT_STREAM = {
    "/organizations/info": "organizations_info",
    "/exports": "exports",
    "/postings": "postings",
    "/reimbursement-items": "reimbursement_items",
    "/invoices": "invoices",
    "/purchase-requests": "purchase_requests",
}


def _per_stream(requests: list[dict]) -> Counter:
    counts: Counter = Counter()
    for request in requests:
        path = request["path"]
        if "/exports/" in path and not path.endswith("/postings"):
            counts["exports"] += 1
            continue
        for suffix, stream in ENDPOINT_STREAM.items():
            if path.endswith(suffix):
                counts[stream] += 1
    return counts


def test_second_run_without_changes_makes_at_most_two_requests_per_stream(candis, config, tap) -> None:
    first = tap(config)
    assert first.returncode == 0, first.stderr[-2000:]
    candis.clear_requests()
    second = tap(config, state=first.state)
    assert second.returncode == 0, second.stderr[-2000:]
    counts = _per_stream(candis.requests())
    assert counts, "no requests were logged"
    assert max(counts.values()) <= 2, counts
    assert not second.records("postings")


def test_changed_records_arrive_in_the_next_run(candis, config, tap) -> None:
    first = tap(config)
    candis.admin("POST", "/candis/modify", {"stream": "reimbursement_items", "count": 4})
    candis.admin("POST", "/candis/modify", {"stream": "invoices", "count": 3})
    second = tap(config, state=first.state)
    assert second.returncode == 0, second.stderr[-2000:]
    assert len(second.records("reimbursement_items")) >= 4
    assert len(second.records("invoices")) >= 3
    assert len(second.records("reimbursement_items")) < len(first.records("reimbursement_items"))


def test_records_changing_during_paging_are_not_skipped(candis_factory, tmp_path, tap) -> None:
    sandbox = candis_factory(scale=400)
    sandbox.faults(
        {"path": "/reimbursement-items", "kind": "mutate", "after": 2, "stream": "reimbursement_items", "count": 7},
        {"path": "/purchase-requests", "kind": "mutate", "after": 2, "stream": "purchase_requests", "count": 7},
        {"path": "/invoices", "kind": "mutate", "after": 3, "stream": "invoices", "count": 7},
    )
    run = tap(candis_config(sandbox, tmp_path))
    assert run.returncode == 0, run.stderr[-2000:]
    truth = sandbox.ground_truth()
    for stream in ("reimbursement_items", "purchase_requests", "invoices"):
        assert len(unique(run.records(stream), "id")) == truth[stream]["count"], stream
    assert sandbox.admin("GET", "/faults") == []  # every mutation really happened mid-run


def test_run_killed_halfway_resumes_from_its_last_state_without_gaps(candis_factory, tmp_path, tap) -> None:
    sandbox = candis_factory(scale=300)
    config = candis_config(sandbox, tmp_path)
    killed = tap(config, stop_after_records=700)
    assert killed.returncode != 0
    resumed = tap(config, state=killed.state)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    truth = sandbox.ground_truth()
    for stream in STREAMS:
        keys = ("exportId", "id") if stream == "failed_postings" else ("id",)
        delivered = unique(killed.records(stream) + resumed.records(stream), *keys)
        assert len(delivered) == truth[stream]["count"], stream


def test_invoices_changed_during_the_run_are_caught_when_candis_clock_is_behind(candis_factory, tmp_path, tap) -> None:
    # Candis's clock 2 minutes behind the tap's: a change during the run is stamped before the run's start
    # by the tap's clock, so a window ending at the run's start would already have been read.
    sandbox = candis_factory(
        scale=400, clock=lambda: datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=2)
    )
    sandbox.faults({"path": "/invoices", "kind": "mutate", "after": 3, "stream": "invoices", "count": 7})
    run = tap(candis_config(sandbox, tmp_path))
    assert run.returncode == 0, run.stderr[-2000:]
    assert sandbox.admin("GET", "/faults") == []
    last_seen = {r["id"]: r["updatedAt"] for r in run.records("invoices")}  # the last version emitted per id

    current = tap(candis_config(sandbox, tmp_path))  # no state, nothing changes now: every invoice as it is
    assert current.returncode == 0
    changed = {r["id"]: r["updatedAt"] for r in current.records("invoices") if last_seen.get(r["id"]) != r["updatedAt"]}
    assert not changed  # no invoice left at a version older than Candis's
