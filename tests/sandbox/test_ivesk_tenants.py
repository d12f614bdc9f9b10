"""Įvesk multi-tenant mode: one API key, several client companies (company codes), each with its own
documents in the queues, code lists and ground truth."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from sandbox.ivesk import COMPANY_CODES, IveskConfig
from sandbox.ivesk.parties import client_companies

from tests.helpers import Sandbox
from tests.ivesk.api import IveskApi
from tests.sandbox.tenants import assert_streams_add_up


@pytest.fixture
def five(ivesk_factory: Any) -> Sandbox:
    return ivesk_factory(scale=300, companies=5)


def test_the_first_three_companies_are_the_default_ones(five: Sandbox, ivesk: Sandbox) -> None:
    codes = [t["id"] for t in five.admin("GET", "/tenants")["tenants"]]
    assert codes[:3] == list(COMPANY_CODES) and len(set(codes)) == 5
    assert [t["id"] for t in ivesk.admin("GET", "/tenants")["tenants"]] == list(COMPANY_CODES)
    assert [c.code for c in client_companies(5)] == codes
    assert client_companies(4) == client_companies(5)[:4]  # a company keeps its code whatever the count


def test_documents_and_code_lists_belong_to_their_company(five: Sandbox) -> None:
    api = IveskApi(five)
    companies = {c.code: c for c in client_companies(5)}
    docs = api.queue("digitized")
    per = Counter(d["companycode"] for d in docs)
    assert set(per) == set(companies) and len(set(per.values())) > 1
    for doc in docs:
        assert doc["buyercode"] == doc["companycode"] and doc["buyername"] == companies[doc["companycode"]].name
    lists = {}
    for code in companies:
        items = api.get(f"/columns/{code}", column="department").json()["items"]
        assert items
        lists[code] = [(i["code"], i["modifiedat"]) for i in items]
    assert len({tuple(v) for v in lists.values()}) == 5
    assert api.get("/columns/999999999", column="department").status_code == 404
    other = next(d for d in docs if d["companycode"] != docs[0]["companycode"])
    refused = api.post(
        "/syncerrors", {"documentid": other["id"], "companycode": docs[0]["companycode"], "message": "x"}
    )
    assert refused.status_code == 400  # a document reported under another company's code


def test_ground_truth_per_company_adds_up_to_the_account(five: Sandbox) -> None:
    api = IveskApi(five)
    codes = [t["id"] for t in five.admin("GET", "/tenants")["tenants"]]
    five.admin("POST", "/ivesk/export", {"companycode": codes[4]})  # the accountant exports one company
    five.admin("POST", "/ivesk/columns", {"companyCode": codes[3], "column": "allocation", "add": 2})
    for queue, path in (("exported", "/ground-truth"), ("digitized", "/ivesk/ground-truth?queue=digitized")):
        total = five.admin("GET", path)
        joiner = "&" if "?" in path else "?"
        per = [five.admin("GET", f"{path}{joiner}tenant={code}") for code in codes]
        assert [t["tenant"] for t in per] == codes and [t["company_codes"] for t in per] == [[c] for c in codes]
        assert set(total) == set(per[0]) - {"tenant"} and total["company_codes"] == codes
        assert_streams_add_up(total, per)
        for q, count in total["queues"].items():
            assert count == sum(t["queues"][q] for t in per)
        through_api = Counter(d["companycode"] for d in api.queue(queue))
        assert [t["streams"]["documents"]["count"] for t in per] == [through_api[c] for c in codes]
    assert five.admin("GET", f"/ground-truth?tenant={codes[3]}")["streams"]["columns"]["lists"] == {
        f"{codes[3]}/allocation": 60 + 15 * 3 + 2,
        f"{codes[3]}/department": 12,
    }


def test_one_company_holds_every_document(ivesk_factory: Any) -> None:
    one = ivesk_factory(scale=50, companies=1)
    docs = IveskApi(one).queue("digitized")
    assert {d["companycode"] for d in docs} == {COMPANY_CODES[0]} and len(docs) == 50
    assert IveskApi(one).get(f"/columns/{COMPANY_CODES[1]}", column="allocation").status_code == 404
    with pytest.raises(ValueError, match="companies"):
        IveskConfig(companies=0)
