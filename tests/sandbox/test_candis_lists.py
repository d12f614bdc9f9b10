"""Candis emulator: offset/limit lists (limit clamp), filters, sort orders, record shapes, exact money."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sandbox.framework.timeutil import iso_ms, parse_iso8601

LISTS = [
    ("reimbursement-items", "reimbursementItems"),
    ("invoices", "invoices"),
    ("purchase-requests", "purchaseRequests"),
    ("exports", "exports"),
]


@pytest.fixture
def api(candis):
    return candis.login()


@pytest.mark.parametrize("path,key", LISTS)
def test_limit_above_50_is_silently_clamped_with_matching_pagination(api, path, key):
    body = api.get(
        path, params={"limit": 100, "status": "APPROVED,EXPORTED"} if path == "reimbursement-items" else {"limit": 100}
    ).json()
    total = body["pagination"]["totalCount"]
    assert len(body[key]) == min(50, total)
    assert body["pagination"]["pageSize"] == 50
    assert body["pagination"]["pageCount"] == -(-total // 50)


def test_default_limit_is_50_and_small_limits_are_kept(api):
    assert len(api.get("invoices").json()["invoices"]) == 50
    body = api.get("invoices", params={"limit": 7, "offset": 196}).json()
    assert len(body["invoices"]) == 4
    assert body["pagination"] == {"pageCount": 29, "pageSize": 7, "totalCount": 200}


def test_paging_by_page_size_reaches_every_record_exactly_once(api):
    items = api.fetch_all("invoices", "invoices")
    assert len(items) == 200
    assert len({i["id"] for i in items}) == 200


def test_offset_past_the_end_is_an_empty_page(api):
    body = api.get("invoices", params={"offset": 5000}).json()
    assert body["invoices"] == [] and body["pagination"]["totalCount"] == 200


@pytest.mark.parametrize(
    "params,prop",
    [
        ({"status": "PAID"}, "status"),
        ({"types": "MILEAGE,BOAT"}, "types"),
        ({"sortField": "AMOUNT"}, "sortField"),
        ({"sortDirection": "UP"}, "sortDirection"),
        ({"updatedAtFrom": "yesterday"}, "updatedAtFrom"),
        ({"reimbursementItemDateTo": "2024-13-01"}, "reimbursementItemDateTo"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "0.5"}, "limit"),  # a number, but below the minimum 1
        ({"offset": "-1"}, "offset"),
        ({"status": ["APPROVED", "EXPORTED"]}, "status"),  # repeated instead of comma-separated
    ],
)
def test_invalid_query_parameters_are_400_bad_input_naming_the_property(api, params, prop):
    response = api.get("reimbursement-items", params=params)
    assert response.status_code == 400
    body = response.json()
    assert body["errorCode"] == "BAD_INPUT" and body["message"] and body["requestId"]
    assert [e["property"] for e in body["errors"]] == [prop]
    assert body["errors"][0]["messages"] and "index" not in body["errors"][0]  # no payload index for a query


@pytest.mark.parametrize("path,key", LISTS)
def test_offset_and_limit_take_any_number_as_the_openapi_types_them(api, path, key):
    params = {"status": "APPROVED,EXPORTED"} if path == "reimbursement-items" else {}
    whole = api.get(path, params={**params, "offset": 2, "limit": 5}).json()
    for offset, limit in (("2.0", "5.0"), ("2", "5e0"), ("2.9", "5.5")):  # fractional values are truncated ([I])
        body = api.get(path, params={**params, "offset": offset, "limit": limit})
        assert body.status_code == 200, body.text
        assert [i["id"] for i in body.json()[key]] == [i["id"] for i in whole[key]]


def test_reimbursement_items_without_status_are_only_exported(api):
    default = api.fetch_all("reimbursement-items", "reimbursementItems")
    both = api.fetch_all("reimbursement-items", "reimbursementItems", {"status": "APPROVED,EXPORTED"})
    approved = api.fetch_all("reimbursement-items", "reimbursementItems", {"status": "APPROVED"})
    assert default and {i["status"] for i in default} == {"EXPORTED"}
    assert {i["status"] for i in approved} == {"APPROVED"}
    assert len(both) == 200 == len(default) + len(approved)


def test_reimbursement_types_filter_and_all_four_types_exist(api):
    items = api.fetch_all("reimbursement-items", "reimbursementItems", {"status": "APPROVED,EXPORTED"})
    assert {i["type"] for i in items} == {"GENERAL_EXPENSE", "HOSPITALITY_EXPENSE", "PER_DIEM", "MILEAGE"}
    some = api.fetch_all(
        "reimbursement-items", "reimbursementItems", {"status": "APPROVED,EXPORTED", "types": "MILEAGE,PER_DIEM"}
    )
    assert {i["type"] for i in some} == {"MILEAGE", "PER_DIEM"}
    assert len(some) == sum(1 for i in items if i["type"] in ("MILEAGE", "PER_DIEM"))


def test_reimbursement_date_filters_are_inclusive_and_accept_iso_variants(api):
    items = api.fetch_all("reimbursement-items", "reimbursementItems", {"status": "APPROVED,EXPORTED"})
    pivot = items[len(items) // 2]
    exact = pivot["updatedAt"]  # e.g. 2025-05-02T10:11:12.345Z
    for value in (exact, exact.replace("Z", "+00:00")):
        same = api.get(
            "reimbursement-items", params={"status": "APPROVED,EXPORTED", "updatedAtFrom": value, "updatedAtTo": value}
        ).json()
        assert [i["id"] for i in same["reimbursementItems"]] == [pivot["id"]]
    # the same instant written with a +02:00 offset
    ms = parse_iso8601(exact)
    shifted = iso_ms(ms + 2 * 3600 * 1000).replace("Z", "+02:00")
    same = api.get(
        "reimbursement-items", params={"status": "APPROVED,EXPORTED", "updatedAtFrom": shifted, "updatedAtTo": shifted}
    ).json()
    assert [i["id"] for i in same["reimbursementItems"]] == [pivot["id"]]
    day = pivot["expenseDate"][:10]
    on_day = api.fetch_all(
        "reimbursement-items",
        "reimbursementItems",
        {
            "status": "APPROVED,EXPORTED",
            "reimbursementItemDateFrom": f"{day}T00:00:00Z",
            "reimbursementItemDateTo": day,
        },
    )
    assert pivot["id"] in {i["id"] for i in on_day}
    assert all(i["expenseDate"][:10] == day for i in on_day)
    after = api.fetch_all(
        "reimbursement-items", "reimbursementItems", {"status": "APPROVED,EXPORTED", "updatedAtFrom": exact}
    )
    assert len(after) == sum(1 for i in items if parse_iso8601(i["updatedAt"]) >= ms)


def test_reimbursement_default_order_is_updated_at_descending(api):
    items = api.fetch_all("reimbursement-items", "reimbursementItems", {"status": "APPROVED,EXPORTED"})
    stamps = [parse_iso8601(i["updatedAt"]) for i in items]
    assert stamps == sorted(stamps, reverse=True)


@pytest.mark.parametrize("field,key", [("UPDATED_AT", "updatedAt"), ("REIMBURSEMENT_ITEM_DATE", "expenseDate")])
def test_reimbursement_sort_field_and_direction(api, field, key):
    asc = api.fetch_all(
        "reimbursement-items",
        "reimbursementItems",
        {"status": "APPROVED,EXPORTED", "sortField": field, "sortDirection": "ASC"},
    )
    desc = api.fetch_all(
        "reimbursement-items",
        "reimbursementItems",
        {"status": "APPROVED,EXPORTED", "sortField": field, "sortDirection": "DESC"},
    )
    values = [parse_iso8601(i[key]) for i in asc]
    assert values == sorted(values)
    assert [i["id"] for i in desc] == [i["id"] for i in reversed(asc)]


def test_invoices_default_to_both_statuses_in_created_order_and_filter(api):
    items = api.fetch_all("invoices", "invoices")
    assert {i["status"] for i in items} == {"APPROVED", "EXPORTED"}
    created = [parse_iso8601(i["createdAt"]) for i in items]
    assert created == sorted(created)
    exported = api.fetch_all("invoices", "invoices", {"status": "EXPORTED"})
    assert len(exported) == sum(1 for i in items if i["status"] == "EXPORTED")
    pivot = items[100]
    newer = api.fetch_all("invoices", "invoices", {"updatedDateFrom": pivot["updatedAt"]})
    assert newer[0]["id"] == pivot["id"] and len(newer) == 100
    day = pivot["invoiceDate"][:10]
    same_day = api.fetch_all("invoices", "invoices", {"invoiceDateFrom": day, "invoiceDateTo": day})
    assert pivot["id"] in {i["id"] for i in same_day} and all(i["invoiceDate"][:10] == day for i in same_day)


INVOICE_KEYS = {
    "id",
    "organizationId",
    "status",
    "createdAt",
    "updatedAt",
    "requestedAt",
    "approvedAt",
    "amount",
    "automaticPayment",
    "bankAccount",
    "category",
    "contact",
    "deliveryDate",
    "invoiceDate",
    "invoiceId",
    "payment",
    "purchaseOrderNumber",
    "archiveUrl",
    "bookings",
}
INVOICE_BOOKING_KEYS = {
    "dueDate",
    "amount",
    "costCenter",
    "costObject",
    "generalLedgerAccount",
    "extraCostInfo",
    "artistSocialInsuranceCode",
    "bookingKey",
    "vatRate",
    "note",
    "postingText",
    "paymentCondition",
}


def test_invoice_contact_uses_singular_account_payable_number(api):
    invoice = api.get("invoices", params={"limit": 1}).json()["invoices"][0]
    assert "accountPayableNumber" in invoice["contact"] and "accountsPayableNumber" not in invoice["contact"]
    assert {"id", "organizationId", "status", "createdAt"} <= set(invoice) <= INVOICE_KEYS


def _nulls(node: object, path: str = "") -> list[str]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in ([f"{path}.{k}"] if v is None else _nulls(v, f"{path}.{k}"))]
    if isinstance(node, list):
        return [p for v in node for p in _nulls(v, f"{path}[]")]
    return []


def test_invoices_and_purchase_requests_leave_out_empty_fields_instead_of_null(api):
    # Their OpenAPI marks nothing nullable except an invoice's `payment.method` (paid, not by card).
    for invoice in api.fetch_all("invoices", "invoices"):
        assert set(_nulls(invoice)) <= {".payment.method"}, invoice["id"]
        assert all(set(b) <= INVOICE_BOOKING_KEYS for b in invoice["bookings"])
        assert (invoice.get("payment") or {}).get("method") in (None, "CARD_TRANSACTION")
    for request in api.fetch_all("purchase-requests", "purchaseRequests"):
        assert _nulls(request) == [], request["id"]


def test_purchase_requests_filter_by_status_and_created_range_and_sort(api):
    items = api.fetch_all("purchase-requests", "purchaseRequests", {"sortField": "CREATED_AT", "sortDirection": "ASC"})
    assert len(items) == 200
    assert len({i["status"] for i in items}) == 6
    created = [parse_iso8601(i["createdAt"]) for i in items]
    assert created == sorted(created)
    some = api.fetch_all("purchase-requests", "purchaseRequests", {"status": "FULFILLED,CANCELLED"})
    assert {i["status"] for i in some} <= {"FULFILLED", "CANCELLED"}
    assert len(some) == sum(1 for i in items if i["status"] in ("FULFILLED", "CANCELLED"))
    window = api.fetch_all(
        "purchase-requests",
        "purchaseRequests",
        {"createdAtFrom": items[10]["createdAt"], "createdAtTo": items[19]["createdAt"]},
    )
    assert {i["id"] for i in window} == {i["id"] for i in items[10:20]}
    optional = {
        "supplier",
        "title",
        "description",
        "requestNumber",
        "grossAmount",
        "netAmount",
        "outstandingNetAmount",
        "deliveryDate",
        "notes",
        "costCenter",
        "costObject",
        "generalLedgerAccount",
        "extraCostInfo",
        "customCategory",
    }
    required = {"id", "status", "createdAt", "updatedAt"}
    assert all(required <= set(i) <= required | optional for i in items)
    assert set().union(*items) == required | optional


def _money(value: object) -> Decimal:
    return Decimal(str(value))


def test_bookings_sum_exactly_to_the_totals(api):
    for item in api.fetch_all("reimbursement-items", "reimbursementItems", {"status": "APPROVED,EXPORTED"}):
        total = item["totalAmount"]
        # The OpenAPI's amount object has no `precision`: amounts are numbers in major units, like the bookings'.
        assert set(total) == {"amount", "currency", "baseAmount", "baseCurrency", "exchangeRate", "exchangeRateDate"}
        assert sum(_money(b["amount"]) for b in item["bookings"]) == _money(total["amount"])
        assert sum(_money(b["baseAmount"]) for b in item["bookings"]) == _money(total["baseAmount"])
    for invoice in api.fetch_all("invoices", "invoices"):
        assert sum(_money(b["amount"]) for b in invoice["bookings"]) == _money(invoice["amount"]["value"])
    for request in api.fetch_all("purchase-requests", "purchaseRequests"):
        assert (
            _money(request["grossAmount"]["value"])
            > _money(request["netAmount"]["value"])
            >= _money(request["outstandingNetAmount"]["value"])
        )


MONEY_KEYS = {"value", "amount", "baseAmount", "netAmount", "taxAmount", "unitPrice"}


def _money_values(node: object) -> list[Decimal]:
    found: list[Decimal] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in MONEY_KEYS and isinstance(value, (int, Decimal)) and not isinstance(value, bool):
                found.append(Decimal(value))
            found.extend(_money_values(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_money_values(value))
    return found


def test_money_in_json_never_has_more_than_two_decimals(api):
    export_id = api.get("exports").json()["exports"][0]["id"]
    values: list[Decimal] = []
    for path, params in (
        ("invoices", {}),
        ("reimbursement-items", {"status": "APPROVED,EXPORTED"}),
        ("purchase-requests", {}),
        (f"exports/{export_id}/postings", {}),
    ):
        values += _money_values(json.loads(api.get(path, params=params).text, parse_float=Decimal))
    assert len(values) > 500
    assert all(v.as_tuple().exponent >= -2 for v in values)


def test_per_diem_and_mileage_totals_follow_their_rates(api):
    items = api.fetch_all(
        "reimbursement-items", "reimbursementItems", {"status": "APPROVED,EXPORTED", "types": "PER_DIEM,MILEAGE"}
    )
    for item in items:
        if item["type"] == "PER_DIEM":
            assert item["segments"] and item["days"]
            assert sum(_money(d["reimbursableRate"]["amount"]) for d in item["days"]) == _money(
                item["totalAmount"]["amount"]
            )
        else:
            km = (
                item["distanceOverride"]["distanceInKm"]
                if item["distanceOverride"]["enabled"]
                else item["calculatedDistanceInKm"]
            )
            trips = 2 if item["isRoundTrip"] else 1
            assert _money(item["applicableRate"]["amount"]) * km * trips == _money(item["totalAmount"]["amount"])
            assert item["vehicleType"] in ("CAR", "MOTORBIKE")
