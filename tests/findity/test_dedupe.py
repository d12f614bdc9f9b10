"""The same export fetched twice (a retry mid-body, a rerun before confirmation) never yields duplicates
after dedupe by key, and every key is the same each time."""

from __future__ import annotations

from tests.findity.conftest import findity_config


def _keys(run) -> tuple[set, set, int, int]:
    vouchers, rows = run.records("vouchers"), run.records("voucher_rows")
    return {v["id"] for v in vouchers}, {(r["voucherId"], r["rowNumber"]) for r in rows}, len(vouchers), len(rows)


def test_a_rerun_before_confirmation_yields_the_same_keys_and_rows(findity, tap, tmp_path):
    config = findity_config(findity, tmp_path)
    first, second = tap(config), tap(config)
    assert first.returncode == second.returncode == 0
    assert _keys(first)[:2] == _keys(second)[:2]
    by_key = {(r["voucherId"], r["rowNumber"]): r["amount"] for r in first.records("voucher_rows")}
    assert by_key == {(r["voucherId"], r["rowNumber"]): r["amount"] for r in second.records("voucher_rows")}


def test_a_package_cut_mid_body_is_read_again_without_duplicates(findity_factory, tap, tmp_path):
    sandbox = findity_factory(initial_exports=0, scale=400)
    sandbox.admin("POST", "/findity/bulk-send", {"count": 400, "verificationListsType": "EXPENSE"})
    sandbox.faults(
        {"path": "/export$", "kind": "drop", "mode": "truncated_body", "times": 1},
        {"path": "/export$", "kind": "malformed", "body": "truncated", "after": 1, "times": 1},
    )
    run = tap(findity_config(sandbox, tmp_path))
    assert run.returncode == 0, run.stderr[-2000:]
    voucher_ids, row_keys, n_vouchers, n_rows = _keys(run)
    truth = sandbox.ground_truth()
    assert n_vouchers == len(voucher_ids) == truth["vouchers"]["count"]
    assert n_rows == len(row_keys) == truth["voucher_rows"]["count"]
    assert sum(1 for r in sandbox.requests() if r["path"].endswith("/export")) == 3


def test_retries_on_429_and_5xx_honour_retry_after(findity, tap, tmp_path):
    findity.faults(
        {"path": "/exports$", "kind": "status", "status": 429, "retry_after": 1, "times": 1},
        {"path": "/export$", "kind": "status", "status": 503, "times": 1},
    )
    run = tap(findity_config(findity, tmp_path))
    assert run.returncode == 0, run.stderr[-2000:]
    assert len(run.records("exports")) == 8
