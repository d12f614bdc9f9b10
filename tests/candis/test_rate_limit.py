"""The proactive rate limit against the sandbox's own limiter: a run that needs more requests than one
window allows spreads them out and never gets a 429 (Candis documents 500 requests/minute per organization;
the same 60-second window at a smaller limit keeps this test near one minute)."""

from __future__ import annotations

from tests.candis.conftest import candis_config

LIMIT = 30


def test_a_run_above_the_per_minute_limit_paces_itself_and_is_never_refused(candis_factory, tmp_path, tap) -> None:
    candis = candis_factory(scale=500, rate_limit=LIMIT)  # about 40 requests
    config = candis_config(candis, tmp_path, max_requests_per_minute=LIMIT)
    run = tap(config)
    assert run.returncode == 0, run.stderr[-2000:]

    log = candis.requests()
    limited = [r for r in log if r.get("organization")]  # what the sandbox counts against the limit
    assert len(limited) > LIMIT  # the run needed more than one window's worth
    assert not [r for r in log if r["status"] == 429]
    assert run.records("postings") and run.records("invoices")
