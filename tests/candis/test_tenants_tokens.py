"""Many organizations on one OAuth client and one token_store_dir: each tenant keeps its own rotated refresh
token (the sandbox spends every refresh token and binds it to its organization, as Keycloak does with
rotation on), and two runs of one tenant at the same moment take turns instead of spending one token twice."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from sandbox.candis.config import initial_refresh_token

from tests.candis.conftest import candis_config
from tests.helpers import BIN, Sandbox, discover, select_only

ORGANIZATIONS = ["alpha-organization", "gamma-organization", "delta-organization"]
TOKEN_PATH = "/auth/realms/candis/protocol/openid-connect/token"


def _tenant(sandbox: Sandbox, tmp_path: Path, slug: str) -> dict:
    """A tenant's config: its own initial refresh token, the SAME client and the SAME token store."""
    return candis_config(
        sandbox, tmp_path, refresh_token=initial_refresh_token(slug, ORGANIZATIONS), max_requests_per_minute=0
    )


def test_three_organizations_alternating_on_one_client_and_one_store_each_read_only_their_own(
    candis_factory, tmp_path, tap
) -> None:
    sandbox = candis_factory(scale=20, organizations=ORGANIZATIONS)
    catalog = select_only(discover("tap-candis", _tenant(sandbox, tmp_path, ORGANIZATIONS[0]), tmp_path), "invoices")
    for run, slug in enumerate(ORGANIZATIONS * 3):
        sandbox.clear_requests()
        result = tap(_tenant(sandbox, tmp_path, slug), catalog=catalog)
        assert result.returncode == 0, f"run {run} ({slug}): {result.stderr[-1500:]}"
        invoices = result.records("invoices")
        assert invoices and {r["organizationId"] for r in invoices} == {slug}
        api = [r for r in sandbox.requests() if r["path"].startswith("/v1/organizations/")]
        assert {r["organization"] for r in api} == {slug}
        tokens = [r for r in sandbox.requests() if r["path"] == TOKEN_PATH]
        assert [r["status"] for r in tokens] == [200]  # its own newest token, first try: nothing spent twice
    entries = list((tmp_path / "tokens").glob("*.json"))
    assert len(entries) == 3
    assert {json.loads(p.read_text())["refresh_token"] for p in entries}.isdisjoint(
        initial_refresh_token(s, ORGANIZATIONS) for s in ORGANIZATIONS
    )


def test_two_runs_of_one_tenant_at_the_same_moment_both_succeed_and_the_store_stays_consistent(
    candis_factory, tmp_path, tap
) -> None:
    sandbox = candis_factory(scale=20, organizations=ORGANIZATIONS)
    config = _tenant(sandbox, tmp_path, "gamma-organization")
    catalog = select_only(discover("tap-candis", config, tmp_path), "invoices")
    # Each token request takes a second, so the two runs' refreshes overlap unless one waits for the other.
    sandbox.faults({"path": f"{TOKEN_PATH}$", "kind": "slow", "delay": 1.0, "times": 2})
    runs = []
    for k in range(2):
        work = tmp_path / f"together{k}"
        work.mkdir()
        (work / "config.json").write_text(json.dumps(config))
        (work / "catalog.json").write_text(json.dumps(catalog))
        out, err = (work / "out.jsonl").open("w"), (work / "err.log").open("w")
        args = [str(BIN / "tap-candis"), "--config", str(work / "config.json"), "--catalog", str(work / "catalog.json")]
        runs.append((subprocess.Popen(args, stdout=out, stderr=err), work, out, err))
    for proc, work, out, err in runs:
        assert proc.wait(timeout=120) == 0, (work / "err.log").read_text()[-1500:]
        out.close()
        err.close()
        records = [json.loads(line) for line in (work / "out.jsonl").read_text().splitlines()]
        assert {m["record"]["organizationId"] for m in records if m["type"] == "RECORD"} == {"gamma-organization"}
    assert [r["status"] for r in sandbox.requests() if r["path"] == TOKEN_PATH] == [200, 200]
    (entry,) = (tmp_path / "tokens").glob("*.json")
    # the store holds the newest token of the chain: the next run refreshes with it at the first try
    sandbox.clear_requests()
    assert tap(config, catalog=catalog).returncode == 0
    assert [r["status"] for r in sandbox.requests() if r["path"] == TOKEN_PATH] == [200]
    assert json.loads(entry.read_text())["refresh_token"] in sandbox.admin("GET", "/candis/issued-tokens")
