"""Pleo's webhooks: `v1.export-job.created` when an accountant opens an export job, signed as Standard Webhooks.

Pleo's pages: an integration registers a subscription (Subscriptions API, `POST /v1/subscriptions`, beta) and
reads its secret (`GET /v1/subscriptions/{id}/secret` → `whsec_...`); each event is POSTed with the headers
`webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature` (`v1,<base64 HMAC-SHA256 of
"<id>.<timestamp>.<body>">`), body `{"data": <the export job as the API shows it>, "eventId", "eventType"}`.
The sandbox does not emulate the Subscriptions API (not among the documents the emulator follows); the admin
endpoint below stands in for it.

* ``POST /_sandbox/pleo/webhooks {"url", "companyIds"?, "retrySchedule"?}`` → 201 ``{id, url, events,
  companyIds, secretKey}``: deliveries of the companies given (default: every company) go to ``url``.
  ``retrySchedule``: seconds before each redelivery of an event not answered 2xx (default the Standard
  Webhooks reference schedule, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h [I: Pleo publishes none]); each
  redelivery has the same ``webhook-id`` and a fresh timestamp and signature.
* ``GET /_sandbox/pleo/webhooks`` → ``{"subscriptions": [...], "deliveries": [{subscription, webhookId,
  eventId, companyId, jobId, attempts, status, delivered}]}`` (secrets left out).

Subscriptions belong to the emulator's data: `POST /_sandbox/reset` removes them.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import secrets
import uuid
import weakref
from typing import Any

from fastapi import APIRouter, Request
from standardwebhooks.webhooks import Webhook
from starlette.responses import Response

from ..framework.admin import admin_json
from ..framework.delivery import post
from ..framework.errors import admin_object
from ..framework.jsonutil import json_response
from ..framework.provider import AdminError

JOB_CREATED = "v1.export-job.created"
DEFAULT_SCHEDULE = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)


class PleoWebhooks:
    """The subscriptions of one emulator's data and the deliveries made to them."""

    def __init__(self) -> None:
        self.subscriptions: list[dict[str, Any]] = []
        self.deliveries: list[dict[str, Any]] = []
        self.tasks: set[asyncio.Task] = set()

    def subscribe(self, url: str, company_ids: list[str] | None, schedule: list[float]) -> dict[str, Any]:
        subscription = {
            "id": str(uuid.uuid4()),
            "url": url,
            "events": [JOB_CREATED],
            "companyIds": company_ids,
            "retrySchedule": schedule,
            "secretKey": "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode(),
        }
        self.subscriptions.append(subscription)
        return subscription

    def job_created(self, job: dict[str, Any]) -> None:
        """An export job was opened: one event, delivered to every subscription of its company."""
        body = json.dumps({"data": job, "eventId": str(uuid.uuid4()), "eventType": JOB_CREATED})
        for subscription in self.subscriptions:
            if subscription["companyIds"] is None or job["companyId"] in subscription["companyIds"]:
                self._deliver(subscription, job, body)

    def _deliver(self, subscription: dict[str, Any], job: dict[str, Any], body: str) -> None:
        record = {
            "subscription": subscription["id"],
            "webhookId": "msg_" + uuid.uuid4().hex,
            "eventId": json.loads(body)["eventId"],
            "companyId": job["companyId"],
            "jobId": job["id"],
            "attempts": 0,
            "status": None,
            "delivered": False,
        }
        self.deliveries.append(record)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # pragma: no cover - called outside the server loop
            return
        task = loop.create_task(self._attempts(subscription, record, body))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _attempts(self, subscription: dict[str, Any], record: dict[str, Any], body: str) -> None:
        signer = Webhook(subscription["secretKey"])
        for delay in (0.0, *subscription["retrySchedule"]):
            if delay:
                await asyncio.sleep(delay)  # the schedule's wait before a redelivery
            now = dt.datetime.now(dt.UTC)  # real time, whatever the emulator's clock: receivers check it
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "Pleo-Webhooks",
                "webhook-id": record["webhookId"],
                "webhook-timestamp": str(int(now.timestamp())),
                "webhook-signature": signer.sign(record["webhookId"], now, body),
            }
            status = await asyncio.to_thread(post, subscription["url"], body.encode(), headers, 15.0)
            record["attempts"] += 1
            record["status"] = status
            if 200 <= status < 300:
                record["delivered"] = True
                return


_OF_STATE: weakref.WeakKeyDictionary[Any, PleoWebhooks] = weakref.WeakKeyDictionary()


def webhooks_of(provider: Any) -> PleoWebhooks:
    """The webhooks of the provider's current data (a reset starts with none)."""
    hooks = _OF_STATE.get(provider.state)
    if hooks is None:
        hooks = _OF_STATE[provider.state] = PleoWebhooks()
    return hooks


def job_created(provider: Any, job: dict[str, Any]) -> None:
    webhooks_of(provider).job_created(job)


router = APIRouter(prefix="/_sandbox/pleo")


@router.post("/webhooks")
async def subscribe(request: Request) -> Response:
    body = await admin_json(request)
    admin_object(body, ("url", "companyIds", "retrySchedule"), 'expected {"url": ..., "companyIds"?, "retrySchedule"?}')
    url = body.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise AdminError("'url' must be an http(s) URL")
    companies = body.get("companyIds")
    if companies is not None and (not isinstance(companies, list) or not all(isinstance(c, str) for c in companies)):
        raise AdminError("'companyIds' must be a list of company ids")
    schedule = body.get("retrySchedule", list(DEFAULT_SCHEDULE))
    if not isinstance(schedule, list) or not all(
        isinstance(s, int | float) and not isinstance(s, bool) and 0 <= s <= 86400 for s in schedule
    ):
        raise AdminError("'retrySchedule' must be a list of seconds (0 to 86400)")
    provider = request.app.state.provider
    subscription = webhooks_of(provider).subscribe(url, companies, [float(s) for s in schedule])
    return json_response(subscription, status=201)


@router.get("/webhooks")
async def deliveries(request: Request) -> Response:
    hooks = webhooks_of(request.app.state.provider)
    return json_response(
        {
            "subscriptions": [{k: v for k, v in s.items() if k != "secretKey"} for s in hooks.subscriptions],
            "deliveries": hooks.deliveries,
        }
    )
