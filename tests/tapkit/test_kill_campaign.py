"""A kill campaign on every tap: SIGKILL after a few seeded numbers of records, resume from the last STATE the
tap emitted, repeat until a run completes (tests/kill_campaign.py). No key of the ground truth is lost,
whether or not the provider's data changes between a kill and its resume, and the duplicate ratio (records
received / distinct keys) stays at most 1.5 for the taps with Singer state.

tap-findity has no Singer state: its exports are a queue that only the write-back empties, so resuming is
rerunning — every unprocessed export is read again — and nothing is lost because a killed run writes no run
manifest, so nothing is confirmed before a complete run. There each kill costs exactly the records the killed
run had emitted.

Small scale (a few hundred records per tap, pages scaled down with them), three kills per campaign.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import typing as t
import zlib
from pathlib import Path

import pytest
import requests
from sandbox.pleo import API_KEY as PLEO_KEY
from sandbox.pleo import DEFAULT_COMPANY_ID

from tests.candis.conftest import candis_config
from tests.findity.conftest import exports_in_findity, findity_config
from tests.helpers import Sandbox, TapRun, command_fixture, run_tap
from tests.ivesk.conftest import ivesk_config
from tests.kill_campaign import Campaign, key_sets, kill_points, run_campaign
from tests.pleo.conftest import pleo_config

KILLS = 3
writeback = command_fixture("writeback", "tap-findity-writeback")
#: tap -> (stream, field) of the records the changes between kills modify
CHANGED = {
    "tap-candis": ("invoices", "updatedAt"),
    "tap-ivesk": ("documents", "exportedat"),
    "tap-pleo": ("accounting_entries", "updatedAt"),
}


@dataclasses.dataclass(frozen=True)
class Setup:
    """How one tap's campaign is set up: its sandbox, its config, and the data changing between kills."""

    fixture: str  # the sandbox factory fixture
    options: dict[str, t.Any]  # the sandbox's options (scale ...)
    config: t.Callable[[Sandbox, Path], dict]
    prepare: t.Callable[[Sandbox], None] = lambda sandbox: None  # before the changing campaign
    change: t.Callable[[Sandbox, int], None] = lambda sandbox, i: None  # after the i-th kill, before the resume


def pleo_open_job(sandbox: Sandbox) -> str | None:
    body = requests.get(
        f"{sandbox.url}/v3/export-jobs",
        params={"company_id": DEFAULT_COMPANY_ID, "statuses": ["pending", "in_progress"]},
        auth=(PLEO_KEY, ""),
        timeout=10,
    ).json()
    return body["data"][0]["id"] if body["data"] else None


def pleo_new_job(sandbox: Sandbox, i: int) -> None:
    """The accountant's side: the open job expires (its items stay listed, failed) and a new one opens."""
    job = pleo_open_job(sandbox)
    if job is not None:
        sandbox.admin("POST", f"/pleo/export-jobs/{job}/expire")
    sandbox.admin("POST", "/pleo/export-jobs", {"count": 6})


def candis_modify(sandbox: Sandbox, i: int) -> None:
    for stream in ("invoices", "reimbursement_items", "purchase_requests"):
        sandbox.admin("POST", "/candis/modify", {"stream": stream, "count": 3})


def ivesk_export(sandbox: Sandbox, i: int) -> None:
    sandbox.admin("POST", "/ivesk/export", {"count": 5})  # new documents enter the queue
    sandbox.admin("POST", "/ivesk/reexport", {"count": 2})  # exported ones move to its end


SETUPS = {
    "tap-candis": Setup("candis_factory", {"scale": 60}, candis_config, change=candis_modify),
    "tap-pleo": Setup(
        "pleo_factory",
        {"scale": 100, "rate_limit": 0},
        lambda sandbox, tmp: pleo_config(sandbox, tmp, page_size=20),
        prepare=lambda sandbox: pleo_new_job(sandbox, -1),
        change=pleo_new_job,
    ),
    "tap-ivesk": Setup(
        "ivesk_factory", {"scale": 800}, lambda sandbox, tmp: ivesk_config(sandbox), change=ivesk_export
    ),
    "tap-findity": Setup(
        "findity_factory",
        {"scale": 100},
        findity_config,
        change=lambda sandbox, i: sandbox.admin("POST", "/findity/bulk-send", {"count": 3}),
    ),
}


class Tap:
    """One tap against its own sandbox: `run(**run_tap_kwargs)` in a fresh work dir per run."""

    def __init__(self, request: pytest.FixtureRequest, tmp_path: Path, name: str) -> None:
        self.name, self.setup = name, SETUPS[name]
        self.sandbox: Sandbox = request.getfixturevalue(self.setup.fixture)(**self.setup.options)
        self.tmp = tmp_path
        self.config = self.setup.config(self.sandbox, tmp_path)
        self._runs = itertools.count()

    def run(self, **kwargs: t.Any) -> TapRun:
        workdir = self.tmp / f"run{next(self._runs)}"
        workdir.mkdir()
        return run_tap(self.name, self.config, workdir, **kwargs)

    def campaign(self, kills: list[int], **kwargs: t.Any) -> Campaign:
        found = run_campaign(self.name, self.run, kills, **kwargs)
        print(found.summary())  # the figures, in the test log (pytest -s or -rP)
        return found


def seeded_kills(tap: str, variant: int, records: int) -> list[int]:
    return kill_points(zlib.crc32(tap.encode()) + variant, KILLS, records)


@pytest.mark.parametrize("name", sorted(SETUPS))
def test_a_killed_run_resumed_from_its_last_state_loses_no_key(request, tmp_path, name: str) -> None:
    tap = Tap(request, tmp_path, name)
    reference = tap.run()
    assert reference.returncode == 0, reference.stderr[-2000:]
    expected = key_sets([reference])
    total = sum(len(keys) for keys in expected.values())
    truth = tap.sandbox.ground_truth()
    for stream, keys in expected.items():
        assert len(keys) == truth[stream]["count"], stream  # the uninterrupted run holds the ground truth

    found = tap.campaign(seeded_kills(name, 0, total))

    assert len(found.kills) == KILLS  # every run but the last was killed
    assert found.missing(expected) == {}
    assert found.keys == expected  # nothing lost, nothing invented
    if name == "tap-findity":  # no state: each resume reruns the whole queue, so a kill costs what it emitted
        assert sum(found.received.values()) == total + sum(found.kills)
    else:
        assert found.ratio() <= 1.5, found.summary()


@pytest.mark.parametrize("name", sorted(SETUPS))
def test_a_killed_run_resumed_after_the_data_changed_loses_no_key(request, tmp_path, name: str) -> None:
    tap = Tap(request, tmp_path, name)
    tap.setup.prepare(tap.sandbox)
    before = tap.run()
    assert before.returncode == 0, before.stderr[-2000:]
    total = sum(len(keys) for keys in key_sets([before]).values())

    found = tap.campaign(seeded_kills(name, 1, total), between=lambda i: tap.setup.change(tap.sandbox, i))

    assert len(found.kills) == KILLS
    after = tap.run()  # from scratch: every key the provider holds now
    assert after.returncode == 0, after.stderr[-2000:]
    expected = key_sets([after])
    assert found.missing(expected) == {}
    if name != "tap-candis":  # new keys arrived (export jobs and their items, documents, exports)
        assert sum(len(keys) for keys in expected.values()) > total
    if name in CHANGED:  # records that changed: the version delivered last is the provider's current one
        stream, stamp = CHANGED[name]
        old = {r["id"]: r[stamp] for r in before.records(stream)}
        changed = {r["id"]: r[stamp] for r in after.records(stream) if old.get(r["id"]) != r[stamp]}
        assert changed
        latest = {key[0]: record[stamp] for key, record in found.latest[stream].items()}
        assert {i: latest.get(i) for i in changed} == changed


def test_findity_resumes_by_rerunning_and_the_write_back_confirms_only_after_a_complete_run(
    request, tmp_path, writeback
) -> None:
    tap = Tap(request, tmp_path, "tap-findity")

    def acknowledged() -> list[str]:
        done = writeback(tap.config, "ack", "--json")
        assert done.returncode == 0, done.stderr
        return [json.loads(line)["exportId"] for line in done.stdout.splitlines()]

    def after_a_kill(i: int) -> None:
        assert acknowledged() == []  # a killed run wrote no manifest: nothing is confirmed, the queue stays whole
        assert all(e["status"] == "UNPROCESSED" for e in exports_in_findity(tap.sandbox).values())
        tap.sandbox.admin("POST", "/findity/bulk-send", {"count": 3})  # and the queue grows meanwhile

    found = tap.campaign([40, 5, 90], between=after_a_kill)

    assert len(found.kills) == 3
    queue = set(exports_in_findity(tap.sandbox))
    assert {key[0] for key in found.keys["exports"]} == queue  # the first exports and the three sent meanwhile
    assert set(acknowledged()) == queue  # the complete run's manifest: every export, confirmed once
    assert all(e["status"] == "PROCESSED" for e in exports_in_findity(tap.sandbox).values())
    assert tap.run().records("exports") == []  # the queue is empty: nothing is left to resume
