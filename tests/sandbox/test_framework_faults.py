"""Framework features over the Candis emulator: rate limit, fault injection, request log."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime

import pytest
import requests
from sandbox.framework.timeutil import parse_iso8601


@pytest.fixture
def api(candis):
    return candis.login()


def test_rate_limit_answers_429_with_retry_after_until_a_slot_frees(make_candis, clock):
    api = make_candis(clock=clock, rate_limit=3).login()  # the token request does not count
    for _ in range(3):
        assert api.get("invoices", params={"limit": 1}).status_code == 200
        clock.advance(10)
    limited = api.get("exports")
    assert limited.status_code == 429
    assert limited.json()["errorCode"] == "TOO_MANY_REQUEST" and limited.json()["requestId"]
    assert limited.headers["Retry-After"] == "30"  # the first request (t=0) leaves the window at t=60
    assert api.admin("GET", "/health")["status"] == "ok"  # admin is never limited
    assert api.token_request().status_code == 200  # nor is the token endpoint
    clock.advance(29)
    assert api.get("exports").headers["Retry-After"] == "1"
    clock.advance(1)
    assert api.get("exports").status_code == 200
    assert api.get("exports").status_code == 429


def test_rate_limit_is_per_organization_and_can_be_switched_off(api):
    api.admin("POST", "/config", {"rate_limit": 2})
    assert api.get("invoices").status_code == 200
    assert api.get("/v1/organizations/info").status_code == 200  # counts for the token's organization
    third = api.get("invoices")
    assert third.status_code == 429 and 1 <= int(third.headers["Retry-After"]) <= 60
    assert api.get("/v1/organizations/beta-organization/invoices").status_code == 403  # another organization's budget
    api.admin("POST", "/config", {"rate_limit": 0})
    assert all(api.get("invoices", params={"limit": 1}).status_code == 200 for _ in range(5))


def test_status_fault_uses_the_candis_error_shape_and_retry_after_seconds(api):
    api.admin("POST", "/faults", {"path": "/invoices$", "kind": "status", "status": 503, "retry_after": 7})
    faulted = api.get("invoices")
    assert faulted.status_code == 503
    assert faulted.headers["Retry-After"] == "7"
    assert faulted.json()["errorCode"] == "SERVICE_UNAVAILABLE" and faulted.json()["message"]
    assert api.get("invoices").status_code == 200  # times defaults to 1


def test_status_fault_with_an_http_date_retry_after(api):
    api.admin(
        "POST",
        "/faults",
        {"path": "/exports", "kind": "status", "status": 429, "retry_after": "http-date", "retry_after_seconds": 120},
    )
    faulted = api.get("exports")
    assert faulted.status_code == 429 and faulted.json()["errorCode"] == "TOO_MANY_REQUEST"
    ahead = parsedate_to_datetime(faulted.headers["Retry-After"]).timestamp() - time.time()
    assert 100 < ahead <= 121


def test_fault_after_and_times_count_matching_requests_only(api):
    api.admin(
        "POST",
        "/faults",
        [{"path": "/invoices", "method": "GET", "kind": "status", "status": 500, "after": 2, "times": 2}],
    )
    codes = []
    for _ in range(3):
        api.get("purchase-requests")  # does not match
    for _ in range(5):
        codes.append(api.get("invoices").status_code)
    assert codes == [200, 200, 500, 500, 200]
    assert api.admin("GET", "/faults") == []


def test_faults_are_listed_until_spent_and_can_be_cleared(api):
    api.admin(
        "POST",
        "/faults",
        [
            {"path": "/invoices", "kind": "status", "status": 500, "times": 3},
            {"path": "/exports", "kind": "slow", "delay": 0.01, "times": None},
        ],
    )
    listed = api.admin("GET", "/faults")
    assert [(r["kind"], r["times"], r["hits"]) for r in listed] == [("status", 3, 0), ("slow", None, 0)]
    api.get("invoices")
    assert api.admin("GET", "/faults")[0]["hits"] == 1
    api.admin("DELETE", "/faults")
    assert api.admin("GET", "/faults") == []
    assert api.get("invoices").status_code == 200


@pytest.mark.parametrize(
    "rule",
    [
        {"path": "/x", "kind": "explode"},
        {"path": "(", "kind": "status", "status": 500},
        {"path": "/x", "kind": "status"},
        {"path": "/x", "kind": "malformed", "body": "xml"},
        {"path": "/x", "kind": "mutate", "stream": "nope", "count": 1},
        {"path": "/x", "kind": "slow"},
    ],
)
def test_invalid_fault_rules_are_rejected(api, rule):
    response = api.http.post(api.base_url + "/_sandbox/faults", json=rule)
    assert response.status_code == 400 and response.json()["error"]
    assert api.admin("GET", "/faults") == []


def test_slow_fault_delays_the_answer(make_candis):
    # A server of its own: the timed-out request still finishes on the server half a second later, and must not
    # land in the next test's request log.
    api = make_candis(seed=42, scale=50).login()
    api.admin("POST", "/faults", {"path": "/invoices", "kind": "slow", "delay": 0.5})
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.get("invoices", timeout=0.2)
    started = time.perf_counter()
    assert api.get("invoices").status_code == 200
    assert time.perf_counter() - started < 0.4


def test_drop_fault_closes_the_connection_without_a_response(api):
    api.admin("POST", "/faults", {"path": "/invoices", "kind": "drop"})
    with pytest.raises(requests.exceptions.ConnectionError):
        api.get("invoices")
    assert api.get("invoices").status_code == 200
    assert api.admin("GET", "/requests")[-2]["status"] is None


def test_drop_with_truncated_body_is_an_incomplete_read(api):
    api.admin("POST", "/faults", {"path": "/invoices", "kind": "drop", "mode": "truncated_body"})
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        api.get("invoices")
    assert api.get("invoices").status_code == 200


def test_malformed_html_and_missing_keys_bodies(api):
    api.admin(
        "POST",
        "/faults",
        [
            {"path": "/invoices", "kind": "malformed", "body": "html"},
            {"path": "/purchase-requests", "kind": "malformed", "body": "missing_keys"},
        ],
    )
    html = api.get("invoices")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "502 Bad Gateway" in html.text
    missing = api.get("purchase-requests")
    assert missing.status_code == 200 and missing.json() == {}
    assert "invoices" in api.get("invoices").json()


def test_truncated_fault_cuts_a_real_body_in_half(api):
    whole = api.get("exports", params={"limit": 5}).content
    api.admin("POST", "/faults", {"path": "/exports", "kind": "malformed", "body": "truncated"})
    cut = api.get("exports", params={"limit": 5})
    assert cut.status_code == 200 and cut.headers["content-type"] == "application/json"
    assert cut.content == whole[: len(whole) // 2]
    with pytest.raises(ValueError):
        cut.json()


def test_expire_tokens_fault_revokes_access_tokens_before_the_request(api):
    api.admin("POST", "/faults", {"path": "/invoices", "kind": "expire_tokens"})
    revoked = api.get("invoices")
    assert revoked.status_code == 401 and revoked.json()["errorCode"] == "UNAUTHORIZED"
    assert api.get("exports").status_code == 401  # every access token is gone, not just for one request
    api.login()
    assert api.get("invoices").status_code == 200


def test_mutate_fault_changes_records_a_client_already_paged_past(api):
    params = {"status": "APPROVED,EXPORTED", "sortField": "UPDATED_AT", "sortDirection": "ASC"}
    first = api.get("reimbursement-items", params={**params, "offset": 0}).json()["reimbursementItems"]
    api.admin(
        "POST",
        "/faults",
        {"path": "/reimbursement-items", "kind": "mutate", "stream": "reimbursement_items", "count": 5},
    )
    second = api.get("reimbursement-items", params={**params, "offset": 50}).json()["reimbursementItems"]
    everything = api.fetch_all("reimbursement-items", "reimbursementItems", params)
    assert len(everything) == 200
    changed = {i["id"] for i in first[:5]}
    # the five records the client had already seen moved to the end of the ascending order ...
    assert {i["id"] for i in everything[-5:]} == changed
    for item in everything[-5:]:
        assert item["title"].endswith("(korrigiert)")
        assert parse_iso8601(item["updatedAt"]) > parse_iso8601("2026-11-03")
    # ... so the page at offset 50 was served from the changed order, and five records were never seen
    assert [i["id"] for i in second] == [i["id"] for i in everything[50:100]]
    skipped = {i["id"] for i in everything[45:50]}
    assert len(skipped) == 5 and not skipped & {i["id"] for i in first + second}


def test_admin_modify_uses_the_same_rule_and_updated_filter_sees_it(api):
    before = api.fetch_all("invoices", "invoices")
    result = api.admin("POST", "/candis/modify", {"stream": "invoices", "count": 3})
    assert result["modified"] == 3 and result["ids"] == [i["id"] for i in before[:3]]
    recent = api.fetch_all("invoices", "invoices", {"updatedDateFrom": "2026-11-10T00:00:00Z"})
    assert {i["id"] for i in recent} == set(result["ids"])
    again = api.admin("POST", "/candis/modify", {"stream": "invoices", "count": 2})
    assert again["ids"] == [i["id"] for i in before[3:5]]


def test_request_log_records_api_requests_but_not_admin_ones(api):
    api.admin("DELETE", "/requests")
    api.get("invoices", params={"limit": 3, "status": "APPROVED"})
    api.get("nope")
    api.admin("GET", "/faults")
    log = api.admin("GET", "/requests")
    assert [(e["method"], e["path"], e["status"]) for e in log] == [
        ("GET", "/v1/organizations/alpha-organization/invoices", 200),
        ("GET", "/v1/organizations/alpha-organization/nope", 404),
    ]
    assert log[0]["query"] == {"limit": "3", "status": "APPROVED"}
    assert parse_iso8601(log[0]["ts"]) > 0
    api.http.get(api.url("invoices"), params=[("status", "APPROVED"), ("status", "EXPORTED")], headers=api.auth_headers)
    assert api.admin("GET", "/requests")[-1]["query"] == {"status": ["APPROVED", "EXPORTED"]}
    api.admin("DELETE", "/requests")
    assert api.admin("GET", "/requests") == []
