"""Webhooks the way AWS SNS delivers them: `POST /subscriptions` first sends a `SubscriptionConfirmation`
(with a `SubscribeURL` the subscriber must GET), then, once confirmed, `Notification` messages for
`on_digitized` (Message = the document) and `on_exported` (Message = `{"companyCode": …}`).
A delivery that does not get a 2xx is retried up to 10 times with exponential backoff (20 s … 10 min in
production; `webhook_retry_base` shortens it)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import urllib.error
import urllib.request
import uuid
from typing import Any

from ..framework.provider import ConfiguredProvider
from ..framework.timeutil import iso_ms
from .config import ACCOUNT_ID

EVENT_TYPES = ("on_digitized", "on_exported")
TOPICS = {"on_digitized": "DPWebHook_ondigitized", "on_exported": "DPWebHook_onexport"}
REGION_ARN = "arn:aws:sns:eu-west-1:007272210889"
MAX_ATTEMPTS = 10
LOGGER = logging.getLogger("sandbox.ivesk.webhooks")


def _signature(message: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(message, sort_keys=True).encode()).digest()
    return base64.b64encode(digest * 8).decode()


def _post(target: str, body: bytes, message_type: str) -> int:
    request = urllib.request.Request(
        target,
        data=body,
        method="POST",
        headers={
            "Content-Type": "text/plain; charset=UTF-8",
            "x-amz-sns-message-type": message_type,
            "User-Agent": "Amazon Simple Notification Service Agent",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return 0


class Webhooks:
    def __init__(self, provider: ConfiguredProvider) -> None:
        self.provider = provider
        self.tasks: set[asyncio.Task] = set()

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
        message = self._envelope(
            "SubscriptionConfirmation",
            topic,
            "You have chosen to subscribe to the topic "
            f"{topic}.\nTo confirm the subscription, visit the SubscribeURL included in this message.",
        )
        message["Token"] = token
        message["SubscribeURL"] = f"{base_url}/_sns/?Action=ConfirmSubscription&TopicArn={topic}&Token={token}"
        self._deliver(subscription, message)
        return subscription

    def confirm(self, topic: str, token: str) -> dict[str, Any] | None:
        for subscription in self.provider.state.subscriptions:
            if subscription["topicArn"] == topic and subscription["token"] == token:
                subscription["confirmed"] = True
                return subscription
        return None

    def notify(self, event_type: str, message: dict[str, Any]) -> None:
        for subscription in self.provider.state.subscriptions:
            if subscription["eventType"] == event_type and subscription["confirmed"]:
                envelope = self._envelope(
                    "Notification", subscription["topicArn"], json.dumps(message, ensure_ascii=False)
                )
                envelope["UnsubscribeURL"] = (
                    f"https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={subscription['subscriptionArn']}"
                )
                envelope["MessageAttributes"] = {"account": {"Type": "String", "Value": ACCOUNT_ID}}
                self._deliver(subscription, envelope)

    def _envelope(self, kind: str, topic: str, message: str) -> dict[str, Any]:
        envelope = {
            "Type": kind,
            "MessageId": str(uuid.uuid4()),
            "TopicArn": topic,
            "Message": message,
            "Timestamp": iso_ms(self.provider.now_ms()),
            "SignatureVersion": "1",
            "SigningCertURL": "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-010a507c1833636cd94bdb98bd93083a.pem",
        }
        envelope["Signature"] = _signature(envelope)
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
        for attempt in range(1, MAX_ATTEMPTS + 1):
            status = await asyncio.to_thread(_post, subscription["target"], body, envelope["Type"])
            record["attempts"], record["status"] = attempt, status
            if 200 <= status < 300:
                record["delivered"] = True
                return
            if attempt < MAX_ATTEMPTS:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 600.0)
        LOGGER.info(
            "webhook %s to %s given up after %d attempts", envelope["MessageId"], subscription["target"], MAX_ATTEMPTS
        )
