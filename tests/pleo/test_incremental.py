"""Incremental runs: accounting entries by look-back window + open queue; export jobs by `changedAt` plus
the jobs seen open last time; a killed run resumes without gaps, from the STATE of its last page."""

from __future__ import annotations

import copy
import typing as t
from collections import Counter

import pytest
from tap_pleo.pagination import EntryPosition
from tap_pleo.streams_entries import RESUME
from tap_pleo.tap import TapPleo
from tapkit.timeutil import to_utc_iso

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


# --- STATE while reading accounting entries ------------------------------------------------------------
ENTRIES = "accounting_entries"


def entries_state(state: dict) -> dict:
    """The entries stream's state of the one company a run read (its partition: state is kept per company)."""
    (partition,) = state["bookmarks"][ENTRIES]["partitions"]
    return partition


def entries_catalog(config: dict, tmp_path) -> dict:
    return select_only(discover("tap-pleo", config, tmp_path), ENTRIES)


def states_between_records(run) -> list[tuple[set[str], dict]]:
    """Each STATE of the entries stream with the ids of the entries emitted before it."""
    seen: set[str] = set()
    out = []
    for message in run.messages:
        if message["type"] == "RECORD" and message["stream"] == ENTRIES:
            seen.add(message["record"]["id"])
        elif message["type"] == "STATE" and ENTRIES in message["value"].get("bookmarks", {}):
            out.append((set(seen), entries_state(message["value"])))
    return out


def test_a_state_follows_every_page_and_never_passes_an_entry_not_yet_emitted(pleo_factory, tmp_path, tap) -> None:
    pleo = pleo_factory(scale=300, rate_limit=0)
    config = pleo_config(pleo, tmp_path, page_size=40)
    catalog = entries_catalog(config, tmp_path)
    first = tap(config, catalog=catalog)
    assert first.returncode == 0, first.stderr[-2000:]
    records = {r["id"]: r for r in first.records(ENTRIES)}
    states = states_between_records(first)
    mid_run = [(seen, state) for seen, state in states if RESUME in state]
    assert len(mid_run) == -(-300 // 40)  # one per page
    for seen, state in mid_run:
        position = state[RESUME]
        assert set(position["ids"]) <= seen  # the entries at the position were emitted before the STATE
        later = [r["performedAt"] for i, r in records.items() if i not in seen]  # emitted after the STATE
        assert all(moment >= position["performedAt"] for moment in later)
        assert state["replication_key_value"] <= min(later, default=state["replication_key_value"])
    final = entries_state(first.state)
    assert RESUME not in final
    assert final["replication_key_value"] == max(r["performedAt"] for r in records.values())


def test_a_run_killed_in_the_history_re_reads_at_most_one_page(pleo_factory, tmp_path, tap) -> None:
    pleo = pleo_factory(scale=400, rate_limit=0)
    config = pleo_config(pleo, tmp_path, page_size=50)
    catalog = entries_catalog(config, tmp_path)
    killed = tap(config, catalog=catalog, stop_after_records=170)
    assert entries_state(killed.state)[RESUME]["windowStart"] is None  # first run: the history alone
    rerun = tap(config, catalog=catalog, state=killed.state)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    before, after = [r["id"] for r in killed.records(ENTRIES)], [r["id"] for r in rerun.records(ENTRIES)]
    assert set(before) | set(after) == {r["id"] for r in tap(config, catalog=catalog).records(ENTRIES)}
    assert len(before) + len(after) - 400 == 170 - 150  # the entries after the last page's STATE, no more
    assert "Continuing the accounting entries of an interrupted run" in rerun.stderr


def test_a_run_killed_in_the_queue_pass_continues_it_then_reads_the_window(pleo_factory, tmp_path, tap) -> None:
    pleo = pleo_factory(scale=600, rate_limit=0)
    config = pleo_config(pleo, tmp_path, page_size=20)
    catalog = entries_catalog(config, tmp_path)
    first = tap(config, catalog=catalog)
    whole = tap(config, catalog=catalog, state=first.state)  # what an uninterrupted second run delivers
    expected = [r["id"] for r in whole.records(ENTRIES)]
    killed = tap(config, catalog=catalog, state=first.state, stop_after_records=45)
    resume = entries_state(killed.state)[RESUME]
    assert resume["performedAt"] < resume["windowStart"]  # it stopped in the queue pass
    assert sum(r["performedAt"] < resume["windowStart"] for r in whole.records(ENTRIES)) > 60  # not at its end
    rerun = tap(config, catalog=catalog, state=killed.state)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    before, after = [r["id"] for r in killed.records(ENTRIES)], [r["id"] for r in rerun.records(ENTRIES)]
    assert set(before) | set(after) == set(expected)
    assert len(before) + len(after) - len(expected) == 45 - 40
    assert entries_state(rerun.state)["replication_key_value"] == entries_state(whole.state)["replication_key_value"]


# --- the resume logic without a server: entries sharing a performedAt, in any order -------------------
def at(second: int) -> str:
    return f"2026-03-01T10:00:{second:02d}.000Z"


#: twelve entries, three per moment; the queue holds every other one
TIED = [
    {"id": f"e{i:02d}", "performedAt": at(i // 3), "exportStatus": "EXPORTED" if i % 2 else "NOT_EXPORTED"}
    for i in range(12)
]


def fake_search(entries: list[dict], reverse_ties: bool, *, sort: bool = True) -> t.Callable[[t.Any], t.Iterator[dict]]:
    """The search as Pleo answers it: filtered, sorted by performedAt (unless not `sort`); the order within a
    moment is the API's own (here: by id, or reversed)."""

    def request_records(context: t.Any) -> t.Iterator[dict]:
        search = context["filter"]
        low, statuses = search.get("performedAtStart"), search.get("exportStatus")
        found = [e for e in entries if (low is None or e["performedAt"] >= low)]
        found = [e for e in found if statuses is None or e["exportStatus"] in statuses]
        if sort:
            found.sort(key=lambda e: e["id"], reverse=reverse_ties)
            found.sort(key=lambda e: e["performedAt"])
        yield from (dict(e) for e in found)

    return request_records


COMPANY = {"companyId": "c"}  # the partition of the one company `read` reads


def company_state(partition: dict) -> dict:
    """A tap state holding `partition` as the entries state of company `c`."""
    return {"bookmarks": {ENTRIES: {"partitions": [{**partition, "context": COMPANY}]}}}


def read(
    state: dict | None,
    *,
    kill_after: int | None = None,
    reverse_ties: bool = False,
    entries: list[dict] = TIED,
    sort: bool = True,
) -> tuple[list[str], dict]:
    """The ids one run emits, and the entries stream's state (company `c`'s) when it was killed (after
    `kill_after`) or done."""
    tap = TapPleo(config={"api_key": "k", "company_id": "c"}, state=copy.deepcopy(state or {}), setup_mapper=False)
    stream = tap.streams[ENTRIES]
    stream.request_records = fake_search(entries, reverse_ties, sort=sort)  # type: ignore[method-assign]
    emitted: list[str] = []
    for entry in stream.get_records(COMPANY):
        emitted.append(entry["id"])
        if len(emitted) == kill_after:
            break  # the stream state now holds the position of the entries before this one
    return emitted, copy.deepcopy(stream.get_context_state(COMPANY))


@pytest.mark.parametrize("kill_after", range(1, 12))
@pytest.mark.parametrize("reverse_ties", [False, True])
def test_a_kill_inside_a_group_of_equal_timestamps_loses_none_of_them(kill_after: int, reverse_ties: bool) -> None:
    before, state = read(None, kill_after=kill_after)
    assert state[RESUME]["windowStart"] is None
    after, final = read(company_state(state), reverse_ties=reverse_ties)
    assert set(before) | set(after) == {e["id"] for e in TIED}
    assert len(before) + len(after) - len(TIED) <= 1 + 2 * reverse_ties  # the entry being written, and its moment
    assert RESUME not in final


@pytest.mark.parametrize("kill_after", range(1, 9))
def test_a_kill_in_the_queue_pass_resumes_the_queue_then_the_whole_window(kill_after: int) -> None:
    window_start = to_utc_iso(at(2))
    state = {"replication_key": "performedAt", "replication_key_value": window_start}
    state[RESUME] = {"windowStart": window_start, "performedAt": None, "ids": []}  # a run killed before its first page
    queue = [e["id"] for e in TIED if e["exportStatus"] != "EXPORTED" and e["performedAt"] < at(2)]
    window = [e["id"] for e in TIED if e["performedAt"] >= at(2)]
    whole, _ = read(company_state(state))
    assert whole == queue + window  # the queue's older entries first: the stream is in performedAt order
    before, killed = read(company_state(state), kill_after=kill_after, reverse_ties=True)
    after, final = read(company_state(killed))
    assert set(before) | set(after) == set(whole)
    assert RESUME not in final


def test_an_entry_position_skips_only_what_was_emitted_at_its_moment() -> None:
    position = EntryPosition()
    assert position.request_from(None) is None and position.request_from("x") == "x"
    for entry in TIED[3:5]:
        position.advance(entry)
    assert position.to_state() == {"performedAt": "2026-03-01T10:00:01.000000+00:00", "ids": ["e03", "e04"]}
    assert position.behind(TIED[2]) and position.behind(TIED[4]) and not position.behind(TIED[5])
    assert position.request_from(None) == "2026-03-01T10:00:00.999000+00:00"  # a millisecond before
    assert position.request_from("2026-03-01T10:00:01.500000+00:00") == "2026-03-01T10:00:01.500000+00:00"
    position.advance(TIED[6])
    assert position.to_state() == {"performedAt": "2026-03-01T10:00:02.000000+00:00", "ids": ["e06"]}


@pytest.mark.parametrize(
    ("resume", "named"),
    [
        ("later", "is 'later', not an object"),
        ({"windowStart": None, "performedAt": "soon", "ids": ["a"]}, "not a performedAt date-time"),
        ({"windowStart": "yesterday", "performedAt": None, "ids": []}, "windowStart 'yesterday'"),
    ],
)
def test_a_malformed_resume_in_the_state_is_named(resume: t.Any, named: str) -> None:
    from tapkit.errors import TapError

    with pytest.raises(TapError, match=f"state: .*resume of stream accounting_entries.*{named}"):
        read(company_state({RESUME: resume}))


def test_entries_out_of_performed_at_order_stop_the_run_before_a_resume_could_skip_any() -> None:
    from tapkit.errors import TapError

    unsorted = [TIED[5], TIED[0]]  # a search that does not sort as it was asked to
    with pytest.raises(TapError, match=r"came after .* although the search asked for performedAt ascending"):
        read(None, entries=unsorted, sort=False)
