"""`company_ids`: several Pleo companies in one run with an organization-scoped key. Every company's records
land with its `companyId`, the state holds one entry per company, each company has its manifest and the
write-back closes each company's jobs; a company the key cannot read fails the run in one line naming it."""

from __future__ import annotations

import typing as t
from collections import Counter

import pytest
from sandbox.pleo import API_KEY, DEFAULT_COMPANY_ID
from sandbox.pleo.config import company_api_key, pleo_companies

from tests.helpers import Sandbox, discover, select_only
from tests.pleo.conftest import open_job_id, pleo_config, unique

THREE = [c.id for c in pleo_companies(3)]
#: the streams of one company, and each one's key (`companies` lists the organization's companies)
KEYS = {
    "export_jobs": ("id",),
    "export_job_items": ("exportJobId", "accountingEntryId"),
    "export_items": ("exportJobId", "accountingEntryId"),
    "accounting_entries": ("id",),
    "employees": ("id",),
    "tax_codes": ("id",),
    "tag_groups": ("id",),
    "tags": ("id",),
    "accounts": ("id",),
    "vendors": ("id",),
    "files": ("id",),
}


def by_company(records: list[dict]) -> dict[str | None, list[dict]]:
    out: dict[str | None, list[dict]] = {}
    for record in records:
        out.setdefault(record.get("companyId"), []).append(record)
    return out


def partitions(state: dict, stream: str) -> list[dict]:
    return [p["context"] for p in state["bookmarks"][stream].get("partitions", [])]


@pytest.fixture
def five(pleo_factory: t.Callable[..., Sandbox]) -> Sandbox:
    return pleo_factory(scale=40, companies=5)


def test_every_listed_company_lands_with_its_company_id_and_nothing_else(five, tmp_path, tap) -> None:
    listed = [c.id for c in pleo_companies(5)][1:4]
    run = tap(pleo_config(five, tmp_path, company_id=None, company_ids=listed, files_dir=str(tmp_path / "files")))
    assert run.returncode == 0, run.stderr[-2000:]
    for company in listed:
        truth = five.admin("GET", f"/ground-truth?tenant={company}")["streams"]
        for stream, key in KEYS.items():
            mine = by_company(run.records(stream)).get(company, [])
            assert len(unique(mine, *key)) == truth[stream]["count"] > 0, (company, stream)
    for stream in KEYS:
        assert set(by_company(run.records(stream))) == set(listed), stream
    # the receipts of each company are stored under its own folder
    assert {p.parts[-3] for p in (tmp_path / "files" / "pleo").glob("*/*/*")} == set(listed)


def test_the_state_holds_one_entry_per_company_and_the_next_run_is_incremental_for_each(
    pleo_factory, tmp_path, tap
) -> None:
    pleo = pleo_factory(scale=600, rate_limit=0)
    config = pleo_config(pleo, tmp_path, company_id=None, company_ids=THREE)
    first = tap(config)
    assert first.returncode == 0, first.stderr[-2000:]
    for stream in ("export_jobs", "accounting_entries", "employees", "tax_codes", "tag_groups", "accounts", "vendors"):
        assert sorted(c["companyId"] for c in partitions(first.state, stream)) == sorted(THREE), stream
    for stream in ("export_job_items", "export_items", "tags"):  # children: no state per parent, nor company
        assert first.state["bookmarks"][stream] == {}, stream
    jobs = first.state["bookmarks"]["export_jobs"]["partitions"]
    assert all(p["replication_key_value"] and p["openJobIds"] for p in jobs)

    second = tap(config, state=first.state)
    assert second.returncode == 0, second.stderr[-2000:]
    again = by_company(second.records("accounting_entries"))
    assert set(again) == set(THREE)
    assert all(0 < len(again[c]) < 600 * 0.5 for c in THREE)  # each company's window and queue, not its history
    assert len(second.state["bookmarks"]["accounting_entries"]["partitions"]) == 3  # still one per company


def test_the_write_back_closes_each_companys_jobs(pleo, tmp_path, tap, ack) -> None:
    config = pleo_config(pleo, tmp_path, company_id=None, company_ids=THREE)
    jobs = {open_job_id(pleo, company): company for company in THREE}  # each company's one pending job
    run = tap(config)
    assert run.returncode == 0, run.stderr[-2000:]
    assert {r["exportJobId"]: r["companyId"] for r in run.records("export_items")} == jobs
    done = ack(config)
    assert done.returncode == 0, done.stderr
    for job_id in jobs:
        assert f"job {job_id}: " in done.stdout
        assert pleo.admin("GET", f"/pleo/export-jobs/{job_id}")["status"] == "completed"
    assert done.stdout.count("event completed") == 3
    again = ack(config)
    assert again.returncode == 0 and again.stdout.count("nothing to acknowledge for company") == 3


def test_star_reads_every_company_the_key_sees(five, tmp_path, tap) -> None:
    config = pleo_config(five, tmp_path, company_id=None, company_ids=["*"])
    catalog = select_only(discover("tap-pleo", config, tmp_path), "export_jobs", "vendors")
    run = tap(config, catalog=catalog)
    assert run.returncode == 0, run.stderr[-2000:]
    every = [c.id for c in pleo_companies(5)]
    assert set(by_company(run.records("vendors"))) == set(by_company(run.records("export_jobs"))) == set(every)
    assert Counter(r["path"] for r in five.requests())["/v1/companies"] == 1


def test_star_with_a_company_scoped_key_reads_its_one_company(pleo, tmp_path, tap) -> None:
    company = THREE[1]
    config = pleo_config(pleo, tmp_path, company_id=None, company_ids=["*"], api_key=company_api_key(company))
    catalog = select_only(discover("tap-pleo", config, tmp_path), "tax_codes")
    run = tap(config, catalog=catalog)
    assert run.returncode == 0, run.stderr[-2000:]
    assert {r["companyId"] for r in run.records("tax_codes")} == {company}


@pytest.mark.parametrize(
    ("key", "listed"),
    [
        (company_api_key(THREE[0]), THREE[:2]),  # a company-scoped key and a second company
        (API_KEY, [THREE[0], "9b2f6a3c-1d4e-4f7a-8b9c-0a1b2c3dffff"]),  # a company of another organization
    ],
    ids=["company-key", "other-organization"],
)
def test_a_company_the_key_cannot_read_fails_the_run_in_one_line_naming_it(pleo, tmp_path, tap, key, listed):
    run = tap(pleo_config(pleo, tmp_path, company_id=None, company_ids=listed, api_key=key))
    assert run.returncode == 1
    (line,) = [x for x in run.stderr.splitlines() if x.startswith("tap-pleo: error:")]
    assert line.startswith(f"tap-pleo: error: company {listed[1]} (company_ids) cannot be read with these credentials")
    assert "Traceback" not in run.stderr
    assert [m for m in run.messages if m["type"] == "RECORD"] == []  # nothing of the readable one either


@pytest.mark.parametrize(
    ("listed", "says"),
    [(["*", DEFAULT_COMPANY_ID], '"*" (every company the credentials see) stands alone'), ([""], "a JSON array")],
)
def test_a_malformed_company_ids_is_one_line_before_any_request(pleo, tmp_path, tap, listed, says) -> None:
    run = tap(pleo_config(pleo, tmp_path, company_ids=listed))
    assert run.returncode == 1 and says in run.stderr and "Traceback" not in run.stderr
    assert pleo.requests() == []


def test_company_id_is_not_used_when_company_ids_is_set(pleo, tmp_path, tap) -> None:
    config = pleo_config(pleo, tmp_path, company_id=THREE[0], company_ids=[THREE[2]])
    run = tap(config, catalog=select_only(discover("tap-pleo", config, tmp_path), "vendors"))
    assert run.returncode == 0, run.stderr[-2000:]
    assert {r["companyId"] for r in run.records("vendors")} == {THREE[2]}
    assert f"company_id {THREE[0]} is not used: company_ids is set" in run.stderr


# --- a state from before company partitions ---------------------------------------------------------------
def unpartitioned(state: dict) -> dict:
    """The state a tap-pleo of one company per run wrote: each stream's bookmarks at the stream's level."""
    out: dict = {"bookmarks": {}}
    for stream, value in state["bookmarks"].items():
        (partition,) = value.get("partitions") or [{}]
        out["bookmarks"][stream] = {k: v for k, v in partition.items() if k != "context"}
    return out


def test_a_state_from_before_partitions_is_carried_over_to_company_id(pleo_factory, tmp_path, tap) -> None:
    pleo = pleo_factory(scale=600, rate_limit=0)
    config = pleo_config(pleo, tmp_path)  # company_id, as before
    catalog = select_only(discover("tap-pleo", config, tmp_path), "accounting_entries", "export_jobs")
    first = tap(config, catalog=catalog)
    old = unpartitioned(first.state)
    assert old["bookmarks"]["accounting_entries"]["replication_key_value"]
    second = tap(config, catalog=catalog, state=old)
    assert second.returncode == 0, second.stderr[-2000:]
    assert 0 < len(second.records("accounting_entries")) < 600 * 0.5  # incremental: the bookmark was kept
    assert {j["status"] for j in second.records("export_jobs")} <= {"pending", "in_progress"}  # history: not again
    (partition,) = second.state["bookmarks"]["accounting_entries"]["partitions"]
    assert partition["context"] == {"companyId": DEFAULT_COMPANY_ID}
    assert set(second.state["bookmarks"]["accounting_entries"]) == {"partitions"}


def test_a_state_from_before_partitions_of_no_company_read_now_is_dropped_with_a_warning(
    pleo_factory, tmp_path, tap
) -> None:
    pleo = pleo_factory(scale=100, rate_limit=0)
    config = pleo_config(pleo, tmp_path)
    catalog = select_only(discover("tap-pleo", config, tmp_path), "accounting_entries")
    old = unpartitioned(tap(config, catalog=catalog).state)
    several = pleo_config(pleo, tmp_path, company_id=None, company_ids=THREE[1:])
    run = tap(several, catalog=catalog, state=old)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "from before company partitions belongs to no company_id: dropped" in run.stderr
    assert Counter(r["companyId"] for r in run.records("accounting_entries")) == dict.fromkeys(THREE[1:], 100)
