"""Pleo's export workflow: a plain run changes nothing, `claim_jobs` sends `started`, an in_progress job
from an interrupted run is picked up again, and the write-back (`tap-pleo-ack`) reports items in batches
of at most 100 and closes the job — once, and survives a job that expired meanwhile."""

from __future__ import annotations

import json
from collections import Counter

from tests.helpers import discover, select_only
from tests.pleo.conftest import open_job_id, pleo_config

WRITES = ("POST /v3/export-job-events", "PUT")


def writes(sandbox) -> list[str]:
    return [
        f"{r['method']} {r['path']}"
        for r in sandbox.requests()
        if r["method"] == "PUT" or (r["path"] in ("/v3/export-job-events", "/v3/export-jobs") and r["method"] == "POST")
    ]


def job_detail(sandbox, job_id: str) -> dict:
    return sandbox.admin("GET", f"/pleo/export-jobs/{job_id}")


def test_a_plain_run_changes_nothing_in_pleo(pleo, config, tap) -> None:
    job_id = open_job_id(pleo)
    run = tap(config)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.records("export_items")
    assert writes(pleo) == []
    assert job_detail(pleo, job_id)["status"] == "pending"


def test_claim_jobs_sends_started_for_each_pending_job_it_extracts(pleo, tmp_path, tap) -> None:
    job_id = open_job_id(pleo)
    run = tap(pleo_config(pleo, tmp_path, claim_jobs=True))
    assert run.returncode == 0, run.stderr[-2000:]
    assert writes(pleo) == ["POST /v3/export-job-events"]
    assert job_detail(pleo, job_id)["status"] == "in_progress"
    jobs = {j["id"]: j for j in run.records("export_jobs")}
    assert jobs[job_id]["status"] == "in_progress" and jobs[job_id]["startedAt"]


def test_a_job_left_in_progress_by_an_interrupted_run_is_picked_up_again(pleo, tmp_path, tap, ack) -> None:
    job_id = open_job_id(pleo)
    config = pleo_config(pleo, tmp_path, claim_jobs=True)
    catalog = select_only(discover("tap-pleo", config, tmp_path), "export_jobs", "export_items")
    killed = tap(config, catalog=catalog, stop_after_records=20)  # claims the job, dies while reading it
    assert killed.returncode != 0
    assert job_detail(pleo, job_id)["status"] == "in_progress"
    rerun = tap(config, catalog=catalog, state=killed.state)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    items = [r for r in rerun.records("export_items") if r["exportJobId"] == job_id]
    assert len(items) == job_detail(pleo, job_id)["numberOfItems"]
    done = ack(config)
    assert done.returncode == 0, done.stderr
    assert job_detail(pleo, job_id)["status"] == "completed"


def test_write_back_reports_every_item_in_batches_of_at_most_100_and_completes_the_job(
    pleo_factory, tmp_path, tap, ack
) -> None:
    pleo = pleo_factory(scale=1000, open_job_size=230, rate_limit=0)
    job_id = open_job_id(pleo)
    config = pleo_config(pleo, tmp_path)
    assert tap(config).returncode == 0
    pleo.clear_requests()
    first = ack(config)
    assert first.returncode == 0, first.stderr
    assert f"job {job_id}: 230 item(s) reported successful" in first.stdout and "event completed" in first.stdout
    puts = [r for r in pleo.requests() if r["method"] == "PUT"]
    assert len(puts) == 3
    detail = job_detail(pleo, job_id)
    assert detail["status"] == "completed"
    assert Counter(i["status"] for i in detail["items"]) == {"successful": 230}
    assert all(
        i["externalId"] == f"tap_pleo.export_items/{job_id}/{i['accountingEntryId']}" and i["exportedAt"]
        for i in detail["items"]
    )
    pleo.clear_requests()
    second = ack(config)
    assert second.returncode == 0 and "nothing to acknowledge" in second.stdout
    assert writes(pleo) == []


def test_dry_run_says_what_ack_would_report_and_json_gives_one_line_per_job(pleo, tmp_path, tap, ack) -> None:
    job_id = open_job_id(pleo)
    config = pleo_config(pleo, tmp_path)
    run = tap(config)
    assert run.returncode == 0, run.stderr[-2000:]
    loaded = sum(1 for r in run.records("export_items") if r["exportJobId"] == job_id)
    dry = ack(config, "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    assert [json.loads(line) for line in dry.stdout.splitlines()] == [
        {"jobId": job_id, "status": "pending", "dryRun": True, "successful": loaded}
    ]
    assert f"tap-pleo:ack: job {job_id}: would report {loaded} item(s) successful" in dry.stderr
    assert writes(pleo) == [] and job_detail(pleo, job_id)["status"] == "pending"
    done = ack(config, "--json")
    assert done.returncode == 0, done.stderr
    assert [json.loads(line) for line in done.stdout.splitlines()] == [
        {"jobId": job_id, "event": "completed", "successful": loaded, "failed": 0}
    ]
    assert job_detail(pleo, job_id)["status"] == "completed"


def test_write_back_halves_its_batches_when_pleo_answers_413(pleo_factory, tmp_path, tap, ack) -> None:
    pleo = pleo_factory(scale=600, open_job_size=120, rate_limit=0)
    config = pleo_config(pleo, tmp_path)
    assert tap(config).returncode == 0
    pleo.faults(
        {
            "path": "/items$",
            "method": "PUT",
            "kind": "status",
            "status": 413,
            "code": "EXPORT_JOB_ITEMS_UPDATE_LIMIT",
            "times": 1,
        }
    )
    done = ack(config)
    assert done.returncode == 0, done.stderr
    statuses = [r["status"] for r in pleo.requests() if r["method"] == "PUT"]
    assert statuses == [413, 200, 200, 200]
    assert job_detail(pleo, open_job_id_after(pleo))["status"] == "completed"


def open_job_id_after(pleo) -> str:
    return next(r["path"] for r in pleo.requests() if r["method"] == "PUT").split("/")[3]


def test_a_job_that_expires_before_the_write_back_is_reported_clearly_and_not_retried(pleo, tmp_path, tap, ack) -> None:
    job_id = open_job_id(pleo)
    config = pleo_config(pleo, tmp_path)
    assert tap(config).returncode == 0
    pleo.admin("POST", f"/pleo/export-jobs/{job_id}/expire")
    done = ack(config)
    assert done.returncode == 0, done.stderr
    assert f"job {job_id}: expired in Pleo before the write-back" in done.stdout
    assert [r for r in pleo.requests() if r["method"] == "PUT"] == []
    again = ack(config)
    assert "nothing to acknowledge" in again.stdout


def test_a_job_that_expires_during_the_write_back_survives_the_422(pleo_factory, tmp_path, tap, ack) -> None:
    pleo = pleo_factory(scale=1000, open_job_size=150, rate_limit=0)
    job_id = open_job_id(pleo)
    config = pleo_config(pleo, tmp_path)
    assert tap(config).returncode == 0
    # the job expires right before the second batch of item results reaches Pleo
    pleo.faults({"path": "/items$", "method": "PUT", "kind": "mutate", "action": "expire_jobs", "after": 1})
    done = ack(config)
    assert done.returncode == 0, done.stderr
    assert "HTTP 422 EXPORT_JOB_STATUS_UNPROCESSABLE" in done.stdout
    assert f"job {job_id}: expired in Pleo before the write-back" in done.stdout
    assert [r["status"] for r in pleo.requests() if r["method"] == "PUT"] == [200, 422]
    assert job_detail(pleo, job_id)["failureReasonType"] == "job_expired"
    assert "nothing to acknowledge" in ack(config).stdout


def test_items_the_tap_did_not_load_are_reported_failed_and_the_job_completed_with_errors(
    pleo, tmp_path, tap, ack
) -> None:
    from pathlib import Path

    job_id = open_job_id(pleo)
    config = pleo_config(pleo, tmp_path)
    assert tap(config).returncode == 0
    manifest = next(Path(config["manifest_dir"]).glob("*.json"))
    data = json.loads(manifest.read_text())
    data["entries"][job_id]["payload"]["accountingEntryIds"] = data["entries"][job_id]["payload"]["accountingEntryIds"][
        :-3
    ]
    manifest.write_text(json.dumps(data))
    done = ack(config)
    assert "3 failed; event completed_with_errors" in done.stdout, done.stdout + done.stderr
    detail = job_detail(pleo, job_id)
    assert detail["status"] == "completed_with_errors"
    assert Counter(i["status"] for i in detail["items"])["failed"] == 3
