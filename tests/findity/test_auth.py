"""Access tokens are renewed before they expire and on 401, so a sync longer than a token's life completes."""

from __future__ import annotations

from tests.findity.conftest import findity_config

#: package reads one after another, so the token calls below are those of a known order of requests (shared
#: renewal under parallel reads: tests/candis/test_auth.py)
SERIAL = {"max_parallel_requests": 1}


def _token_calls(sandbox) -> int:
    return sum(1 for r in sandbox.requests() if r["path"] == "/oauth/token")


def test_a_token_revoked_mid_run_is_renewed_on_401_and_the_run_completes(findity, tap, tmp_path):
    findity.faults({"path": "/export$", "kind": "expire_tokens", "after": 3, "times": 1})
    run = tap(findity_config(findity, tmp_path))
    assert run.returncode == 0, run.stderr[-2000:]
    assert len(run.records("vouchers")) == findity.ground_truth()["vouchers"]["count"]
    statuses = [r["status"] for r in findity.requests() if r["path"].endswith("/export")]
    assert 401 in statuses
    assert _token_calls(findity) == 2


def test_a_token_near_its_end_is_renewed_before_the_request_not_after_a_401(findity_factory, tap, tmp_path):
    # tokens live 2 s and every package answer takes 0.8 s: the run outlives several tokens, and each
    # request must go out with a token renewed early enough to still be valid when the server checks it
    sandbox = findity_factory(token_lifetime=2, initial_exports=4)
    sandbox.faults({"path": "/export$", "kind": "slow", "delay": 0.8, "times": None})
    run = tap(findity_config(sandbox, tmp_path) | SERIAL)  # in parallel the four packages take one 0.8 s
    assert run.returncode == 0, run.stderr[-2000:]
    assert all(r["status"] != 401 for r in sandbox.requests())
    assert _token_calls(sandbox) >= 2


def test_renewal_spends_the_single_use_refresh_token_then_falls_back_to_client_credentials(findity, tap, tmp_path):
    findity.faults(
        {"path": "/export$", "kind": "expire_tokens", "after": 1, "times": 1},
        {"path": "/export$", "kind": "expire_tokens", "after": 4, "times": 1},
    )
    run = tap(findity_config(findity, tmp_path) | SERIAL)
    assert run.returncode == 0, run.stderr[-2000:]
    assert _token_calls(findity) == 3
