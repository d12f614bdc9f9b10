"""Candis multi-tenant mode: several organizations, each with its own data, refresh token, rate-limit budget,
exports and ground truth."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from sandbox.candis import INITIAL_REFRESH_TOKEN, ORGANIZATION_ID, OTHER_ORGANIZATION_ID, CandisConfig, create_app
from sandbox.candis.config import initial_refresh_token, tenant_slugs
from sandbox.framework.server import serve_in_thread

from tests.sandbox.conftest import CandisClient
from tests.sandbox.tenants import assert_streams_add_up

SLUGS = ["alpha-organization", "gamma-organization", "delta-organization"]


class OrgClient(CandisClient):
    """The test client, logged in with one organization's initial refresh token, paths relative to it."""

    def __init__(self, base_url: str, session: requests.Session, slug: str, organizations: list[str]) -> None:
        super().__init__(base_url, session)
        self.slug = slug
        self.refresh_token = initial_refresh_token(slug, organizations)

    def url(self, path: str) -> str:
        if path.startswith(("http", "/")):
            return super().url(path)
        return f"{self.base_url}/v1/organizations/{self.slug}/{path}"


@pytest.fixture(scope="module")
def tenants_server() -> Any:
    with serve_in_thread(create_app(CandisConfig(seed=42, scale=60, organizations=SLUGS, export_delay=0))) as base:
        yield base


@pytest.fixture
def orgs(tenants_server: str, http: requests.Session) -> dict[str, OrgClient]:
    http.post(tenants_server + "/_sandbox/reset", json={}, timeout=30).raise_for_status()
    return {slug: OrgClient(tenants_server, http, slug, SLUGS).login() for slug in SLUGS}


def test_each_organization_has_its_own_refresh_token_the_first_the_usual_one() -> None:
    assert initial_refresh_token(SLUGS[0], SLUGS) == INITIAL_REFRESH_TOKEN
    assert initial_refresh_token("gamma-organization", SLUGS) == f"{INITIAL_REFRESH_TOKEN}-gamma-organization"
    config = CandisConfig(organizations=SLUGS)
    assert list(config.initial_refresh_tokens().values()) == [initial_refresh_token(s, SLUGS) for s in SLUGS]
    assert CandisConfig().organizations == [ORGANIZATION_ID]
    assert tenant_slugs(3) == SLUGS and OTHER_ORGANIZATION_ID not in tenant_slugs(30)


def test_the_info_endpoint_answers_the_organization_of_the_token(orgs: dict[str, OrgClient]) -> None:
    for slug, api in orgs.items():
        info = api.get("/v1/organizations/info").json()
        assert info["id"] == slug and info["name"]
    names = {api.get("/v1/organizations/info").json()["name"] for api in orgs.values()}
    assert len(names) == len(SLUGS)
    tenants = orgs[SLUGS[0]].admin("GET", "/tenants")
    assert [t["id"] for t in tenants["tenants"]] == SLUGS
    assert [t["refreshToken"] for t in tenants["tenants"]] == [initial_refresh_token(s, SLUGS) for s in SLUGS]


def test_organizations_hold_distinct_data_with_globally_unique_ids(orgs: dict[str, OrgClient]) -> None:
    seen: dict[str, set[str]] = {}
    counts = set()
    for slug, api in orgs.items():
        invoices = api.fetch_all("invoices", "invoices")
        exports = api.fetch_all("exports", "exports")
        postings = api.get(f"exports/{exports[-1]['id']}/postings").json()["successfulPostings"]
        files = [f["id"] for p in postings for f in p["files"]]
        assert all(i["organizationId"] == slug for i in invoices)
        seen[slug] = {i["id"] for i in invoices} | {e["id"] for e in exports} | {p["id"] for p in postings} | set(files)
        counts.add((len(invoices), len(exports)))
    assert len(counts) == len(SLUGS)  # sizes differ too: each organization has its own seed and scale
    all_ids = [i for ids in seen.values() for i in ids]
    assert len(all_ids) == len(set(all_ids))


def test_the_first_organization_holds_the_single_tenant_data(
    orgs: dict[str, OrgClient], http: requests.Session
) -> None:
    with serve_in_thread(create_app(CandisConfig(seed=42, scale=60, export_delay=0))) as single:
        alone = http.get(single + "/_sandbox/ground-truth", timeout=30).json()
        token = http.post(
            single + "/auth/realms/candis/protocol/openid-connect/token",
            data={"grant_type": "refresh_token", "refresh_token": INITIAL_REFRESH_TOKEN},
            auth=("sandbox-client", "sandbox-secret"),
            timeout=10,
        ).json()["access_token"]
        page = http.get(
            f"{single}/v1/organizations/{ORGANIZATION_ID}/invoices",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        ).content
    first = orgs[SLUGS[0]]
    truth = first.admin("GET", f"/ground-truth?tenant={SLUGS[0]}")
    assert truth.pop("tenant") == SLUGS[0]
    assert truth == alone
    assert first.get("invoices").content == page


def test_a_token_reads_only_its_own_organization(orgs: dict[str, OrgClient]) -> None:
    alpha, gamma = orgs["alpha-organization"], orgs["gamma-organization"]
    for path in ("exports", "invoices", "reimbursement-items", "purchase-requests"):
        answer = alpha.get(f"/v1/organizations/gamma-organization/{path}")
        assert answer.status_code == 403 and answer.json()["errorCode"] == "FORBIDDEN"
    assert alpha.get(f"/v1/organizations/{OTHER_ORGANIZATION_ID}/exports").status_code == 403  # exists, unlisted
    assert alpha.get("/v1/organizations/zeta-organization/exports").status_code == 404  # does not exist
    # a file of one organization is not found under another's path
    export = gamma.fetch_all("exports", "exports")[-1]
    file_id = gamma.get(f"exports/{export['id']}/postings").json()["successfulPostings"][0]["files"][0]["id"]
    assert gamma.get(f"files/{file_id}").status_code == 200
    missing = orgs["delta-organization"].get(f"files/{file_id}")
    assert missing.status_code == 400 and missing.json()["errorCode"] == "FILE_NOT_FOUND"


def test_a_refresh_token_is_bound_to_its_organization(tenants_server: str, http: requests.Session) -> None:
    http.post(tenants_server + "/_sandbox/reset", json={}, timeout=30).raise_for_status()
    gamma = OrgClient(tenants_server, http, "gamma-organization", SLUGS).login()
    rotated = gamma.token_request().json()  # the rotated refresh token stays gamma's
    gamma.access_token = rotated["access_token"]
    assert gamma.get("/v1/organizations/info").json()["id"] == "gamma-organization"
    assert gamma.get("/v1/organizations/alpha-organization/exports").status_code == 403


def test_rate_limit_is_a_budget_per_organization(orgs: dict[str, OrgClient]) -> None:
    alpha, gamma = orgs["alpha-organization"], orgs["gamma-organization"]
    alpha.admin("POST", "/config", {"rate_limit": 3})
    try:
        for _ in range(3):
            assert alpha.get("invoices", params={"limit": 1}).status_code == 200
        limited = alpha.get("invoices")
        assert limited.status_code == 429 and limited.json()["errorCode"] == "TOO_MANY_REQUEST"
        assert "alpha-organization" in limited.json()["message"]
        for _ in range(3):  # gamma's budget is untouched by alpha's requests
            assert gamma.get("invoices", params={"limit": 1}).status_code == 200
        assert gamma.get("exports").status_code == 429
        assert gamma.get("/v1/organizations/info").status_code == 429  # info counts for the token's organization
    finally:
        alpha.admin("POST", "/config", {"rate_limit": 500})


def test_exports_and_modifications_stay_in_their_organization(orgs: dict[str, OrgClient]) -> None:
    alpha, gamma = orgs["alpha-organization"], orgs["gamma-organization"]
    before = alpha.admin("GET", "/ground-truth?tenant=alpha-organization")["streams"]
    created = gamma.post("exports", json={"entityType": "DOCUMENT"})
    assert created.status_code == 201
    assert alpha.get(f"exports/{created.json()['id']}").status_code == 404
    assert gamma.get(f"exports/{created.json()['id']}").status_code == 200
    assert alpha.admin("GET", "/candis/exportable?organizationId=gamma-organization")["DOCUMENT"] == 0
    assert alpha.admin("GET", "/candis/exportable")["DOCUMENT"] == 12
    changed = alpha.admin(
        "POST", "/candis/modify", {"stream": "invoices", "count": 2, "organizationId": "gamma-organization"}
    )
    assert changed["modified"] == 2
    assert alpha.admin("GET", "/ground-truth?tenant=alpha-organization")["streams"] == before
    refused = alpha.http.post(
        alpha.base_url + "/_sandbox/candis/modify", json={"stream": "invoices", "organizationId": "x"}
    )
    assert refused.status_code == 400 and "organizationId" in refused.json()["error"]


def test_ground_truth_per_organization_adds_up_to_the_total(orgs: dict[str, OrgClient]) -> None:
    api = orgs[SLUGS[0]]
    orgs["delta-organization"].post("exports", json={})
    total = api.admin("GET", "/ground-truth")
    per = [api.admin("GET", f"/ground-truth?tenant={slug}") for slug in SLUGS]
    assert [t["organization"] for t in per] == SLUGS
    assert set(total) == set(per[0]) - {"tenant"}
    assert_streams_add_up(total, per)
    unknown = api.http.get(api.base_url + "/_sandbox/ground-truth?tenant=nope", timeout=10)
    assert unknown.status_code == 400 and "alpha-organization" in unknown.json()["error"]


def test_organizations_are_set_when_the_emulator_starts() -> None:
    with pytest.raises(ValueError, match="distinct"):
        CandisConfig(organizations=["a", "a"])
    with pytest.raises(ValueError, match="slugs"):
        CandisConfig(organizations=["info"])
    with serve_in_thread(create_app(CandisConfig(scale=5))) as base, requests.Session() as http:
        refused = http.post(base + "/_sandbox/config", json={"organizations": SLUGS}, timeout=10)
        assert refused.status_code == 400 and "starts" in refused.json()["error"]
        assert "organizations" not in http.get(base + "/_sandbox/config", timeout=10).json()
