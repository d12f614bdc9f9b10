"""The Pleo emulator's Export API v3, as Pleo documents it: cursor paging, repeated `statuses`, the job state
machine and its 422s, item updates (bare array, at most 100, partial errors), export items only while open,
one open job per company, and expiry."""

from __future__ import annotations

import requests
from sandbox.framework.server import serve_in_thread
from sandbox.pleo import API_KEY, COMPANIES, DEFAULT_COMPANY_ID, PleoConfig, create_app

from tests.sandbox.conftest import Clock

COMPANY = DEFAULT_COMPANY_ID


def api(pleo) -> requests.Session:
    session = requests.Session()
    session.auth = (API_KEY, "")
    session.base = pleo.url  # type: ignore[attr-defined]
    return session


def get(session, path, **params):
    return session.get(session.base + path, params=params, timeout=10)


def entries_in(session, status: str, limit: int) -> list[dict]:
    """The default company's accounting entries whose export status is ``status``."""
    body = {"exportStatus": [status], "includeDeleted": False}
    return session.post(
        session.base + "/v1/accounting-entries:search",
        params={"company_id": COMPANY, "limit": limit},
        json=body,
        timeout=10,
    ).json()["data"]


def open_job(pleo) -> dict:
    jobs = get(api(pleo), "/v3/export-jobs", company_id=COMPANY, statuses=["pending", "in_progress"]).json()["data"]
    assert len(jobs) == 1
    return jobs[0]


def event(session, job_id, name, **extra):
    return session.post(
        session.base + "/v3/export-job-events", json={"jobId": job_id, "event": name, **extra}, timeout=10
    )


def test_export_jobs_page_with_after_end_cursor_until_has_next_page_is_false(pleo_factory) -> None:
    pleo = pleo_factory(scale=600)
    session = api(pleo)
    seen, after, pages = [], None, 0
    while True:
        params = {"company_id": COMPANY, "limit": 3}
        if after:
            params["after"] = after
        body = get(session, "/v3/export-jobs", **params).json()
        pages += 1
        seen += [j["id"] for j in body["data"]]
        assert set(body["pagination"]) >= {"hasNextPage", "hasPreviousPage", "startCursor", "endCursor", "total"}
        if not body["pagination"]["hasNextPage"]:
            break
        after = body["pagination"]["endCursor"]
        assert after.replace("=", "").isalnum() and after == after.upper()
    assert pages > 3
    assert len(seen) == len(set(seen)) == body["pagination"]["total"]


def test_statuses_is_a_repeated_parameter_and_filters_jobs(pleo) -> None:
    session = api(pleo)
    all_jobs = get(session, "/v3/export-jobs", company_id=COMPANY, limit=100).json()["data"]
    both = get(session, "/v3/export-jobs", company_id=COMPANY, limit=100, statuses=["pending", "failed"]).json()["data"]
    assert {j["status"] for j in both} == {"pending", "failed"}
    assert len(both) == sum(1 for j in all_jobs if j["status"] in ("pending", "failed"))
    comma = get(session, "/v3/export-jobs", company_id=COMPANY, statuses="pending,failed")
    assert comma.status_code == 400
    none = get(session, "/v3/export-jobs", company_id=COMPANY, statuses="in_progress").json()
    assert none["data"] == [] and none["pagination"]["hasNextPage"] is False


def test_company_id_is_required_for_a_multi_entity_organization(pleo) -> None:
    response = get(api(pleo), "/v3/export-jobs")
    assert response.status_code == 400
    assert response.json()["type"] == "COMPANY_ID_REQUIRED"


def test_job_lifecycle_started_items_reported_completed(pleo) -> None:
    session = api(pleo)
    job = open_job(pleo)
    assert job["status"] == "pending" and job["startedAt"] is None
    assert event(session, job["id"], "started").status_code == 202
    started = get(session, f"/v3/export-jobs/{job['id']}").json()["data"]
    assert started["status"] == "in_progress" and started["startedAt"]
    items = get(session, f"/v3/export-jobs/{job['id']}/items", limit=100).json()["data"]
    assert {i["status"] for i in items} == {"in_progress"}
    updates = [
        {
            "accountingEntryId": i["accountingEntryId"],
            "status": "successful",
            "exportedAt": "2026-01-02T03:04:05Z",
            "externalId": f"X-{n}",
            "externalUrl": f"https://erp.example/{n}",
        }
        for n, i in enumerate(items)
    ]
    answer = session.put(pleo.url + f"/v3/export-jobs/{job['id']}/items", json=updates, timeout=10).json()
    assert len(answer["data"]) == len(items) and answer["errors"] == []
    assert event(session, job["id"], "completed").status_code == 202
    done = get(session, f"/v3/export-jobs/{job['id']}").json()["data"]
    assert done["status"] == "completed" and done["completedAt"]
    successful = get(session, f"/v3/export-jobs/{job['id']}/items", status="successful", limit=100).json()["data"]
    assert len(successful) == len(items) and successful[0]["externalId"] == "X-0"


def test_invalid_transitions_answer_422_invalid_export_job_status_change(pleo) -> None:
    session = api(pleo)
    job = open_job(pleo)
    refused = event(session, job["id"], "completed")  # pending cannot complete without started
    assert refused.status_code == 422 and refused.json()["type"] == "INVALID_EXPORT_JOB_STATUS_CHANGE"
    assert event(session, job["id"], "started").status_code == 202
    assert event(session, job["id"], "started").status_code == 422
    assert (
        event(
            session, job["id"], "failed", failureReason="ERP down", failureReasonType="accounting_system_unreachable"
        ).status_code
        == 202
    )
    failed = get(session, f"/v3/export-jobs/{job['id']}").json()["data"]
    assert failed["failureReasonType"] == "accounting_system_unreachable"
    assert event(session, job["id"], "completed").status_code == 422


def test_failure_reasons_must_be_values_of_the_published_enums(pleo) -> None:
    session = api(pleo)
    job = open_job(pleo)
    refused = event(session, job["id"], "failed", failureReason="x", failureReasonType="not_loaded")
    assert refused.status_code == 400 and refused.json()["type"] == "INVALID_REQUEST"
    assert "failureReasonType" in refused.json()["message"]
    assert event(session, job["id"], "started").status_code == 202
    item = session.get(pleo.url + f"/v3/export-jobs/{job['id']}/items", timeout=10).json()["data"][0]
    url = pleo.url + f"/v3/export-jobs/{job['id']}/items"
    bad = session.put(
        url,
        json=[{"accountingEntryId": item["accountingEntryId"], "status": "failed", "failureReasonType": "not_loaded"}],
        timeout=10,
    )
    assert bad.status_code == 400
    good = session.put(
        url,
        json=[
            {
                "accountingEntryId": item["accountingEntryId"],
                "status": "failed",
                "failureReasonType": "unexpected_failure",
            }
        ],
        timeout=10,
    )
    assert good.status_code == 200 and good.json()["data"][0]["failureReasonType"] == "unexpected_failure"


def test_events_take_job_id_not_export_job_id(pleo) -> None:
    session = api(pleo)
    response = session.post(
        pleo.url + "/v3/export-job-events", json={"exportJobId": open_job(pleo)["id"], "event": "started"}
    )
    assert response.status_code == 400 and "jobId" in response.json()["message"]


def test_item_updates_are_a_bare_array_of_at_most_100_with_partial_errors(pleo_factory) -> None:
    pleo = pleo_factory(scale=1000, open_job_size=150)
    session = api(pleo)
    job = open_job(pleo)
    url = pleo.url + f"/v3/export-jobs/{job['id']}/items"
    items = []
    after = None
    while True:
        params = {"limit": 100, **({"after": after} if after else {})}
        body = session.get(url, params=params, timeout=10).json()
        items += body["data"]
        if not body["pagination"]["hasNextPage"]:
            break
        after = body["pagination"]["endCursor"]
    assert len(items) == 150
    updates = [{"accountingEntryId": i["accountingEntryId"], "status": "successful"} for i in items]
    too_many = session.put(url, json=updates[:101], timeout=10)
    assert too_many.status_code == 413 and too_many.json()["type"] == "EXPORT_JOB_ITEMS_UPDATE_LIMIT"
    assert session.put(url, json={"items": updates[:2]}, timeout=10).status_code == 400
    partial = session.put(
        url, json=[*updates[:99], {"accountingEntryId": NOT_IN_JOB, "status": "successful"}], timeout=10
    ).json()
    assert len(partial["data"]) == 99
    assert partial["errors"] == [
        {
            "accountingEntryId": NOT_IN_JOB,
            "type": "EXPORT_JOB_ITEM_NOT_FOUND",
            "message": partial["errors"][0]["message"],
        }
    ]


def test_item_updates_after_the_job_finished_answer_422(pleo) -> None:
    session = api(pleo)
    job = open_job(pleo)
    event(session, job["id"], "failed", failureReason="x", failureReasonType="validation_failure")
    response = session.put(
        pleo.url + f"/v3/export-jobs/{job['id']}/items",
        json=[{"accountingEntryId": NOT_IN_JOB, "status": "successful"}],
        timeout=10,
    )
    assert response.status_code == 422 and response.json()["type"] == "EXPORT_JOB_STATUS_UNPROCESSABLE"


def test_export_items_are_readable_only_while_the_job_is_open(pleo) -> None:
    session = api(pleo)
    job = open_job(pleo)
    items = get(session, "/v3/export-items", job_id=job["id"], limit=100).json()
    assert len(items["data"]) == job["numberOfItems"]
    line = items["data"][0]["accountingEntryLines"][0]
    assert isinstance(line["lineAmount"]["inWalletCurrency"]["value"], int)  # minor units, in both currencies
    assert isinstance(line["lineAmount"]["inSupplierCurrency"]["value"], int)
    finished = next(iter(get(session, "/v3/export-jobs", company_id=COMPANY, statuses="completed").json()["data"]))
    closed = get(session, "/v3/export-items", job_id=finished["id"])
    assert closed.status_code == 422 and closed.json()["type"] == "EXPORT_JOB_STATUS_UNPROCESSABLE"


def test_export_item_lines_add_up_to_the_item_amount_in_both_currencies(pleo) -> None:
    items = get(api(pleo), "/v3/export-items", job_id=open_job(pleo)["id"], limit=100).json()["data"]
    for item in items:
        lines = item["accountingEntryLines"]
        for currency in ("inWalletCurrency", "inSupplierCurrency"):
            assert sum(line["lineAmount"][currency]["value"] for line in lines) == item["amount"][currency]["value"]
            for line in lines:
                assert line["lineAmount"][currency]["currency"] == item["amount"][currency]["currency"]
                tax = line["tax"]["amount"][currency]["value"] if line["tax"]["type"] != "reverse" else 0
                assert line["netAmount"][currency]["value"] + tax == line["lineAmount"][currency]["value"]


def test_one_open_job_per_company(pleo) -> None:
    session = api(pleo)
    queue = entries_in(session, "NOT_EXPORTED", limit=2)
    body = {"companyId": COMPANY, "accountingEntryIds": [e["id"] for e in queue]}
    conflict = session.post(pleo.url + "/v3/export-jobs", json=body, timeout=10)
    assert conflict.status_code == 409 and conflict.json()["type"] == "EXPORT_ALREADY_IN_PROGRESS"
    other = requests.post(pleo.url + "/_sandbox/pleo/export-jobs", json={"companyId": COMPANIES[1].id}, timeout=10)
    assert other.status_code == 409  # the Swedish company has its own pending job too
    event(session, open_job(pleo)["id"], "failed", failureReason="r", failureReasonType="canceled_by_user")
    created = session.post(pleo.url + "/v3/export-jobs", json=body, timeout=10)
    assert created.status_code == 201 and created.json()["data"]["numberOfItems"] == 2


NOT_IN_JOB = "00000000-0000-4000-8000-000000000000"


def test_unknown_job_is_404_export_not_found(pleo) -> None:
    response = get(api(pleo), "/v3/export-jobs/ceea29b4-0000-4102-8000-00000000ffff")
    assert response.status_code == 404 and response.json() == {
        "type": "EXPORT_NOT_FOUND",
        "message": response.json()["message"],
    }


def test_an_open_job_expires_expires_in_seconds_after_its_last_action() -> None:
    clock = Clock()
    with serve_in_thread(create_app(PleoConfig(scale=100, job_expires_in=600, clock=clock))) as url:
        session = requests.Session()
        session.auth = (API_KEY, "")
        job = session.get(url + "/v3/export-jobs", params={"company_id": COMPANY, "statuses": "pending"}).json()[
            "data"
        ][0]
        clock.advance(500)
        session.post(url + "/v3/export-job-events", json={"jobId": job["id"], "event": "started"})
        clock.advance(599)
        assert session.get(url + f"/v3/export-jobs/{job['id']}").json()["data"]["status"] == "in_progress"
        clock.advance(2)
        expired = session.get(url + f"/v3/export-jobs/{job['id']}").json()["data"]
        assert expired["status"] == "failed" and expired["failureReasonType"] == "job_expired" and expired["expiredAt"]
        items = session.get(url + f"/v3/export-jobs/{job['id']}/items", params={"limit": 100}).json()["data"]
        assert {i["status"] for i in items} == {"abandoned"}
        assert session.get(url + "/v3/export-items", params={"job_id": job["id"]}).status_code == 422


def test_admin_opens_jobs_the_way_an_accountant_would(pleo) -> None:
    session = api(pleo)
    event(session, open_job(pleo)["id"], "started")
    event(session, open_job(pleo)["id"], "completed")
    job = pleo.admin("POST", "/pleo/export-jobs", {"count": 7})
    assert job["status"] == "pending" and job["numberOfItems"] == 7
    entries = entries_in(session, "QUEUED", limit=100)
    assert len(entries) == 7  # a pending job's entries are QUEUED
    truth = pleo.ground_truth()
    assert truth["export_items"]["count"] == open_job_count(pleo)


def open_job_count(pleo) -> int:
    jobs = get(api(pleo), "/v3/export-jobs", company_id=COMPANY, limit=100).json()["data"]
    history = [j for j in jobs if j["id"].split("-")[2] == "4101"]
    return sum(j["numberOfItems"] for j in jobs if j not in history)


def test_error_answers_have_the_published_exception_body(pleo_factory) -> None:
    from sandbox.contract import load

    pleo = pleo_factory(scale=600, open_job_size=120)
    session = api(pleo)
    job = open_job(pleo)
    finished = get(session, "/v3/export-jobs", company_id=COMPANY, statuses="completed").json()["data"][0]
    answers = {
        ("GET /v3/export-jobs/{jobId}", 404): get(session, f"/v3/export-jobs/{NOT_IN_JOB}"),
        ("GET /v3/export-jobs/{jobId}/items", 404): get(session, f"/v3/export-jobs/{NOT_IN_JOB}/items"),
        ("GET /v3/export-items", 422): get(session, "/v3/export-items", job_id=finished["id"]),
        ("POST /v3/export-job-events", 422): event(session, job["id"], "completed"),
        ("PUT /v3/export-jobs/{jobId}/items", 413): session.put(
            pleo.url + f"/v3/export-jobs/{job['id']}/items",
            timeout=10,
            json=[{"accountingEntryId": NOT_IN_JOB, "status": "successful"}] * 101,
        ),
    }
    contract = load("pleo")
    for (operation, status), response in answers.items():
        assert response.status_code == status, (operation, response.text)
        errors = contract.operation(operation).response_errors(
            status, response.headers["content-type"], response.json(), strict=True
        )
        assert errors == [], (operation, [str(e) for e in errors])
