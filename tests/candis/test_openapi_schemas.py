"""tap-candis's stream schemas against Candis's published OpenAPI, and records of both shapes Candis may send.

Each stream's schema must list exactly the document's fields (at every level), with its types; a field the
document requires (and does not mark `nullable`) is required and non-null in the tap, every other field may be
null. Fields the tap adds say so ("Added by the tap") and are the only extra ones.
"""

from __future__ import annotations

import decimal
import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft7Validator

from tests.candis.conftest import candis_config
from tap_candis.tap import TapCandis

SPEC_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "api-specs" / "candis" / "candis-openapi.json"
ORG = "/v1/organizations/{organizationId}"
STREAMS = {  # stream: (path, key of the list in the 200 body)
    "exports": (f"{ORG}/exports", "exports"),
    "postings": (f"{ORG}/exports/{{exportId}}/postings", "successfulPostings"),
    "failed_postings": (f"{ORG}/exports/{{exportId}}/postings", "failedPostings"),
    "reimbursement_items": (f"{ORG}/reimbursement-items", "reimbursementItems"),
    "invoices": (f"{ORG}/invoices", "invoices"),
    "purchase_requests": (f"{ORG}/purchase-requests", "purchaseRequests"),
}


@pytest.fixture(scope="module")
def spec() -> dict:
    if not SPEC_PATH.exists():
        pytest.skip(f"Candis's OpenAPI document is not at {SPEC_PATH}")
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))


def _unwrap(node: dict) -> dict:
    """An `allOf` of one schema is that schema (the document wraps nested objects so); `nullable` kept."""
    if "allOf" in node and len(node["allOf"]) == 1:
        return {**_unwrap(node["allOf"][0]), **({"nullable": True} if node.get("nullable") else {})}
    if "oneOf" in node:  # the variants as one object: every field of any variant, required if in all
        branches = [_unwrap(b) for b in node["oneOf"]]
        properties: dict = {}
        for branch in branches:
            for name, sub in branch["properties"].items():
                properties.setdefault(name, sub)
        required = set.intersection(*(set(b.get("required", [])) for b in branches))
        return {"type": "object", "properties": properties, "required": sorted(required)}
    return node


def _tap_added(node: dict) -> bool:
    return "Added by the tap" in (node.get("description") or "")


def _compare(tap: dict, doc: dict, path: str, problems: list[str]) -> None:
    doc = _unwrap(doc)
    kind = doc.get("type") or ("object" if "properties" in doc else None)
    tap_types = set([tap["type"]] if isinstance(tap.get("type"), str) else tap.get("type") or [])
    if kind and kind not in tap_types:
        problems.append(f"{path}: the document says {kind}, the tap {sorted(tap_types)}")
    if doc.get("format") == "date-time" and tap.get("format") != "date-time":
        problems.append(f"{path}: the document says date-time, the tap has no format")
    if kind == "array":
        _compare(tap.get("items") or {}, doc.get("items") or {}, f"{path}[]", problems)
    if kind != "object":
        return
    doc_props, tap_props = doc.get("properties", {}), tap.get("properties", {})
    required = set(doc.get("required", []))
    for name in sorted(set(doc_props) - set(tap_props)):
        problems.append(f"{path}.{name}: in the document, missing in the tap")
    for name in sorted(set(tap_props) - set(doc_props)):
        if not _tap_added(tap_props[name]):
            problems.append(f"{path}.{name}: not in the document and not described as added by the tap")
    for name in sorted(set(doc_props) & set(tap_props)):
        must = name in required and not _unwrap(doc_props[name]).get("nullable")
        sub = tap_props[name]
        nullable = "null" in (sub.get("type") if isinstance(sub.get("type"), list) else [sub.get("type")])
        if must == nullable or must != (name in (tap.get("required") or [])):
            problems.append(f"{path}.{name}: required={must} in the document, the tap says nullable={nullable}")
        _compare(sub, doc_props[name], f"{path}.{name}", problems)


@pytest.mark.parametrize("stream", list(STREAMS))
def test_stream_schema_lists_the_documents_fields_types_and_nullability(spec, stream):
    path, key = STREAMS[stream]
    body = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    item = body["properties"][key]["items"]
    schema = TapCandis(config={"api_url": "http://localhost", "access_token": "x"}, validate_config=False) \
        .streams[stream].schema
    problems: list[str] = []
    _compare(schema, item, stream, problems)
    assert problems == []


def _schema(stream: str) -> dict:
    return TapCandis(config={"api_url": "http://localhost", "access_token": "x"}, validate_config=False).streams[stream].schema


OPENAPI_POSTING = {
    "id": "p1", "entityGuid": "g1", "status": "EXPORTED", "type": "CARD_TRANSACTION", "invoiceId": "KK-1",
    "invoiceDate": "2026-01-02T00:00:00Z", "url": "https://my.candis.io/x", "amount": {"value": 12.5, "currencyCode": "EUR"},
    "files": [{"id": "f", "url": "https://api.candis.io/f", "name": "a.pdf", "type": "INVOICE"}],
    "contact": {"name": "Taxi Schmidt"}, "invoiceFormat": "REGULAR", "documentType": "Kreditkartenbeleg",
    "creditCardSettings": {"bookingAccount": "1361", "transitAccount": "1360"},
    "payment": {"method": "CARD_TRANSACTION", "paidAt": "2026-01-02T10:00:00.000Z"},
    "splitPostings": [{"amount": 12.5, "generalLedgerAccount": "6650", "purchaseOrderMetadata": [
        {"orderNumber": "PO-1", "lineNumber": 1, "itemNumber": "ART-1", "locationCode": None, "externalLineId": None}]}],
}
# What the tap was first built for: nulls for empty optional fields, CREDIT_CARD, bare metadata lines.
OLDER_POSTING = {
    **OPENAPI_POSTING, "contact": {"name": "Taxi Schmidt", "accountsPayableNumber": None, "accountsReceivableNumber": None},
    "purchaseOrder": None, "accountingArea": None, "deliveryDate": None, "paymentCondition": None,
    "payment": {"method": "CREDIT_CARD", "paidAt": "2026-01-02T10:00:00.000Z"},
    "splitPostings": [{"amount": 12.5, "generalLedgerAccount": "6650", "note": None, "costObject": None,
                       "customCostDimension": None, "purchaseOrderMetadata": [], "goodsReceiptMetadata": []}],
}


@pytest.mark.parametrize("posting", [OPENAPI_POSTING, OLDER_POSTING], ids=["openapi", "older"])
def test_postings_schema_takes_the_openapi_shape_and_the_older_one(posting):
    assert list(Draft7Validator(_schema("postings")).iter_errors(posting)) == []


def test_a_posting_without_a_required_field_does_not_fit_the_schema():
    broken = {k: v for k, v in OPENAPI_POSTING.items() if k != "invoiceDate"}
    assert not Draft7Validator(_schema("postings")).is_valid(broken)


def _operation(spec: dict, method: str, path: str) -> dict | None:
    """The document's operation for a request path (`/v1/organizations/info` before `/{organizationId}/...`)."""
    if path == "/v1/organizations/info":
        return spec["paths"][path].get(method.lower())
    for template, item in spec["paths"].items():
        regex = "^" + "/".join("[^/]+" if part.startswith("{") else re.escape(part) for part in template.split("/")) + "$"
        if method.lower() in item and re.match(regex, path):
            return item[method.lower()]
    return None


def test_every_request_the_tap_sends_uses_the_documents_parameters_and_enum_values(spec, candis, tmp_path, tap):
    candis.admin("POST", "/candis/exportable", {"entityType": "CARD_TRANSACTION", "count": 3})
    config = {**candis_config(candis, tmp_path, files_dir=str(tmp_path / "files")), "organization_id": None,
              "create_export": True, "export_entity_types": ["DOCUMENT", "CARD_TRANSACTION", "REIMBURSEMENT_ITEM"],
              "purchase_request_statuses": ["APPROVED", "FULFILLED"]}
    run = tap({k: v for k, v in config.items() if v is not None})
    assert run.returncode == 0, run.stderr[-2000:]
    seen: set[str] = set()
    for entry in candis.requests():
        if not entry["path"].startswith("/v1/"):
            continue  # the token endpoint is Keycloak's, not this document's
        operation = _operation(spec, entry["method"], entry["path"])
        assert operation is not None, entry
        params = {p["name"]: p["schema"] for p in operation["parameters"] if p["in"] == "query"}
        for name, value in (entry.get("query") or {}).items():
            assert name in params, (entry["path"], name)
            assert isinstance(value, str), (entry["path"], name, "sent more than once")
            schema = params[name]
            values = value.split(",") if name in ("status", "types") else [value]  # "Comma separated values"
            for one in values:
                if "enum" in schema:
                    assert one in schema["enum"], (entry["path"], name, one)
                if schema.get("type") == "number":
                    assert decimal.Decimal(one) >= schema.get("minimum", 0), (entry["path"], name, one)
            seen.add(f"{entry['method']} {entry['path'].split('/')[-1]} {name}")
    assert {"GET reimbursement-items sortField", "GET reimbursement-items status", "GET invoices updatedDateFrom",
            "GET invoices status", "GET purchase-requests status", "GET exports limit"} <= seen
    methods = {(e["method"], e["path"].rsplit("/", 1)[-1]) for e in candis.requests()}
    assert ("POST", "exports") in methods and ("GET", "info") in methods
