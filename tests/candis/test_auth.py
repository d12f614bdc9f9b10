"""OAuth: refresh-token rotation persisted between runs, expiry mid-run, plain access tokens."""

from __future__ import annotations

import json

import pytest

from tests.candis.conftest import REFRESH_TOKEN, candis_config
from tests.candis.test_sync import unique


def _stored_token(tmp_path) -> str:
    files = list((tmp_path / "tokens").glob("*.json"))
    assert len(files) == 1
    return json.loads(files[0].read_text())["refresh_token"]


def test_rotated_refresh_token_is_persisted_and_used_by_the_next_run(candis, tmp_path, config, tap) -> None:
    first = tap(config)
    assert first.returncode == 0, first.stderr[-2000:]
    stored = _stored_token(tmp_path)
    assert stored != REFRESH_TOKEN  # the sandbox rotates on every refresh and rejects the spent token
    second = tap(config, state=first.state)
    assert second.returncode == 0, second.stderr[-2000:]
    assert _stored_token(tmp_path) != stored


@pytest.mark.parametrize("workers", [1, 4])
def test_access_token_expiring_mid_run_is_refreshed_once_and_the_run_completes(candis, config, tap, workers) -> None:
    candis.faults(
        {"path": "/reimbursement-items", "kind": "expire_tokens", "after": 1},
        {"path": "/postings$", "kind": "expire_tokens", "after": 1},
    )
    run = tap({**config, "max_parallel_requests": workers})
    assert run.returncode == 0, run.stderr[-2000:]
    truth = candis.ground_truth()
    assert len(unique(run.records("reimbursement_items"), "id")) == truth["reimbursement_items"]["count"]
    assert len(unique(run.records("postings"), "id")) == truth["postings"]["count"]
    statuses = [r["status"] for r in candis.requests()]
    # serial: one request meets each expired token; in parallel the postings read ahead in flight may all meet
    # it, and still the token is renewed once per expiry (the first renewal serves the others' retries)
    assert statuses.count(401) == 2 if workers == 1 else 2 <= statuses.count(401) <= 1 + workers
    assert [r["path"].endswith("/token") for r in candis.requests()].count(True) == 3  # the first + one per expiry


def test_short_lived_tokens_are_renewed_before_expiry(candis_factory, tmp_path, tap) -> None:
    sandbox = candis_factory(token_lifetime=2, scale=60)
    sandbox.faults({"path": "/invoices", "kind": "slow", "delay": 1.5})
    run = tap(candis_config(sandbox, tmp_path))
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Access token refreshed" in run.stderr
    assert run.stderr.count("Access token refreshed") >= 2
    assert 401 not in [r["status"] for r in sandbox.requests()]


def test_spent_refresh_token_fails_with_one_clear_line(candis, tmp_path, tap) -> None:
    ok = tap(candis_config(candis, tmp_path, token_store_dir=str(tmp_path / "a")))
    assert ok.returncode == 0
    run = tap(candis_config(candis, tmp_path, token_store_dir=str(tmp_path / "b")))  # no stored token: reuses spent one
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("tap-candis: error: credentials rejected: invalid_grant (HTTP 400 from POST /auth/")
    assert "authorize again and set refresh_token" in last
    assert "Traceback" not in run.stderr


def test_wrong_client_secret_is_reported_without_echoing_it(candis, tmp_path, tap) -> None:
    run = tap(candis_config(candis, tmp_path, client_secret="not-the-secret-xyz"))
    assert run.returncode == 1
    assert "invalid_client" in run.stderr
    assert "not-the-secret-xyz" not in run.stderr


def test_plain_access_token_works_and_a_rejected_one_fails_fast(candis, tmp_path, tap) -> None:
    import requests

    token = requests.post(
        f"{candis.url}/auth/realms/candis/protocol/openid-connect/token",
        data={"grant_type": "refresh_token", "refresh_token": REFRESH_TOKEN},
        auth=("sandbox-client", "sandbox-secret"),
        timeout=10,
    ).json()["access_token"]
    config = {"api_url": candis.url, "access_token": token}
    run = tap(config)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.records("postings")
    bad = tap({"api_url": candis.url, "access_token": "expired-or-wrong"})
    assert bad.returncode == 1
    assert "HTTP 401 UNAUTHORIZED" in bad.stderr.strip().splitlines()[-1]
    assert "expired-or-wrong" not in bad.stderr
