"""Webhooks the way AWS SNS delivers them: `POST /subscriptions` first sends a `SubscriptionConfirmation`
(with a `SubscribeURL` the subscriber must GET), then, once confirmed, `Notification` messages for
`on_digitized` (Message = the document) and `on_exported` (Message = `{"companyCode": …}`).

Every message is signed as SNS signs (framework/sns.py): SignatureVersion 1 (SHA1withRSA, the default, as in
the vendor's example) or 2 (SHA256withRSA, `POST /_sandbox/ivesk/sns {"signatureVersion": "2"}`), by a key
generated when the first subscription is made, whose certificate the sandbox's SNS host serves over HTTPS
at `SigningCertURL`; `SubscribeURL` and `UnsubscribeURL` point at that host too. `GET /_sandbox/ivesk/sns`
gives its URL and the CA certificate a receiver must trust for it.

A delivery that does not get a 2xx is retried up to 10 times (11 posts in all) with exponential backoff
(20 s doubling to at most 10 min in production; `webhook_retry_base` shortens the first delay), then dropped.
"""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.parse
import uuid
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from ..framework.admin import admin_json
from ..framework.delivery import post
from ..framework.errors import admin_object
from ..framework.jsonutil import json_response
from ..framework.provider import AdminError, ConfiguredProvider
from ..framework.sns import SIGNATURE_HASHES, SnsEndpoint
from ..framework.timeutil import iso_ms
from .config import ACCOUNT_ID

EVENT_TYPES = ("on_digitized", "on_exported")
TOPICS = {"on_digitized": "DPWebHook_ondigitized", "on_exported": "DPWebHook_onexport"}
REGION_ARN = "arn:aws:sns:eu-west-1:007272210889"
MAX_RETRIES = 10  # "We will retry to deliver event up to 10 times": 11 posts at most
MAX_DELAY = 600.0  # "... exponential backoff from 20 sec to 10 min"
LOGGER = logging.getLogger("sandbox.ivesk.webhooks")


SNS_HEADERS = {"Content-Type": "text/plain; charset=UTF-8", "User-Agent": "Amazon Simple Notification Service Agent"}


class Webhooks:
    def __init__(self, provider: ConfiguredProvider) -> None:
        self.provider = provider
        self.tasks: set[asyncio.Task] = set()
        self.signature_version = "1"
        self.sns = SnsEndpoint(self._confirmed_arn, self.unsubscribe)

    def close(self) -> None:
        self.sns.close()

    def _subscription(self, **match: str) -> dict[str, Any] | None:
        for subscription in self.provider.state.subscriptions:
            if all(subscription[k] == v for k, v in match.items()):
                return subscription
        return None

    def subscribe(self, name: str, event_type: str, target: str, base_url: str) -> dict[str, Any]:
        topic = f"{REGION_ARN}:{TOPICS[event_type]}"
        token = uuid.uuid4().hex * 2
        subscription = {
            "name": name,
            "eventType": event_type,
            "target": target,
            "topicArn": topic,
            "subscriptionArn": f"{topic}:{uuid.uuid4()}",
            "confirmed": False,
            "token": token,
            "deliveries": [],
        }
        self.provider.state.subscriptions.append(subscription)
        self.sns.start()
        text = (
            f"You have chosen to subscribe to the topic {topic}.\n"
            "To confirm the subscription, visit the SubscribeURL included in this message."
        )
        self._deliver(subscription, self._confirmation("SubscriptionConfirmation", subscription, text))
        return subscription

    def _confirmation(self, kind: str, subscription: dict[str, Any], text: str) -> dict[str, Any]:
        query = urllib.parse.urlencode(
            {"Action": "ConfirmSubscription", "TopicArn": subscription["topicArn"], "Token": subscription["token"]}
        )
        extra = {"Token": subscription["token"], "SubscribeURL": f"{self.sns.url}/?{query}"}
        return self._envelope(kind, subscription["topicArn"], text, extra)

    def confirm(self, topic: str, token: str) -> dict[str, Any] | None:
        subscription = self._subscription(topicArn=topic, token=token)
        if subscription is not None:
            subscription["confirmed"] = True
        return subscription

    def _confirmed_arn(self, topic: str, token: str) -> str | None:
        subscription = self.confirm(topic, token)
        return None if subscription is None else subscription["subscriptionArn"]

    def unsubscribe(self, subscription_arn: str) -> str | None:
        """The UnsubscribeURL: the subscription stops, and SNS tells the endpoint (UnsubscribeConfirmation)."""
        subscription = self._subscription(subscriptionArn=subscription_arn)
        if subscription is None:
            return None
        subscription["confirmed"] = False
        text = (
            f"You have chosen to deactivate subscription {subscription_arn}.\n"
            "To cancel this operation and restore the subscription, visit the SubscribeURL included in this message."
        )
        self._deliver(subscription, self._confirmation("UnsubscribeConfirmation", subscription, text))
        return subscription_arn

    def notify(self, event_type: str, message: dict[str, Any]) -> None:
        for subscription in self.provider.state.subscriptions:
            if subscription["eventType"] == event_type and subscription["confirmed"]:
                query = urllib.parse.urlencode(
                    {"Action": "Unsubscribe", "SubscriptionArn": subscription["subscriptionArn"]}
                )
                extra = {
                    "UnsubscribeURL": f"{self.sns.url}/?{query}",
                    "MessageAttributes": {"account": {"Type": "String", "Value": ACCOUNT_ID}},
                }
                text = json.dumps(message, ensure_ascii=False)
                self._deliver(subscription, self._envelope("Notification", subscription["topicArn"], text, extra))

    def _envelope(self, kind: str, topic: str, message: str, extra: dict[str, Any]) -> dict[str, Any]:
        signer = self.sns.start().signer
        assert signer is not None
        envelope = {
            "Type": kind,
            "MessageId": str(uuid.uuid4()),
            "TopicArn": topic,
            "Message": message,
            "Timestamp": iso_ms(self.provider.now_ms()),
            **{k: v for k, v in extra.items() if k in ("Token", "SubscribeURL")},
        }
        envelope["SignatureVersion"] = self.signature_version
        envelope["Signature"] = signer.sign(envelope, self.signature_version)
        envelope["SigningCertURL"] = self.sns.signing_cert_url
        envelope |= {k: v for k, v in extra.items() if k not in envelope}
        return envelope

    def _deliver(self, subscription: dict[str, Any], envelope: dict[str, Any]) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # pragma: no cover - called outside the server loop
            return
        task = loop.create_task(self._attempts(subscription, envelope))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _attempts(self, subscription: dict[str, Any], envelope: dict[str, Any]) -> None:
        body = json.dumps(envelope, ensure_ascii=False).encode()
        record = {
            "type": envelope["Type"],
            "messageId": envelope["MessageId"],
            "attempts": 0,
            "status": None,
            "delivered": False,
        }
        subscription["deliveries"].append(record)
        delay = self.provider.config.webhook_retry_base
        for attempt in range(1, MAX_RETRIES + 2):
            headers = {**SNS_HEADERS, "x-amz-sns-message-type": envelope["Type"]}
            status = await asyncio.to_thread(post, subscription["target"], body, headers)
            record["attempts"], record["status"] = attempt, status
            if 200 <= status < 300:
                record["delivered"] = True
                return
            if attempt <= MAX_RETRIES:
                await asyncio.sleep(delay)  # the backoff between two deliveries
                delay = min(delay * 2, MAX_DELAY)
        LOGGER.info("webhook %s to %s given up after %d posts", envelope["MessageId"], subscription["target"], attempt)


router = APIRouter(prefix="/_sandbox/ivesk")


@router.get("/sns")
async def sns_view(request: Request) -> Response:
    """The sandbox's SNS host (started with the first subscription): its URL, the CA certificate to trust
    for it, the signing certificate's URL and the SignatureVersion of new messages."""
    hooks: Webhooks = request.app.state.provider.webhooks
    sns = hooks.sns
    return json_response(
        {
            "url": sns.url or None,
            "caCertificate": sns.ca_pem.decode() or None,
            "signingCertUrl": sns.signing_cert_url if sns.signer else None,
            "signatureVersion": hooks.signature_version,
        }
    )


@router.post("/sns")
async def sns_settings(request: Request) -> Response:
    """`{"signatureVersion": "1" | "2", "start": true}`: how new messages are signed; start the SNS host now."""
    body = await admin_json(request, empty={})
    admin_object(body, ("signatureVersion", "start"), 'expected {"signatureVersion": "1" | "2", "start": true}')
    hooks: Webhooks = request.app.state.provider.webhooks
    version = body.get("signatureVersion", hooks.signature_version)
    if version not in SIGNATURE_HASHES:
        raise AdminError(f"'signatureVersion' must be one of {', '.join(SIGNATURE_HASHES)}")
    hooks.signature_version = version
    if body.get("start"):
        await asyncio.to_thread(hooks.sns.start)
    return await sns_view(request)
