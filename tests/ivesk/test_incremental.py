"""The queue bookmark: resumable at any page, lossless at equal timestamps, whatever `from` means."""

from __future__ import annotations

import datetime

import pytest

from tests.ivesk.conftest import ivesk_config

VARIANTS = [
    pytest.param({}, id="from-exclusive"),
    pytest.param({"from_inclusive": True}, id="from-inclusive"),
    pytest.param({"split_ties": True, "page_size": 7}, id="pages-split-equal-timestamps"),
    pytest.param({"split_ties": True, "page_size": 7, "from_inclusive": True}, id="inclusive-and-split"),
]


class FrozenClock:
    def __init__(self) -> None:
        self.now = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.UTC)

    def __call__(self) -> datetime.datetime:
        return self.now


def all_ids(sandbox) -> set[str]:
    """Every exported document id, read with the plain documented loop from a well-behaved queue."""
    from tests.ivesk.api import IveskApi

    variant = {
        k: v for k, v in sandbox.admin("GET", "/config").items() if k in ("from_inclusive", "split_ties", "page_size")
    }
    sandbox.configure(from_inclusive=False, split_ties=False, page_size=100)
    try:
        return {d["id"] for d in IveskApi(sandbox).queue("exported")}
    finally:
        sandbox.configure(**variant)


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_document_arrives_whatever_from_means_and_however_pages_are_cut(ivesk_factory, tap, variant):
    sandbox = ivesk_factory(**variant)
    run = tap(ivesk_config(sandbox))
    assert run.returncode == 0, run.stderr[-2000:]
    ids = [d["id"] for d in run.records("documents")]
    assert set(ids) == all_ids(sandbox) and len(ids) == len(set(ids))


def test_second_run_with_the_state_reads_nothing_new(ivesk, tap):
    first = tap(ivesk_config(ivesk))
    ivesk.clear_requests()
    second = tap(ivesk_config(ivesk), state=first.state)
    assert second.returncode == 0
    assert len(second.records("documents")) == 0
    assert len([e for e in ivesk.requests() if e["path"] == "/exported"]) == 1


def test_documents_exported_later_arrive_in_the_next_run(ivesk, tap):
    first = tap(ivesk_config(ivesk))
    exported = ivesk.admin("POST", "/ivesk/export", {"count": 5})
    second = tap(ivesk_config(ivesk), state=first.state)
    assert [d["id"] for d in second.records("documents")] == exported["ids"]


@pytest.mark.parametrize("variant", VARIANTS[:2])
def test_a_document_with_the_bookmarks_timestamp_is_not_lost_at_the_run_boundary(ivesk_factory, tap, variant):
    clock = FrozenClock()  # every export click happens at the same millisecond
    sandbox = ivesk_factory(clock=clock, **variant)
    first = tap(ivesk_config(sandbox))
    a = sandbox.admin("POST", "/ivesk/export", {"count": 1})
    second = tap(ivesk_config(sandbox), state=first.state)
    assert [d["id"] for d in second.records("documents")] == a["ids"]
    bookmark = second.state["bookmarks"]["documents"]
    assert bookmark["boundary_ids"] == a["ids"]
    b = sandbox.admin("POST", "/ivesk/export", {"count": 2})
    assert b["exportedat"] == a["exportedat"]
    third = tap(ivesk_config(sandbox), state=second.state)
    assert sorted(d["id"] for d in third.records("documents")) == sorted(b["ids"])


@pytest.mark.parametrize("variant", [VARIANTS[0], VARIANTS[2]])
@pytest.mark.parametrize("kill_after", [1, 99, 150, 260])
def test_a_run_killed_at_any_page_resumes_without_a_gap(ivesk_factory, tap, variant, kill_after):
    sandbox = ivesk_factory(scale=400, **variant)
    killed = tap(ivesk_config(sandbox), stop_after_records=kill_after)
    assert killed.returncode != 0
    seen = {d["id"] for d in killed.records("documents")}
    resumed = tap(ivesk_config(sandbox), state=killed.state)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    everything = all_ids(sandbox)
    assert seen | {d["id"] for d in resumed.records("documents")} == everything
    if (killed.state or {}).get("bookmarks", {}).get("documents", {}).get("replication_key_value"):
        # the resumed run did not start over
        assert len(resumed.records("documents")) < len(everything)


def test_documents_reexported_during_the_run_are_read_again_at_the_end(ivesk, tap):
    ivesk.faults({"path": "^/exported$", "kind": "mutate", "action": "reexport", "count": 4, "after": 1})
    run = tap(ivesk_config(ivesk))
    docs = run.records("documents")
    assert run.returncode == 0
    assert len({d["id"] for d in docs}) == ivesk.ground_truth()["documents"]["count"]
    assert len(docs) == len({d["id"] for d in docs}) + 4  # the 4 moved ones came again with their new time


def test_switching_the_queue_ignores_the_other_queues_bookmark(ivesk, tap):
    first = tap(ivesk_config(ivesk))
    run = tap(ivesk_config(ivesk, queue="digitized"), state=first.state)
    assert run.returncode == 0
    assert (
        len(run.records("documents"))
        == ivesk.admin("GET", "/ivesk/ground-truth?queue=digitized")["queues"]["digitized"]
    )


def test_code_lists_are_incremental_on_modifiedat(ivesk, tap):
    config = ivesk_config(ivesk, company_codes=["304567812"], columns=["department"])
    first = tap(config)
    assert len(first.records("columns")) == 10
    changed = ivesk.admin(
        "POST", "/ivesk/columns", {"companyCode": "304567812", "column": "department", "count": 2, "add": 1}
    )
    ivesk.clear_requests()
    second = tap(config, state=first.state)
    got = {r["code"] for r in second.records("columns")}
    # the changed codes, plus at most the one(s) at the old bookmark (asked from 1 ms before it)
    assert set(changed["changed"]) <= got and len(got) <= len(changed["changed"]) + 1
    assert all("modifiedsince" in e["query"] for e in ivesk.requests() if e["path"].startswith("/columns/"))
