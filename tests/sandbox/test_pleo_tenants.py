"""Pleo multi-tenant mode: several companies under one organization key, each with its own accounting
entries, export jobs, items and reference data; a company-scoped key reads only its company."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import requests
from sandbox.pleo import API_KEY, COMPANIES, DEFAULT_COMPANY_ID, PleoConfig
from sandbox.pleo.config import company_api_key, pleo_companies

from tests.helpers import Sandbox

SEARCH = "/v1/accounting-entries:search"


def call(pleo: Sandbox, method: str, path: str, key: str = API_KEY, **kwargs: Any) -> requests.Response:
    return requests.request(method, pleo.url + path, auth=(key, ""), timeout=30, **kwargs)


def entries(pleo: Sandbox, company: str, key: str = API_KEY) -> list[dict]:
    out, after = [], None
    while True:
        query = f"?company_id={company}&limit=100" + (f"&after={after}" if after else "")
        body = call(pleo, "POST", SEARCH + query, key, json={"includeDeleted": False}).json()
        out += body["data"]
        if not body["pagination"]["hasNextPage"]:
            return out
        after = body["pagination"]["endCursor"]


@pytest.fixture
def five(pleo_factory: Any) -> Sandbox:
    return pleo_factory(scale=40, companies=5)


def test_the_organization_key_lists_every_company_the_first_three_as_before(five: Sandbox, pleo: Sandbox) -> None:
    listed = call(five, "GET", "/v1/companies?limit=100").json()["data"]
    assert [c["id"] for c in listed] == [c.id for c in pleo_companies(5)]
    assert len({c["name"] for c in listed}) == 5
    before = call(pleo, "GET", "/v1/companies?limit=100").json()["data"]
    assert listed[:3] == before and [c["id"] for c in before] == [c.id for c in COMPANIES]
    tenants = five.admin("GET", "/tenants")["tenants"]
    assert [t["id"] for t in tenants] == [c["id"] for c in listed]
    assert [t["apiKey"] for t in tenants] == [company_api_key(c["id"]) for c in listed]


def test_companies_hold_distinct_entries_jobs_and_reference_data(five: Sandbox) -> None:
    ids: list[str] = []
    totals = set()
    for company in pleo_companies(5):
        mine = entries(five, company.id)
        assert len(mine) == 40 and {e["companyId"] for e in mine} == {company.id}
        ids += [e["id"] for e in mine]
        totals.add(sum(e["totalBillValue"]["minors"] for e in mine))
        jobs = call(five, "GET", f"/v3/export-jobs?company_id={company.id}&limit=100").json()["data"]
        ids += [j["id"] for j in jobs]
        employees = call(five, "GET", f"/v2/employees?companyId={company.id}&limit=100").json()["data"]
        assert {e["companyId"] for e in employees} == {company.id}
        ids += [e["id"] for e in employees]
        open_job = next(j for j in jobs if j["status"] == "pending")
        items = call(five, "GET", f"/v3/export-items?job_id={open_job['id']}&limit=100").json()["data"]
        assert items and all(i["companyId"] == company.id for i in items)
    assert len(ids) == len(set(ids))
    assert len(totals) == 5


def test_a_company_key_reads_only_its_company(five: Sandbox) -> None:
    mine, other = pleo_companies(5)[3].id, DEFAULT_COMPANY_ID
    key = company_api_key(mine)
    listed = call(five, "GET", "/v1/companies", key).json()["data"]
    assert [c["id"] for c in listed] == [mine]
    assert len(entries(five, mine, key)) == 40
    refused = call(five, "POST", f"{SEARCH}?company_id={other}", key, json={"includeDeleted": False})
    assert refused.status_code == 403 and refused.json()["type"] == "FORBIDDEN"
    assert call(five, "GET", f"/v3/export-jobs?company_id={other}", key).status_code == 403
    assert call(five, "POST", f"/v0/tax-codes:search?company_id={other}", key, json={}).status_code == 403
    # objects of another company are not found with this key, and found with the organization key
    other_entry = entries(five, other)[0]["id"]
    assert call(five, "GET", f"/v1/accounting-entries/{other_entry}", key).status_code == 404
    assert call(five, "GET", f"/v1/accounting-entries/{other_entry}").status_code == 200
    other_job = call(five, "GET", f"/v3/export-jobs?company_id={other}").json()["data"][0]["id"]
    assert call(five, "GET", f"/v3/export-jobs/{other_job}", key).status_code == 404
    assert call(five, "GET", f"/v3/export-jobs/{other_job}/items", key).status_code == 404
    group = call(five, "GET", f"/v0/tag-groups?company_id={other}").json()["data"][0]["id"]
    assert call(five, "GET", f"/v0/tag-groups/{group}/tags", key).status_code == 404
    created = call(five, "POST", "/v3/export-jobs", key, json={"companyId": other, "accountingEntryIds": ["x"]})
    assert created.status_code == 403
    chart = {"companyId": other, "excludeIfAssignedToCategory": False, "excludeIfAssignedToContraAccount": False}
    assert call(five, "POST", "/v1/chart-of-accounts:search", key, json=chart).status_code == 403
    assert call(five, "GET", "/v1/companies", company_api_key("no-such-company")).status_code == 401
    assert call(five, "GET", "/v1/companies", key + "x").status_code == 401


def test_a_company_key_counts_against_the_organization_rate_limit(pleo_factory: Any) -> None:
    pleo = pleo_factory(scale=10, companies=4, rate_limit=2)
    key = company_api_key(pleo_companies(4)[3].id)
    assert call(pleo, "GET", "/v1/companies", key).status_code == 200
    assert call(pleo, "GET", "/v1/companies").status_code == 200
    limited = call(pleo, "GET", "/v1/companies", key)
    assert limited.status_code == 429 and limited.json()["type"] == "TOO_MANY_REQUESTS"
    assert pleo.requests()[0]["organization"] == pleo.requests()[1]["organization"]


def test_ground_truth_per_company(five: Sandbox) -> None:
    per = {c.id: five.admin("GET", f"/ground-truth?tenant={c.id}") for c in pleo_companies(5)}
    for company_id, truth in per.items():
        assert truth.pop("tenant") == company_id and truth["company"] == company_id
        assert truth == five.admin("GET", f"/pleo/ground-truth?company_id={company_id}")
        money = truth["streams"]["accounting_entries"]["money"]["totalBillValue.value"]
        through_api = sum(Decimal(e["totalBillValue"]["minors"]) for e in entries(five, company_id)) / 100
        assert sum(Decimal(v) for v in money.values()) == through_api
    assert five.admin("GET", "/ground-truth") == per[DEFAULT_COMPANY_ID]  # the plain one: the default company
    assert sum(t["streams"]["accounting_entries"]["count"] for t in per.values()) == 5 * 40
    assert {t["streams"]["companies"]["count"] for t in per.values()} == {5}


def test_the_default_data_is_the_three_companies_and_one_company_is_possible(pleo: Sandbox, pleo_factory: Any) -> None:
    assert [t["id"] for t in pleo.admin("GET", "/tenants")["tenants"]] == [c.id for c in COMPANIES]
    one = pleo_factory(scale=20, companies=1)
    assert [c["id"] for c in call(one, "GET", "/v1/companies").json()["data"]] == [DEFAULT_COMPANY_ID]
    assert call(one, "GET", f"/v3/export-jobs?company_id={COMPANIES[1].id}").status_code == 403
    with pytest.raises(ValueError, match="companies"):
        PleoConfig(companies=0)
