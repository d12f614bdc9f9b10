"""What each provider does when the receiver is not there, as the receiver sees it: SNS retries until it gets
through (one event stored), Findity never redelivers (the export is withdrawn, its reports are sent again as
a new export, which is stored); and SNS's unsubscribe message is verified and only logged."""

from __future__ import annotations

import json
import logging

import requests
from sandbox.framework.server import serve_in_thread
from sandbox.ivesk import IveskConfig, create_app

from tests.helpers import Sandbox
from tests.webhooks.conftest import FINDITY_SECRET, ivesk_deliveries, subscribe_ivesk, trust_sns, wait_until


def test_receiver_down_during_an_sns_delivery_the_retry_stores_it_once(setup):
    with serve_in_thread(create_app(IveskConfig(scale=30, webhook_retry_base=0.1))) as url:
        ivesk = Sandbox(url)
        hooks = setup.receiver(sns_ca_file=trust_sns(ivesk, setup))
        port = hooks.server.port
        subscribe_ivesk(ivesk, f"{hooks.url}/ivesk")
        hooks.stop()
        ivesk.admin("POST", "/ivesk/export", {"count": 1})

        def notification() -> dict | None:
            return next((d for d in ivesk_deliveries(ivesk) if d["type"] == "Notification"), None)

        wait_until(lambda: (notification() or {}).get("attempts", 0) >= 2, what="two failed SNS deliveries")
        assert hooks.store.events() == []
        hooks.start(port)
        delivery = wait_until(lambda: (n := notification()) and n["delivered"] and n, what="SNS redelivery")
        (event,) = hooks.store.events()
        assert event.event_id == delivery["messageId"] and delivery["attempts"] >= 3


def test_receiver_down_when_findity_sends_the_export_is_withdrawn_and_sent_again_later(findity, setup):
    hooks = setup.receiver()
    port = hooks.server.port
    findity.configure(webhook_url=f"{hooks.url}/findity/{FINDITY_SECRET}")
    hooks.stop()
    first = findity.admin("POST", "/findity/bulk-send", {"count": 2})
    assert first["webhook"]["status"] is None and first["export"]["status"] == "WITHDRAWN"
    hooks.start(port)
    again = findity.admin("POST", "/findity/bulk-send", {"count": 2})  # the admin sends the reports again
    assert again["webhook"]["status"] == 200
    assert again["totals"] == first["totals"]  # the same reports (sent-back ones go first)
    (event,) = hooks.store.events()
    assert event.event_id == again["export"]["id"] != first["export"]["id"]


def test_an_unsubscribe_confirmation_is_verified_and_logged_not_stored(setup, caplog):
    with serve_in_thread(create_app(IveskConfig(scale=30, webhook_retry_base=0.1))) as url:
        ivesk = Sandbox(url)
        hooks = setup.receiver(sns_ca_file=trust_sns(ivesk, setup))
        subscription = subscribe_ivesk(ivesk, f"{hooks.url}/ivesk")
        caplog.set_level(logging.INFO, logger="webhooks")
        sns_url = ivesk.admin("GET", "/ivesk/sns")["url"]  # what a Notification's UnsubscribeURL points at
        answer = requests.get(
            f"{sns_url}/",
            params={"Action": "Unsubscribe", "SubscriptionArn": subscription["subscriptionArn"]},
            verify=hooks.settings.sns_ca_file,
            timeout=30,
        )
        assert answer.status_code == 200 and "UnsubscribeResponse" in answer.text
        wait_until(
            lambda: any(d["type"] == "UnsubscribeConfirmation" and d["delivered"] for d in ivesk_deliveries(ivesk)),
            what="UnsubscribeConfirmation delivered",
        )
        assert any("UnsubscribeConfirmation" in r.getMessage() for r in caplog.records)
        assert hooks.store.events() == []
        forged = {"Type": "UnsubscribeConfirmation", "TopicArn": subscription["topicArn"]}
        assert hooks.post("/ivesk", json.dumps(forged)).status_code == 400  # unsigned, fields missing
