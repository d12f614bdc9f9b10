"""Findity multi-tenant mode: several organizations (`organizationId` in the paths), each with its own
exports, vouchers, files and ground truth; the one OAuth client reads the organizations it is configured for."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import requests
from sandbox.findity import ORGANIZATION_ID, FindityConfig
from sandbox.findity.config import tenant_organization_ids

from tests.findity.api_client import FindityApi
from tests.helpers import Sandbox
from tests.sandbox.tenants import assert_streams_add_up

ORGS = tenant_organization_ids(3)


@pytest.fixture
def three(findity_factory: Any) -> Sandbox:
    return findity_factory(scale=80, organizations=ORGS)


def everything(api: FindityApi) -> dict[str, Any]:
    """Every export's package: export ids, voucher ids, basis URLs, row amounts per currency."""
    out: dict[str, Any] = {"exports": [], "vouchers": [], "rows": 0, "amount": Decimal(0)}
    for export in api.exports():
        package = api.package(export["id"])
        out["exports"].append(export["id"])
        for voucher in package["vouchers"]:
            out["vouchers"].append(voucher["id"])
            out["rows"] += len(voucher["voucherRows"])
            out["amount"] += sum(abs(Decimal(str(r["amount"]))) for r in voucher["voucherRows"])
    return out


def test_each_organization_holds_its_own_exports_and_vouchers(three: Sandbox) -> None:
    seen = {org: everything(FindityApi(three, org)) for org in ORGS}
    ids = [i for data in seen.values() for i in data["exports"] + data["vouchers"]]
    assert len(ids) == len(set(ids))
    assert len({data["amount"] for data in seen.values()}) == 3
    assert len({three.admin("GET", f"/findity/reports?organizationId={org}")["READY_TO_SEND"] for org in ORGS}) > 1
    api = FindityApi(three, ORGS[1])
    export = api.exports()[0]
    assert export["organizationId"] == ORGS[1]
    detail = api.json("GET", f"/exports/{export['id']}")
    names = {t["id"]: t["name"] for t in three.admin("GET", "/tenants")["tenants"]}
    assert detail["organizationName"] == names[ORGS[1]] and len(set(names.values())) == 3
    voucher = api.package(export["id"])["vouchers"][0]
    assert f"/organizations/{ORGS[1]}/vouchers/{voucher['id']}/basis" in voucher["basisUrl"]
    # another organization's export and voucher are not found under this organization's path
    other = FindityApi(three, ORGS[2])
    assert other.call("GET", f"/exports/{export['id']}").json()["code"] == "EXPORT_NOT_FOUND"
    assert other.call("GET", f"/vouchers/{voucher['id']}/basis").status_code == 404


def test_the_first_organization_holds_the_single_tenant_data(three: Sandbox, findity_factory: Any) -> None:
    alone = findity_factory(scale=80)
    truth = three.admin("GET", f"/ground-truth?tenant={ORGANIZATION_ID}")
    assert truth.pop("tenant") == ORGANIZATION_ID and truth == alone.admin("GET", "/ground-truth")
    export = FindityApi(alone).exports()[0]["id"]
    assert FindityApi(three).call("GET", f"/exports/{export}/export").content == (
        FindityApi(alone)
        .call("GET", f"/exports/{export}/export")
        .content.replace(alone.url.encode(), three.url.encode())
    )


def test_bulk_send_and_status_updates_stay_in_their_organization(three: Sandbox) -> None:
    before = {org: three.admin("GET", f"/ground-truth?tenant={org}")["streams"] for org in ORGS}
    sent = three.admin("POST", "/findity/bulk-send", {"count": 3, "organizationId": ORGS[2]})
    assert sent["export"]["organizationId"] == ORGS[2]
    api = FindityApi(three, ORGS[2])
    vouchers = api.package(sent["export"]["id"])["vouchers"]
    updates = [{"id": v["id"], "status": "SUCCESS"} for v in vouchers]
    assert api.call("PUT", f"/exports/{sent['export']['id']}/updatestatus", json={"voucherUpdates": updates}).ok
    after = {org: three.admin("GET", f"/ground-truth?tenant={org}")["streams"] for org in ORGS}
    assert after[ORGS[0]] == before[ORGS[0]] and after[ORGS[1]] == before[ORGS[1]]
    assert after[ORGS[2]]["exports"]["count"] == before[ORGS[2]]["exports"]["count"] + 1
    statuses = {e["id"]: e["status"] for e in three.admin("GET", f"/findity/exports?organizationId={ORGS[2]}")}
    assert statuses[sent["export"]["id"]] == "PROCESSED"
    assert sent["export"]["id"] not in {e["id"] for e in three.admin("GET", "/findity/exports")}
    refused = requests.post(f"{three.url}/_sandbox/findity/bulk-send", json={"organizationId": "nope"}, timeout=10)
    assert refused.status_code == 400 and "organizationId" in refused.json()["error"]


def test_ground_truth_per_organization_adds_up_to_the_total(three: Sandbox) -> None:
    total = three.admin("GET", "/ground-truth")
    per = [three.admin("GET", f"/ground-truth?tenant={org}") for org in ORGS]
    assert [t["organization"] for t in per] == ORGS and total["organization"] == ORGS[0]
    assert_streams_add_up(total, per)
    for org, truth in zip(ORGS, per, strict=True):
        seen = everything(FindityApi(three, org))
        assert truth["streams"]["vouchers"]["count"] == len(seen["vouchers"])
        assert truth["streams"]["voucher_rows"]["count"] == seen["rows"]


def test_the_client_reads_only_the_organizations_it_is_configured_for(findity_factory: Any) -> None:
    sandbox = findity_factory(scale=30, organizations=ORGS, client_organizations=ORGS[:2])
    for org in ORGS[:2]:
        assert FindityApi(sandbox, org).call("GET", "/exports").status_code == 200
    refused = FindityApi(sandbox, ORGS[2]).call("GET", "/exports")
    assert refused.status_code == 404 and refused.json()["code"] == "ORGANIZATION_NOT_FOUND"
    assert FindityApi(sandbox, "0" * 32).call("GET", "/exports").json()["code"] == "ORGANIZATION_NOT_FOUND"
    tenants = sandbox.admin("GET", "/tenants")["tenants"]
    assert [(t["id"], t["client"]) for t in tenants] == [(ORGS[0], True), (ORGS[1], True), (ORGS[2], False)]
    with pytest.raises(ValueError, match="client_organizations"):
        FindityConfig(organizations=ORGS[:1], client_organizations=ORGS[1:])


def test_rate_limit_is_per_organization(findity_factory: Any) -> None:
    sandbox = findity_factory(scale=20, organizations=ORGS, rate_limit=2)
    first, second = FindityApi(sandbox, ORGS[0]), FindityApi(sandbox, ORGS[1])
    for _ in range(2):
        assert first.call("GET", "/exports").status_code == 200
    assert first.call("GET", "/exports").status_code == 429
    assert second.call("GET", "/exports").status_code == 200
