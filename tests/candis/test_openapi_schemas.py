"""tap-candis's stream schemas against Candis's published OpenAPI, and records of both shapes Candis may send.

Each stream's schema must list exactly the document's fields (at every level), with its types; a field the
document requires (and does not mark `nullable`) is required and non-null in the tap, every other field may be
null. Fields the tap adds say so ("Added by the tap") and are the only extra ones.
"""

from __future__ import annotations

import pytest
from jsonschema import Draft7Validator
from sandbox.contract import load
from tap_candis.tap import TapCandis

from tests.contract_schemas import differences, response_item_schema

ORG = "/v1/organizations/{organizationId}"
STREAMS = {  # stream: (operation, key of the list in the 200 body)
    "exports": (f"GET {ORG}/exports", "exports"),
    "postings": (f"GET {ORG}/exports/{{exportId}}/postings", "successfulPostings"),
    "failed_postings": (f"GET {ORG}/exports/{{exportId}}/postings", "failedPostings"),
    "reimbursement_items": (f"GET {ORG}/reimbursement-items", "reimbursementItems"),
    "invoices": (f"GET {ORG}/invoices", "invoices"),
    "purchase_requests": (f"GET {ORG}/purchase-requests", "purchaseRequests"),
}


@pytest.mark.parametrize("stream", list(STREAMS))
def test_stream_schema_lists_the_documents_fields_types_and_nullability(stream):
    operation, key = STREAMS[stream]
    contract = load("candis")
    spec = response_item_schema(contract, operation, list_key=key)
    assert differences(contract, spec, _schema(stream)) == []


def _schema(stream: str) -> dict:
    return (
        TapCandis(config={"api_url": "http://localhost", "access_token": "x"}, validate_config=False)
        .streams[stream]
        .schema
    )


OPENAPI_POSTING = {
    "id": "p1",
    "entityGuid": "g1",
    "status": "EXPORTED",
    "type": "CARD_TRANSACTION",
    "invoiceId": "KK-1",
    "invoiceDate": "2026-01-02T00:00:00Z",
    "url": "https://my.candis.io/x",
    "amount": {"value": 12.5, "currencyCode": "EUR"},
    "files": [{"id": "f", "url": "https://api.candis.io/f", "name": "a.pdf", "type": "INVOICE"}],
    "contact": {"name": "Taxi Schmidt"},
    "invoiceFormat": "REGULAR",
    "documentType": "Kreditkartenbeleg",
    "creditCardSettings": {"bookingAccount": "1361", "transitAccount": "1360"},
    "payment": {"method": "CARD_TRANSACTION", "paidAt": "2026-01-02T10:00:00.000Z"},
    "splitPostings": [
        {
            "amount": 12.5,
            "generalLedgerAccount": "6650",
            "purchaseOrderMetadata": [
                {
                    "orderNumber": "PO-1",
                    "lineNumber": 1,
                    "itemNumber": "ART-1",
                    "locationCode": None,
                    "externalLineId": None,
                }
            ],
        }
    ],
}
# What the tap was first built for: nulls for empty optional fields, CREDIT_CARD, bare metadata lines.
OLDER_POSTING = {
    **OPENAPI_POSTING,
    "contact": {"name": "Taxi Schmidt", "accountsPayableNumber": None, "accountsReceivableNumber": None},
    "purchaseOrder": None,
    "accountingArea": None,
    "deliveryDate": None,
    "paymentCondition": None,
    "payment": {"method": "CREDIT_CARD", "paidAt": "2026-01-02T10:00:00.000Z"},
    "splitPostings": [
        {
            "amount": 12.5,
            "generalLedgerAccount": "6650",
            "note": None,
            "costObject": None,
            "customCostDimension": None,
            "purchaseOrderMetadata": [],
            "goodsReceiptMetadata": [],
        }
    ],
}


@pytest.mark.parametrize("posting", [OPENAPI_POSTING, OLDER_POSTING], ids=["openapi", "older"])
def test_postings_schema_takes_the_openapi_shape_and_the_older_one(posting):
    record = {**posting, "organizationId": "alpha-organization"}  # as emitted: with the tenant (tapkit.tenant)
    assert list(Draft7Validator(_schema("postings")).iter_errors(record)) == []


def test_a_posting_without_a_required_field_does_not_fit_the_schema():
    broken = {k: v for k, v in OPENAPI_POSTING.items() if k != "invoiceDate"} | {"organizationId": "alpha-organization"}
    assert not Draft7Validator(_schema("postings")).is_valid(broken)
