"""Findity emulator: the unprocessed-exports list, export metadata, the voucher package, updatestatus,
content, basis PDFs, errors, the bulk-send admin control and the webhook."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sandbox.findity import FORMATS

from tests.findity.api_client import FindityApi


def test_list_returns_the_unprocessed_exports_as_a_bare_array(findity):
    exports = FindityApi(findity).exports()
    assert isinstance(exports, list) and len(exports) == 8
    assert all(len(e["id"]) == 32 and e["status"] == "UNPROCESSED" for e in exports)


def test_list_can_answer_with_a_data_meta_envelope(findity_factory):
    sandbox = findity_factory(list_envelope="envelope")
    body = FindityApi(sandbox).exports()
    assert set(body) == {"data", "meta"} and body["meta"]["total"] == len(body["data"]) == 8


def test_export_metadata_holds_the_recipient_configuration_and_status(findity):
    api = FindityApi(findity)
    export = api.exports()[3]
    detail = api.json("GET", f"/exports/{export['id']}")
    assert detail["status"] == "UNPROCESSED"
    assert detail["organizationRecipient"]["verificationListsType"] == FORMATS[3]


def test_vouchers_carry_owner_report_basis_and_rows_with_32_hex_ids(findity):
    api = FindityApi(findity)
    package = api.package(api.exports()[0]["id"])
    voucher = package["vouchers"][0]
    assert len(voucher["id"]) == len(voucher["ownerId"]) == len(voucher["expenseReportId"]) == 32
    assert voucher["basisUrl"].startswith(findity.url)
    row = voucher["voucherRows"][0]
    assert {"amount", "taxAmount", "account", "dimension", "text", "expenseRecordId"} <= set(row)
    assert {r["type"] for v in package["vouchers"] for r in v["voucherRows"]} == {"DEBIT", "VAT", "CREDIT"}


def test_accounting_vouchers_balance_and_salary_codes_appear_on_mileage_and_per_diem(findity):
    api = FindityApi(findity)
    for export in api.exports()[:5]:
        for voucher in api.package(export["id"])["vouchers"]:
            assert sum(r["amount"] for r in voucher["voucherRows"]) == 0
    rows = [r for e in api.exports()[:1] for v in api.package(e["id"])["vouchers"] for r in v["voucherRows"]]
    assert all(r["salaryCode"] in ("741", "731") for r in rows if r["account"] in ("7331", "7321"))


def _totals(api: FindityApi, export_id: str) -> tuple[dict, dict]:
    gross: dict = {}
    vat: dict = {}
    for voucher in api.package(export_id)["vouchers"]:
        cur = voucher["currency"]
        for row in voucher["voucherRows"]:
            if row["amount"] > 0:
                gross[cur] = gross.get(cur, 0) + row["amount"]
            vat[cur] = vat.get(cur, 0) + row["taxAmount"]
    return gross, vat


def test_the_same_reports_reconcile_to_the_same_totals_in_all_eight_formats(findity_factory):
    seen = []
    for fmt in FORMATS:
        sandbox = findity_factory(initial_exports=0, scale=30)
        api = FindityApi(sandbox)
        created = api.bulk_send(count=30, verificationListsType=fmt)
        gross, vat = _totals(api, created["export"]["id"])
        assert {k: str(v) for k, v in gross.items()} == {
            k: v for k, v in created["totals"]["gross"].items() if v != "0.00"
        }
        seen.append((gross, vat))
    assert all(s == seen[0] for s in seen), "formats disagree on gross or VAT"


def test_updatestatus_success_sends_the_reports_and_the_export_leaves_the_list(findity):
    api = FindityApi(findity)
    export_id = api.exports()[0]["id"]
    before = findity.admin("GET", "/findity/reports")
    response = api.confirm(export_id, bookingDate="2026-03-02T08:00:00Z", informationText="Booked")
    assert response.status_code == 200 and response.json()["status"] == "PROCESSED"
    assert export_id not in [e["id"] for e in api.exports()]
    after = findity.admin("GET", "/findity/reports")
    assert after["SENT"] == before["SENT"] + 10 and after["TRANSFER"] == before["TRANSFER"] - 10
    again = api.confirm(export_id)
    assert again.status_code == 400 and again.json()["code"] == "INVALID_SEND_STATE"


def test_a_failed_voucher_sends_its_reports_back_to_ready_to_send_for_the_next_bulk_send(findity):
    api = FindityApi(findity)
    export_id = api.exports()[0]["id"]
    response = api.confirm(export_id, status="FAILED", errorText="Account 5831 missing")
    assert response.json()["status"] == "FAILED"
    assert export_id not in [e["id"] for e in api.exports()]
    resent = api.bulk_send(count=10)
    first = api.package(export_id)["vouchers"][0]["expenseReportId"]
    assert first in {v["expenseReportId"] for v in api.package(resent["export"]["id"])["vouchers"]}


def test_updatestatus_rejects_a_body_without_voucher_updates_and_unknown_vouchers(findity):
    api = FindityApi(findity)
    export_id = api.exports()[0]["id"]
    bad = api.call("PUT", f"/exports/{export_id}/updatestatus", json={"status": "SENT"})
    assert bad.status_code == 400 and bad.json()["code"] == "REQUIRED_FIELD"
    unknown = api.call(
        "PUT", f"/exports/{export_id}/updatestatus", json={"voucherUpdates": [{"id": "0" * 32, "status": "SUCCESS"}]}
    )
    assert unknown.status_code == 400 and unknown.json()["code"] == "VOUCHER_NOT_FOUND"


def test_export_stays_unprocessed_until_every_voucher_has_a_status(findity):
    api = FindityApi(findity)
    export_id = api.exports()[0]["id"]
    ids = [v["id"] for v in api.package(export_id)["vouchers"]]
    api.call(
        "PUT", f"/exports/{export_id}/updatestatus", json={"voucherUpdates": [{"id": ids[0], "status": "SUCCESS"}]}
    )
    assert export_id in [e["id"] for e in api.exports()]


def test_content_can_be_attached_and_read_back(findity):
    api = FindityApi(findity)
    export_id = api.exports()[0]["id"]
    assert api.call("GET", f"/exports/{export_id}/content").json()["code"] == "CONTENT_NOT_FOUND"
    put = api.call(
        "PUT",
        f"/exports/{export_id}/content?fileName=export.sie",
        data=b"#FLAGGA 0\n",
        headers={"Content-Type": "text/plain"},
    )
    assert put.status_code == 200
    got = api.call("GET", f"/exports/{export_id}/content")
    assert got.content == b"#FLAGGA 0\n" and got.headers["content-type"].startswith("text/plain")
    assert 'filename="export.sie"' in got.headers["content-disposition"]


def test_basis_url_with_format_pdf_serves_a_pdf(findity):
    api = FindityApi(findity)
    voucher = api.package(api.exports()[0]["id"])["vouchers"][0]
    response = api.http.get(
        voucher["basisUrl"] + "?format=pdf", headers={"Authorization": f"Bearer {api.token['access_token']}"}
    )
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")


@pytest.mark.parametrize(("path", "code"), [("/exports/" + "f" * 32, "EXPORT_NOT_FOUND")])
def test_unknown_export_is_export_not_found(findity, path, code):
    response = FindityApi(findity).call("GET", path)
    assert response.status_code == 404 and response.json()["code"] == code


def test_unknown_organization_is_organization_not_found(findity):
    response = FindityApi(findity, organization="0" * 32).call("GET", "/exports")
    assert response.status_code == 404 and response.json()["code"] == "ORGANIZATION_NOT_FOUND"


def test_missing_recipient_is_recipient_not_found(findity):
    findity.configure(recipient_configured=False)
    response = FindityApi(findity).call("GET", "/exports")
    assert response.status_code == 404 and response.json()["code"] == "RECIPIENT_NOT_FOUND"


class _Hook(BaseHTTPRequestHandler):
    status = 200
    received: list = []

    def do_POST(self) -> None:
        _Hook.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(_Hook.status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook_receiver():
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Hook.received, _Hook.status = [], 200
    yield f"http://127.0.0.1:{server.server_port}/hook", _Hook
    server.shutdown()
    server.server_close()


def test_bulk_send_posts_the_documented_webhook_payload(findity, webhook_receiver):
    url, hook = webhook_receiver
    findity.configure(webhook_url=url)
    created = FindityApi(findity).bulk_send(count=3)
    assert hook.received == [created["webhook"]["payload"]]
    payload = hook.received[0]
    assert set(payload) == {
        "exportId",
        "numberOfVouchers",
        "numberOfReports",
        "organizationId",
        "externalOrganizationId",
        "clientApplicationId",
    }
    assert payload["numberOfReports"] == 3


def test_a_non_200_webhook_answer_moves_the_reports_back_to_ready_to_send(findity, webhook_receiver):
    url, hook = webhook_receiver
    hook.status = 500
    findity.configure(webhook_url=url)
    before = findity.admin("GET", "/findity/reports")["READY_TO_SEND"]
    created = FindityApi(findity).bulk_send(count=3)
    assert created["export"]["status"] == "WITHDRAWN"
    assert findity.admin("GET", "/findity/reports")["READY_TO_SEND"] == before
    assert created["export"]["id"] not in [e["id"] for e in FindityApi(findity).exports()]
