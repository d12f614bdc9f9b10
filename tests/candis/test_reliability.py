"""Rate limits, flaky networks and garbled bodies: retried right, or one clear failure."""

from __future__ import annotations

import datetime

from tests.candis.conftest import candis_config
from tests.candis.test_sync import unique


def _ts(entry: dict) -> datetime.datetime:
    return datetime.datetime.fromisoformat(str(entry["ts"]).replace("Z", "+00:00"))


def _retry_gap(sandbox, path_part: str, status: int) -> float:
    log = [r for r in sandbox.requests() if path_part in r["path"]]
    index = next(i for i, r in enumerate(log) if r["status"] == status)
    return (_ts(log[index + 1]) - _ts(log[index])).total_seconds()


def test_429_retry_after_seconds_is_honoured(candis, config, tap) -> None:
    candis.faults({"path": "/reimbursement-items", "kind": "status", "status": 429, "retry_after": 2})
    run = tap(config)
    assert run.returncode == 0, run.stderr[-2000:]
    assert (
        len(unique(run.records("reimbursement_items"), "id")) == candis.ground_truth()["reimbursement_items"]["count"]
    )
    assert _retry_gap(candis, "/reimbursement-items", 429) >= 2.0


def test_429_retry_after_http_date_is_honoured(candis, config, tap) -> None:
    candis.faults(
        {"path": "/invoices", "kind": "status", "status": 429, "retry_after": "http-date", "retry_after_seconds": 2}
    )
    run = tap(config)
    assert run.returncode == 0, run.stderr[-2000:]
    assert _retry_gap(candis, "/invoices", 429) >= 1.0  # HTTP dates have whole-second resolution


def test_server_errors_and_dropped_connections_are_retried(candis, config, tap) -> None:
    candis.faults(
        {"path": "/purchase-requests", "kind": "status", "status": 503, "times": 2},
        {"path": "/exports$", "kind": "drop"},
        {"path": "/postings$", "kind": "drop"},
        {"path": "/invoices", "kind": "malformed", "body": "html"},
        {"path": "/reimbursement-items", "kind": "malformed", "body": "truncated"},
    )
    run = tap(config)
    assert run.returncode == 0, run.stderr[-2000:]
    truth = candis.ground_truth()
    for stream in ("exports", "postings", "purchase_requests", "invoices", "reimbursement_items"):
        assert len(unique(run.records(stream), "id")) == truth[stream]["count"], stream
    assert candis.admin("GET", "/faults") == []


def test_malformed_body_that_persists_fails_with_one_line_and_no_bookmark(candis, tmp_path, tap) -> None:
    candis.faults({"path": "/invoices", "kind": "malformed", "body": "html", "times": 50})
    run = tap(candis_config(candis, tmp_path, max_retries=1))
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("tap-candis: error: GET /v1/organizations/alpha-organization/invoices")
    assert "expected JSON" in last
    assert "Traceback" not in run.stderr
    assert "invoices" not in (run.state or {}).get("bookmarks", {}) or not run.records("invoices")


def test_missing_keys_in_a_body_fail_clearly(candis, tmp_path, tap) -> None:
    candis.faults({"path": "/purchase-requests", "kind": "malformed", "body": "missing_keys", "times": 50})
    run = tap(candis_config(candis, tmp_path, max_retries=0))
    assert run.returncode == 1
    assert "lacks purchaseRequests" in run.stderr.strip().splitlines()[-1]


def test_a_404_fails_fast_naming_endpoint_status_and_code(candis, tmp_path, tap) -> None:
    run = tap(candis_config(candis, tmp_path, organization_id="no-such-organization"))
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert "/v1/organizations/no-such-organization/exports: HTTP 404 NOT_FOUND" in last
    assert "Traceback" not in run.stderr
    assert sum(1 for r in candis.requests() if r["status"] == 404) == 1  # not retried


def test_a_403_for_another_organization_is_not_retried(candis, tmp_path, tap) -> None:
    run = tap(candis_config(candis, tmp_path, organization_id="beta-organization"))
    assert run.returncode == 1
    assert "HTTP 403 FORBIDDEN" in run.stderr.strip().splitlines()[-1]
