"""Candis emulator against Candis's published OpenAPI document (transcribed in
``sandbox/sandbox/contract/candis.json``): every body it serves validates, strictly (an object property the
document does not define is an error too, so the emulator cannot serve invented fields), every documented
parameter and enum value is accepted, and what the document refuses is answered 400 in Candis's error body.
"""

from __future__ import annotations

import pytest
from sandbox.contract import load

ORG = "/v1/organizations/{organizationId}"


@pytest.fixture
def validate():
    contract = load("candis")

    def check(method: str, path: str, response) -> None:
        operation = contract.operation(f"{method} {path}")
        assert str(response.status_code) in operation.spec["responses"], (
            f"{method} {path}: {response.status_code} not documented"
        )
        errors = contract.allowed(
            operation.response_errors(
                response.status_code, response.headers.get("content-type"), response.json(), strict=True
            )
        )
        assert errors == [], f"{method} {path} {response.status_code}: {[str(e) for e in errors[:5]]}"

    return check


@pytest.fixture
def api(make_candis):
    return make_candis(scale=400, export_delay=0).login()


def test_organization_info_and_its_401(candis, validate):
    api = candis.login()
    validate("GET", "/v1/organizations/info", api.get("/v1/organizations/info"))
    api.access_token = "not-a-token"
    validate("GET", "/v1/organizations/info", api.get("/v1/organizations/info"))


def test_every_export_and_all_its_postings_validate(api, validate):
    for entity_type in ("DOCUMENT", "CARD_TRANSACTION", "REIMBURSEMENT_ITEM"):
        api.admin("POST", "/candis/exportable", {"entityType": entity_type, "count": 40})
        created = api.post("exports", json={"entityType": entity_type})
        validate("POST", f"{ORG}/exports", created)
    offset, exports = 0, []
    while True:
        page = api.get("exports", params={"offset": offset})
        validate("GET", f"{ORG}/exports", page)
        exports += page.json()["exports"]
        offset += len(page.json()["exports"])
        if offset >= page.json()["pagination"]["totalCount"]:
            break
    types: set[str] = set()
    for export in exports:
        validate("GET", f"{ORG}/exports/{{exportId}}", api.get(f"exports/{export['id']}"))
        postings = api.get(f"exports/{export['id']}/postings")
        validate("GET", f"{ORG}/exports/{{exportId}}/postings", postings)
        types.update(p["type"] for p in postings.json()["successfulPostings"])
    assert types == {"DOCUMENT", "CARD_TRANSACTION", "CARD_SETTLEMENT", "REIMBURSEMENT_ITEM"}


@pytest.mark.parametrize(
    "path,key,params",
    [
        ("reimbursement-items", "reimbursementItems", {"status": "APPROVED,EXPORTED"}),
        ("invoices", "invoices", {}),
        ("purchase-requests", "purchaseRequests", {}),
    ],
)
def test_every_page_of_the_lists_validates_also_after_changes(api, validate, path, key, params):
    api.admin("POST", "/candis/modify", {"stream": path.replace("-", "_"), "count": 60})
    offset = 0
    while True:
        page = api.get(path, params={**params, "offset": offset})
        validate("GET", f"{ORG}/{path}", page)
        offset += len(page.json()[key])
        if not page.json()[key]:
            break
    assert offset == 400


def test_card_postings_say_card_transaction_and_order_metadata_has_the_documented_lines(api):
    api.admin("POST", "/candis/exportable", {"entityType": "CARD_TRANSACTION", "count": 30})
    export = api.post("exports", json={"entityType": "CARD_TRANSACTION"}).json()
    cards = api.get(f"exports/{export['id']}/postings").json()["successfulPostings"]
    assert {p["payment"]["method"] for p in cards} == {"CARD_TRANSACTION"}  # not CREDIT_CARD
    orders, receipts = [], []
    for listed in api.fetch_all("exports", "exports"):
        for posting in api.get(f"exports/{listed['id']}/postings").json()["successfulPostings"]:
            for split in posting["splitPostings"]:
                orders += split["purchaseOrderMetadata"]
                receipts += split["goodsReceiptMetadata"]
    assert orders and receipts
    assert {tuple(sorted(o)) for o in orders} == {
        ("externalLineId", "itemNumber", "lineNumber", "locationCode", "orderNumber")
    }
    assert {tuple(sorted(r)) for r in receipts} == {
        ("externalLineId", "itemNumber", "lineNumber", "locationCode", "receiptNumber")
    }


@pytest.mark.parametrize(
    "path,params",
    [
        ("reimbursement-items", {"status": "APPROVED"}),
        (
            "reimbursement-items",
            {"status": "APPROVED,EXPORTED", "types": "GENERAL_EXPENSE,HOSPITALITY_EXPENSE,PER_DIEM,MILEAGE"},
        ),
        ("reimbursement-items", {"sortField": "REIMBURSEMENT_ITEM_DATE", "sortDirection": "ASC"}),
        (
            "reimbursement-items",
            {
                "sortField": "UPDATED_AT",
                "sortDirection": "DESC",
                "updatedAtFrom": "2025-01-01T00:00:00Z",
                "updatedAtTo": "2025-12-31T23:59:59.999Z",
                "reimbursementItemDateFrom": "2025-01-01",
                "reimbursementItemDateTo": "2025-12-31",
            },
        ),
        (
            "invoices",
            {
                "status": "APPROVED,EXPORTED",
                "invoiceDateFrom": "2025-01-01",
                "invoiceDateTo": "2025-06-30",
                "updatedDateFrom": "2025-01-01T00:00:00.000Z",
                "updatedDateTo": "2025-12-31T00:00:00.000Z",
            },
        ),
        (
            "purchase-requests",
            {
                "status": "APPROVING,APPROVED,REJECTED,FULFILLED,PARTIALLY_FULFILLED,CANCELLED",
                "sortField": "UPDATED_AT",
                "sortDirection": "DESC",
                "createdAtFrom": "2024-06-01T00:00:00Z",
                "createdAtTo": "2026-01-01T00:00:00Z",
                "updatedAtFrom": "2024-06-01T00:00:00Z",
                "updatedAtTo": "2026-12-01T00:00:00Z",
            },
        ),
        ("exports", {"offset": "0", "limit": "50"}),
    ],
)
def test_every_documented_parameter_and_enum_value_is_accepted(api, validate, path, params):
    response = api.get(path, params={**params, "offset": params.get("offset", 1), "limit": params.get("limit", 20)})
    assert response.status_code == 200, response.text
    validate("GET", f"{ORG}/{path}", response)


@pytest.mark.parametrize(
    "path,params",
    [
        ("reimbursement-items", {"status": "REJECTED"}),
        ("reimbursement-items", {"types": "TRAVEL"}),
        ("reimbursement-items", {"sortField": "CREATED_AT"}),  # purchase requests' field, not reimbursement items'
        ("invoices", {"status": "APPROVING"}),
        ("purchase-requests", {"sortField": "REIMBURSEMENT_ITEM_DATE"}),
        ("purchase-requests", {"sortDirection": "asc"}),
        ("exports", {"limit": "0"}),
        ("exports", {"offset": "-5"}),
    ],
)
def test_what_the_document_refuses_is_400_with_candis_error_body(api, validate, path, params):
    response = api.get(path, params=params)
    assert response.status_code == 400 and response.json()["errorCode"] == "BAD_INPUT"
    validate("GET", f"{ORG}/{path}", response)


def test_error_bodies_of_exports_postings_and_creation_validate(api, validate):
    unknown = "123e4567-e89b-12d3-a456-426614174000"
    validate("GET", f"{ORG}/exports/{{exportId}}", api.get(f"exports/{unknown}"))
    validate("GET", f"{ORG}/exports/{{exportId}}/postings", api.get(f"exports/{unknown}/postings"))
    bad_type = api.post("exports", json={"entityType": "INVOICE"})
    assert bad_type.status_code == 400 and bad_type.json()["errors"][0]["property"] == "entityType"
    validate("POST", f"{ORG}/exports", bad_type)
    validate("POST", f"{ORG}/exports", api.post("exports", json={"entityType": None}))  # null = DOCUMENT (the 12)
    nothing = api.post("exports")
    assert nothing.status_code == 400 and nothing.json()["errorCode"] == "EXPORTABLE_POSTINGS_NOT_FOUND"
    validate("POST", f"{ORG}/exports", nothing)
    missing_file = api.get("files/0000000000000000")
    validate("GET", f"{ORG}/files/{{fileId}}", missing_file)
