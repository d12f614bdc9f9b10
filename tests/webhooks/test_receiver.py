"""The receiver verifies each provider's scheme, stores an accepted event once before answering 2xx, refuses
everything else with a 4xx (nothing stored, nothing to run) and answers 503 when it cannot store."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import sqlite3
import typing as t
import uuid

import pytest
import requests
from sandbox.findity import ORGANIZATION_ID
from sandbox.framework.server import serve_in_thread
from sandbox.ivesk import IveskConfig, create_app
from sandbox.pleo import DEFAULT_COMPANY_ID
from standardwebhooks.webhooks import Webhook
from webhooks.store import SqliteStore

from tests.helpers import Sandbox
from tests.webhooks.conftest import (
    FINDITY_SECRET,
    TOPIC_EXPORTED,
    Setup,
    no_new_events,
    open_pleo_job,
    pleo_deliveries,
    subscribe_ivesk,
    subscribe_pleo,
    trust_sns,
    wait_until,
)

PLEO_SECRET = "whsec_" + base64.b64encode(b"pleo-webhook-test-secret-32bytes").decode()


# ------------------------------------------------------------------------------------------- Įvesk (SNS)
class Ivesk:
    """An Įvesk sandbox whose SNS signer a test can use to sign messages of its own making."""

    def __init__(self, sandbox: Sandbox, provider: t.Any) -> None:
        self.sandbox = sandbox
        self.provider = provider

    @property
    def sns(self) -> t.Any:
        return self.provider.webhooks.sns

    def message(self, payload: dict[str, t.Any], *, topic: str = TOPIC_EXPORTED, version: str = "1") -> dict:
        """A Notification signed with the sandbox's key, as the sandbox would send it."""
        envelope = {
            "Type": "Notification",
            "MessageId": str(uuid.uuid4()),
            "TopicArn": topic,
            "Message": json.dumps(payload),
            "Timestamp": "2026-01-16T08:26:14.705Z",
        }
        return self.sign(envelope, version)

    def sign(self, envelope: dict[str, t.Any], version: str = "1") -> dict[str, t.Any]:
        signed = {k: v for k, v in envelope.items() if k not in ("Signature", "SigningCertURL", "SignatureVersion")}
        return {
            **signed,
            "SignatureVersion": version,
            "Signature": self.sns.signer.sign(signed, version),
            "SigningCertURL": self.sns.signing_cert_url,
        }


@pytest.fixture
def ivesk() -> t.Iterator[Ivesk]:
    app = create_app(IveskConfig(scale=30, webhook_retry_base=0.05))
    with serve_in_thread(app) as url:
        yield Ivesk(Sandbox(url), app.state.provider)


@pytest.fixture
def sns_hooks(ivesk: Ivesk, setup: Setup):
    """The receiver trusting the Įvesk sandbox's SNS host (https on 127.0.0.1, its own CA)."""
    return setup.receiver(sns_ca_file=trust_sns(ivesk.sandbox, setup))


@pytest.mark.parametrize("version", ["1", "2"])
def test_sns_notification_of_either_signature_version_is_stored_once(ivesk, sns_hooks, version):
    message = ivesk.message({"companyCode": "302320404"}, version=version)
    first = sns_hooks.post("/ivesk", json.dumps(message))
    assert first.status_code == 200 and first.json()["status"] == "accepted"
    again = sns_hooks.post("/ivesk", json.dumps(message))  # SNS redelivers: deduplicated by MessageId
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    (event,) = sns_hooks.store.events()
    assert (event.provider, event.event_id, event.tenant, event.kind) == (
        "ivesk",
        message["MessageId"],
        "baltic-ivesk",
        "on_exported",
    )
    assert event.status == "pending"


def test_subscription_is_confirmed_only_after_its_signature_verifies(ivesk, sns_hooks):
    # the sandbox sends the confirmation; the receiver verifies it, then GETs the SubscribeURL
    subscription = subscribe_ivesk(ivesk.sandbox, f"{sns_hooks.url}/ivesk")
    assert subscription["confirmed"]
    # a confirmation whose signed text was altered is refused, and its SubscribeURL never fetched
    pending = ivesk.provider.webhooks._subscription(subscriptionArn=subscription["subscriptionArn"])
    pending["confirmed"] = False
    forged = ivesk.provider.webhooks._confirmation("SubscriptionConfirmation", pending, "Please confirm")
    forged["Message"] = "Please confirm!"
    response = sns_hooks.post("/ivesk", json.dumps(forged))
    assert response.status_code == 401, response.text
    assert not pending["confirmed"]
    assert sns_hooks.store.events() == []


def test_notifications_flow_from_the_sandbox_after_confirmation(ivesk, sns_hooks):
    subscribe_ivesk(ivesk.sandbox, f"{sns_hooks.url}/ivesk")
    exported = ivesk.sandbox.admin("POST", "/ivesk/export", {"count": 2})
    assert exported["exported"] == 2
    events = wait_until(sns_hooks.store.events, what="stored on_exported event")
    assert {e.kind for e in events} == {"on_exported"} and {e.tenant for e in events} == {"baltic-ivesk"}


def test_forged_or_altered_sns_messages_are_refused(ivesk, sns_hooks, caplog):
    genuine = ivesk.message({"companyCode": "302320404"})
    altered = {**genuine, "Message": json.dumps({"companyCode": "304567812"})}
    resigned = {**genuine, "Signature": base64.b64encode(b"\x00" * 256).decode()}
    garbled = {**genuine, "Signature": "not base64!"}
    unsigned = {k: v for k, v in genuine.items() if k != "Signature"}
    version_3 = {**genuine, "SignatureVersion": "3"}
    caplog.set_level(logging.INFO, logger="webhooks")
    with no_new_events(sns_hooks.store):
        for body in (altered, resigned, garbled, unsigned):
            assert sns_hooks.post("/ivesk", json.dumps(body)).status_code == 401
        assert sns_hooks.post("/ivesk", json.dumps(version_3)).status_code == 400
    rejected = [r.getMessage() for r in caplog.records if r.getMessage().startswith("rejected ivesk")]
    assert len(rejected) == 5 and all("\n" not in line for line in rejected)
    assert not any(genuine["Signature"][:16] in line or "302320404" in line for line in rejected)


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/SimpleNotificationService-0123.pem",  # another host
        "https://127.0.0.1.evil.example/cert.pem",  # the allowed host as a prefix only
        "http://127.0.0.1:{port}/cert.pem",  # not https
    ],
)
def test_a_signing_certificate_off_the_allowed_hosts_is_never_fetched(ivesk, sns_hooks, url):
    port = ivesk.sns.signing_cert_url.split(":")[2].split("/")[0]
    message = {**ivesk.message({"companyCode": "302320404"}), "SigningCertURL": url.format(port=port)}
    with no_new_events(sns_hooks.store):
        response = sns_hooks.post("/ivesk", json.dumps(message))
    assert response.status_code == 403 and "SigningCertURL" in response.json()["error"]
    assert sns_hooks.receiver.certificates.fetches == 0


def test_the_default_host_pattern_refuses_the_sandbox_certificate(ivesk, setup):
    hooks = setup.receiver(
        sns_hosts=r"sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?", sns_ca_file=trust_sns(ivesk.sandbox, setup)
    )
    response = hooks.post("/ivesk", json.dumps(ivesk.message({"companyCode": "302320404"})))
    assert response.status_code == 403 and hooks.store.events() == []


def test_unknown_topic_and_unknown_company_are_refused(ivesk, sns_hooks):
    other_topic = ivesk.message({"companyCode": "302320404"}, topic="arn:aws:sns:eu-west-1:123456789012:Other")
    other_company = ivesk.message({"companyCode": "999999999"})
    neither = ivesk.message({"hello": "world"})
    with no_new_events(sns_hooks.store):
        assert sns_hooks.post("/ivesk", json.dumps(other_topic)).status_code == 403
        response = sns_hooks.post("/ivesk", json.dumps(other_company))
        assert response.status_code == 404 and "unknown tenant" in response.json()["error"]
        assert sns_hooks.post("/ivesk", json.dumps(neither)).status_code == 400
    assert sns_hooks.receiver.certificates.fetches <= 1  # the unknown topic was refused before any fetch


def test_on_digitized_maps_the_documents_company(ivesk, sns_hooks):
    message = ivesk.message({"id": "7777707d-594d-420c-9174-ce278f823333", "companycode": "110053842", "total": 12})
    assert sns_hooks.post("/ivesk", json.dumps(message)).json()["status"] == "accepted"
    (event,) = sns_hooks.store.events()
    assert event.kind == "on_digitized" and event.ref["documentId"].startswith("7777707d")
    assert "total" not in event.ref  # the document itself is not stored


# ------------------------------------------------------------------------------------------- malformed, oversize
@pytest.mark.parametrize("path", ["/ivesk", "/pleo", f"/findity/{FINDITY_SECRET}"])
def test_malformed_and_oversize_bodies_are_refused(setup, path):
    setup.environ["PLEO_WEBHOOK_SECRET"] = PLEO_SECRET
    hooks = setup.receiver(max_body=4096)
    headers = pleo_headers("msg_x", "{")
    with no_new_events(hooks.store):
        assert hooks.post(path, b"{not json", headers).status_code in (400, 401)
        assert hooks.post(path, b"[1, 2]", pleo_headers("msg_x", "[1, 2]")).status_code in (400, 401)
        assert hooks.post(path, b"x" * 5000, headers).status_code == 413


# ------------------------------------------------------------------------------------------- Pleo
def pleo_body(company: str = DEFAULT_COMPANY_ID, event_type: str = "v1.export-job.created") -> str:
    job = {"id": str(uuid.uuid4()), "companyId": company, "status": "pending", "numberOfItems": 3}
    return json.dumps({"data": job, "eventId": str(uuid.uuid4()), "eventType": event_type})


def pleo_headers(msg_id: str, body: str, *, secret: str = PLEO_SECRET, at: dt.datetime | None = None) -> dict:
    at = at or dt.datetime.now(dt.UTC)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, at, body),
        "content-type": "application/json",
    }


@pytest.fixture
def pleo_hooks(setup: Setup):
    setup.environ["PLEO_WEBHOOK_SECRET"] = PLEO_SECRET
    return setup.receiver()


def test_pleo_event_verified_by_standard_webhooks_is_stored_once(pleo_hooks):
    body = pleo_body()
    headers = pleo_headers("msg_2Nd1", body)
    assert pleo_hooks.post("/pleo", body, headers).json()["status"] == "accepted"
    replay = pleo_headers("msg_2Nd1", body)  # a redelivery: same webhook-id, new signature
    assert pleo_hooks.post("/pleo", body, replay).json()["status"] == "duplicate"
    (event,) = pleo_hooks.store.events()
    assert (event.event_id, event.tenant, event.kind) == ("msg_2Nd1", "nordic-pleo", "v1.export-job.created")
    assert event.ref["companyId"] == DEFAULT_COMPANY_ID


def test_pleo_forged_stale_or_unknown_events_are_refused(pleo_hooks):
    body = pleo_body()
    stale = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=6)  # the standard's tolerance is 5 minutes
    future = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=6)
    other_secret = "whsec_" + base64.b64encode(b"someone-else's-secret-0123456789").decode()
    with no_new_events(pleo_hooks.store):
        assert pleo_hooks.post("/pleo", body, pleo_headers("m1", body, at=stale)).status_code == 401
        assert pleo_hooks.post("/pleo", body, pleo_headers("m2", body, at=future)).status_code == 401
        assert pleo_hooks.post("/pleo", body, pleo_headers("m3", body, secret=other_secret)).status_code == 401
        altered = body.replace('"numberOfItems": 3', '"numberOfItems": 4')
        assert pleo_hooks.post("/pleo", altered, pleo_headers("m4", body)).status_code == 401
        garbled = {**pleo_headers("m5", body), "webhook-signature": "garbage"}
        assert pleo_hooks.post("/pleo", body, garbled).status_code == 401
        unsigned = {"content-type": "application/json", "webhook-id": "m6"}
        assert pleo_hooks.post("/pleo", body, unsigned).status_code == 401
        other_company = pleo_body(company="00000000-0000-0000-0000-000000000000")
        response = pleo_hooks.post("/pleo", other_company, pleo_headers("m7", other_company))
        assert response.status_code == 404 and "unknown tenant" in response.json()["error"]


def test_other_pleo_event_types_are_answered_but_not_stored(pleo_hooks):
    body = pleo_body(event_type="v1.vendor.created")
    with no_new_events(pleo_hooks.store):
        response = pleo_hooks.post("/pleo", body, pleo_headers("m8", body))
    assert response.status_code == 200 and response.json()["status"] == "ignored"


def test_pleo_without_its_secret_variable_answers_503_so_pleo_retries(setup):
    hooks = setup.receiver()  # PLEO_WEBHOOK_SECRET is not set
    body = pleo_body()
    with no_new_events(hooks.store):
        assert hooks.post("/pleo", body, pleo_headers("m9", body)).status_code == 503


def test_pleo_sandbox_delivers_a_signed_event_when_a_job_is_opened(pleo, setup):
    hooks = setup.receiver()
    subscribe_pleo(pleo, f"{hooks.url}/pleo", setup)
    job = open_pleo_job(pleo, 2)
    (event,) = wait_until(hooks.store.events, what="stored Pleo event")
    assert (event.tenant, event.ref["jobId"]) == ("nordic-pleo", job["id"])
    (delivery,) = pleo_deliveries(pleo)
    assert delivery["delivered"] and delivery["webhookId"] == event.event_id


# ------------------------------------------------------------------------------------------- Findity
def findity_body(organization: str = ORGANIZATION_ID, export_id: str | None = None) -> dict:
    return {
        "exportId": export_id or uuid.uuid4().hex,
        "numberOfVouchers": 2,
        "numberOfReports": 2,
        "organizationId": organization,
        "externalOrganizationId": "My1234",
        "clientApplicationId": "16200214",
    }


def test_findity_secret_url_and_organization_map_the_tenant(setup):
    hooks = setup.receiver()
    body = findity_body()
    assert hooks.post(f"/findity/{FINDITY_SECRET}", body).json()["status"] == "accepted"
    assert hooks.post(f"/findity/{FINDITY_SECRET}", body).json()["status"] == "duplicate"
    (event,) = hooks.store.events()
    assert (event.event_id, event.tenant, event.kind) == (body["exportId"], "norrsken-findity", "export")


def test_findity_wrong_secret_or_organization_is_refused_without_logging_the_url(setup, caplog):
    hooks = setup.receiver()
    caplog.set_level(logging.INFO)
    with no_new_events(hooks.store):
        assert hooks.post(f"/findity/{FINDITY_SECRET[:-1]}x", findity_body()).status_code == 401
        assert hooks.post("/findity/", findity_body()).status_code == 404  # no secret segment: no route
        other = hooks.post(f"/findity/{FINDITY_SECRET}", findity_body(organization="0" * 32))
        assert other.status_code == 404
    assert not any(FINDITY_SECRET in record.getMessage() for record in caplog.records)


def test_findity_sandbox_bulk_send_lands_in_the_store(findity, setup):
    hooks = setup.receiver()
    findity.configure(webhook_url=f"{hooks.url}/findity/{FINDITY_SECRET}")
    sent = findity.admin("POST", "/findity/bulk-send", {"count": 2})
    assert sent["webhook"]["status"] == 200 and sent["export"]["status"] != "WITHDRAWN"
    (event,) = hooks.store.events()
    assert event.event_id == sent["export"]["id"]


# ------------------------------------------------------------------------------------------- store failures
class ReadOnlyStore(SqliteStore):
    """A store SQLite refuses to write to (`PRAGMA query_only`): 'attempt to write a readonly database'."""

    def _connect(self) -> sqlite3.Connection:
        conn = super()._connect()
        conn.execute("PRAGMA query_only = ON")
        return conn


def test_a_store_that_cannot_be_written_answers_503_and_findity_sends_the_reports_back(findity, setup):
    path = setup.root / "readonly.db"
    SqliteStore.open(str(path)).close()
    store = ReadOnlyStore(str(path))
    hooks = setup.receiver(store=store)
    findity.configure(webhook_url=f"{hooks.url}/findity/{FINDITY_SECRET}")
    before = findity.admin("GET", "/findity/reports")["READY_TO_SEND"]
    sent = findity.admin("POST", "/findity/bulk-send", {"count": 2})
    assert sent["webhook"]["status"] == 503
    assert sent["export"]["status"] == "WITHDRAWN"  # non-200: the reports are READY_TO_SEND again
    assert findity.admin("GET", "/findity/reports")["READY_TO_SEND"] == before
    assert store.events() == []
    assert requests.get(f"{hooks.url}/health", timeout=30).status_code == 200  # it can still read
