"""Įvesk emulator: presigned uploads, digitization, sourcedata echoed back, code lists, sync errors, webhooks."""

from __future__ import annotations

import base64
import queue as queue_mod
import typing as t

import pytest
import requests
from fastapi import FastAPI, Request
from sandbox.framework.server import serve_in_thread
from starlette.responses import Response

from tests.ivesk.api import IveskApi, sourcedata

PDF = b"%PDF-1.4\n% invoice scanned by a test\n"


@pytest.fixture
def api(ivesk_factory) -> IveskApi:
    return IveskApi(ivesk_factory(digitize_delay=3600))  # digitization finishes when the test says so


def test_upload_location_answers_url_and_the_headers_to_put_with(api):
    body = api.get("/uploadlocation/somefile.pdf").json()
    assert body["Content-Type"] == "application/pdf"
    assert body["Content-Disposition"] == 'filename="somefile.pdf"'
    assert "/public/" in body["url"] and "AWSAccessKeyId=" in body["url"] and "Signature=" in body["url"]


def test_uploaded_file_is_digitized_then_exported_with_its_sourcedata(api):
    api.upload("saskaita-77.pdf", PDF, sourcedata=sourcedata("erp-77", "batch 3"), tags="kuras,vilnius")
    assert not [d for d in api.queue("digitized") if d.get("sourcedata")]  # still digitizing
    api.admin("POST", "/ivesk/digitize", {})
    digitized = [d for d in api.queue("digitized") if d.get("sourcedata")]
    assert [d["sourcedata"] for d in digitized] == [{"id": "erp-77", "customdata": "batch 3"}]
    assert digitized[0]["filename"] == "saskaita-77.pdf" and digitized[0]["tags"] == ["kuras", "vilnius"]
    assert requests.get(digitized[0]["url"], timeout=30).content == PDF
    assert not [d for d in api.queue("exported") if d.get("sourcedata")]
    api.admin("POST", "/ivesk/export", {"ids": [digitized[0]["id"]]})
    exported = [d for d in api.queue("exported") if d.get("sourcedata")]
    assert exported[0]["id"] == digitized[0]["id"] and exported[0]["sourcedata"]["id"] == "erp-77"


def test_digitization_finishes_by_itself_after_the_configured_delay(ivesk_factory):
    api = IveskApi(ivesk_factory(digitize_delay=0))
    api.upload("a.pdf", PDF, userdata="legacy-1")
    assert [d["userdata"] for d in api.queue("digitized") if d.get("userdata")] == ["legacy-1"]


def test_processlines_false_gives_a_document_without_lines(ivesk_factory):
    api = IveskApi(ivesk_factory(digitize_delay=0))
    api.upload("b.pdf", PDF, sourcedata=sourcedata("x"), processlines="false", allocation="6304")
    (doc,) = [d for d in api.queue("digitized") if d.get("sourcedata")]
    assert doc["lines"] == []


@pytest.mark.parametrize(
    "name,params,fragment",
    [
        ("scan.docx", {}, "Unsupported file type"),
        ("a.pdf", {"sourcedata": "not base64!"}, "sourcedata"),
        ("a.pdf", {"sourcedata": base64.b64encode(b'{"customdata": 1}').decode()}, "'id'"),
        ("a.pdf", {"checkduplicates": "maybe"}, "checkduplicates"),
    ],
)
def test_bad_upload_requests_are_400_with_a_message(api, name, params, fragment):
    response = api.get(f"/uploadlocation/{name}", **params)
    assert response.status_code == 400 and fragment in response.json()["message"]


def test_presigned_put_checks_signature_headers_and_expiry(api):
    body = api.get("/uploadlocation/c.pdf").json()
    headers = {"Content-Type": body["Content-Type"], "Content-Disposition": body["Content-Disposition"]}
    wrong_type = requests.put(body["url"], data=PDF, headers={**headers, "Content-Type": "image/png"}, timeout=30)
    assert wrong_type.status_code == 403 and b"SignatureDoesNotMatch" in wrong_type.content
    tampered = requests.put(body["url"].replace("Expires=", "Expires=9"), data=PDF, headers=headers, timeout=30)
    assert tampered.status_code == 403
    api.sandbox.configure(upload_url_lifetime=0)
    stale = api.get("/uploadlocation/d.pdf").json()
    from urllib.parse import parse_qsl, urlparse

    from sandbox.ivesk.presign import check_upload

    parsed = urlparse(stale["url"])
    assert check_upload(parsed.path.rsplit("/", 1)[1], dict(parse_qsl(parsed.query)), 10**10).status_code == 403
    assert requests.put(body["url"], data=PDF, headers=headers, timeout=30).status_code == 200


def test_checkduplicates_rejects_the_same_file_twice(ivesk_factory):
    api = IveskApi(ivesk_factory(digitize_delay=0))
    api.upload("e.pdf", PDF, sourcedata=sourcedata("one"), checkduplicates="true")
    api.upload("e-again.pdf", PDF, sourcedata=sourcedata("two"), checkduplicates="true")
    assert [d["sourcedata"]["id"] for d in api.queue("digitized") if d.get("sourcedata")] == ["one"]
    assert [u["reason"] for u in api.admin("GET", "/ivesk/uploads")] == [None, "duplicate"]


def test_columns_page_with_an_opaque_next_cursor(api):
    first = api.get("/columns/302320404", column="allocation").json()
    assert len(first["items"]) == 50 and first["next"]
    second = api.get("/columns/302320404", column="allocation", next=first["next"]).json()
    assert "next" not in second
    codes = [i["code"] for i in first["items"] + second["items"]]
    assert len(codes) == len(set(codes)) == 60
    assert all("modifiedat" in i for i in first["items"])


def test_columns_modifiedsince_returns_only_changed_codes(api):
    changed = api.admin(
        "POST", "/ivesk/columns", {"companyCode": "304567812", "column": "department", "count": 2, "add": 1}
    )
    items = api.get("/columns/304567812", column="department", modifiedsince=changed["modifiedat"]).json()["items"]
    assert sorted(i["code"] for i in items) == sorted(changed["changed"])


@pytest.mark.parametrize(
    "path,params,status",
    [
        ("/columns/999999999", {"column": "allocation"}, 404),
        ("/columns/302320404", {}, 400),
        ("/columns/302320404", {"column": "colour"}, 400),
        ("/columns/302320404", {"column": "allocation", "next": "%%%"}, 400),
        ("/columns/302320404", {"column": "allocation", "modifiedsince": "soon"}, 400),
    ],
)
def test_bad_column_requests_answer_with_a_message(api, path, params, status):
    response = api.get(path, **params)
    assert response.status_code == status and response.json()["message"]


def test_sync_errors_are_stored_and_visible_in_ground_truth(api):
    doc = api.get("/exported").json()["documents"][0]
    report = {
        "documentid": doc["id"],
        "companycode": doc["companycode"],
        "message": "Country 'Japan' does not exist in the list.",
    }
    assert api.post("/syncerrors", report).status_code == 200
    assert [{k: e[k] for k in report} for e in api.admin("GET", "/ground-truth")["syncerrors"]] == [report]


@pytest.mark.parametrize(
    "body,status",
    [
        ({"documentid": "nope", "companycode": "302320404", "message": "x"}, 404),
        ({"documentid": "x", "message": "y"}, 400),
        ("text", 400),
    ],
)
def test_bad_sync_errors_are_refused(api, body, status):
    assert api.post("/syncerrors", body).status_code == status


def test_sync_error_for_another_company_is_refused(api):
    doc = api.get("/exported").json()["documents"][0]
    other = "110053842" if doc["companycode"] != "110053842" else "302320404"
    response = api.post("/syncerrors", {"documentid": doc["id"], "companycode": other, "message": "x"})
    assert response.status_code == 400 and "does not belong" in response.json()["message"]


class Receiver:
    """A webhook target: records every POST; `next()` waits for one (no sleeping)."""

    def __init__(self, fail_first: int = 0) -> None:
        self.messages: queue_mod.Queue = queue_mod.Queue()
        self.fail_first = fail_first
        app = FastAPI()

        @app.post("/hook")
        async def hook(request: Request) -> Response:
            import json

            if self.fail_first > 0:
                self.fail_first -= 1
                return Response(status_code=503)
            self.messages.put(json.loads(await request.body()))
            return Response(status_code=200)

        self.app = app

    def next(self) -> dict[str, t.Any]:
        return self.messages.get(timeout=20)


def test_subscription_is_confirmed_through_subscribe_url_then_notifications_follow(ivesk_factory, tmp_path):
    api = IveskApi(ivesk_factory(digitize_delay=3600, webhook_retry_base=0.05))
    receiver = Receiver(fail_first=2)  # deliveries are retried
    with serve_in_thread(receiver.app) as hook_url:
        for event in ("on_digitized", "on_exported"):
            response = api.post(
                "/subscriptions", {"name": event, "eventType": event, "target": f"{hook_url}/hook?secret=s"}
            )
            assert response.status_code == 200
            confirmation = receiver.next()
            assert confirmation["Type"] == "SubscriptionConfirmation"
            ca_file = tmp_path / "sns-ca.pem"  # the sandbox's SNS host is HTTPS, with a CA of its own
            ca_file.write_text(api.admin("GET", "/ivesk/sns")["caCertificate"])
            assert requests.get(confirmation["SubscribeURL"], timeout=30, verify=str(ca_file)).status_code == 200
        api.upload("w.pdf", PDF, sourcedata=sourcedata("hooked"))
        api.admin("POST", "/ivesk/digitize", {})
        digitized = receiver.next()
        assert digitized["Type"] == "Notification" and '"hooked"' in digitized["Message"]
        api.admin("POST", "/ivesk/export", {"count": 1})
        exported = receiver.next()
        assert exported["Type"] == "Notification" and "companyCode" in exported["Message"]
        assert exported["MessageAttributes"]["account"]["Type"] == "String"


def test_bad_subscriptions_are_refused(api):
    assert api.post("/subscriptions", {"name": "x", "eventType": "on_paid", "target": "https://x"}).status_code == 400
    assert api.post("/subscriptions", {"name": "x", "eventType": "on_exported", "target": "ftp://x"}).status_code == 400
