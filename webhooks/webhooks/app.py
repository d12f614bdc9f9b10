"""The receiver: one endpoint per provider, each verifying the provider's own scheme, then storing the event.

    POST /ivesk              Įvesk through AWS SNS: signature (SignatureVersion 1 or 2) by the certificate at an
                             https SNS host, TopicArn configured; SubscriptionConfirmation confirmed (GET of its
                             SubscribeURL) only once verified; UnsubscribeConfirmation logged.
    POST /pleo               Standard Webhooks (webhook-id, webhook-timestamp within 5 minutes, webhook-signature)
                             with the secret of the tenant the job's companyId belongs to.
    POST /findity/{secret}   Findity signs nothing: the tenant's secret path segment (constant-time comparison)
                             and the body's organizationId.
    GET  /health             200 {"status": "ok"} when the store answers, else 503.

An accepted event is committed to the store BEFORE the answer: 200 `{"status": "accepted"}`, or
`{"status": "duplicate"}` for an event id already stored (a redelivery triggers nothing new). A store that
cannot be written answers 503, so the provider delivers again later. A refused request gets a 4xx with a
one-line reason and one log line — never the body, a header value or a secret. Every answer but 200 makes
Findity move the export's reports back to READY_TO_SEND (its admin sends them again).
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import typing as t

from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from webhooks import sns
from webhooks.settings import Settings
from webhooks.sns import RejectError, UnavailableError
from webhooks.store import STORE_ERRORS, Event, EventStore
from webhooks.tenancy import Tenants

LOGGER = logging.getLogger("webhooks")

#: Pleo's event for a new export job: `v1.export-job.created` in its payloads; some of Pleo's pages spell the
#: name `v1.export.job-created`, so both are taken.
PLEO_JOB_CREATED = ("v1.export-job.created", "v1.export.job-created")


class Outcome(t.NamedTuple):
    status: int
    body: dict[str, t.Any]


def _json_object(body: bytes, what: str) -> dict[str, t.Any]:
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise RejectError(400, f"{what} body is not JSON") from None
    if not isinstance(value, dict):
        raise RejectError(400, f"{what} body is not a JSON object")
    return value


def _text(value: t.Any, what: str, limit: int = 200) -> str:
    if not isinstance(value, str) or not value or len(value) > limit:
        raise RejectError(400, f"{what} missing or not a string")
    return value


class Receiver:
    """The ASGI app (`Receiver(settings).app`) and what it holds: the store, the tenants, the certificates."""

    def __init__(
        self,
        settings: Settings,
        *,
        store: EventStore | None = None,
        certificates: sns.CertificateCache | None = None,
    ) -> None:
        self.settings = settings
        self.store = store or EventStore.open(settings.store)
        self.tenants = Tenants(settings.tenants_file, settings.meltano_yml)
        self.certificates = certificates or sns.CertificateCache(
            ca_file=settings.sns_ca_file, timeout=settings.sns_timeout
        )
        self.hosts = settings.sns_host_pattern
        self.app = Starlette(
            routes=[
                Route("/ivesk", self.ivesk, methods=["POST"]),
                Route("/pleo", self.pleo, methods=["POST"]),
                Route("/findity/{secret}", self.findity, methods=["POST"]),
                Route("/health", self.health, methods=["GET"]),
            ]
        )

    # -- plumbing --------------------------------------------------------------------------------------
    async def _body(self, request: Request) -> bytes:
        limit = self.settings.max_body
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise RejectError(413, f"body of {declared} bytes is over the {limit}-byte limit")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise RejectError(413, f"body is over the {limit}-byte limit")
            chunks.append(chunk)
        return b"".join(chunks)

    async def _answer(self, provider: str, handle: t.Callable[[], t.Awaitable[Outcome]]) -> JSONResponse:
        try:
            outcome = await handle()
        except RejectError as exc:
            LOGGER.warning("rejected %s %d: %s", provider, exc.status, exc.reason)
            return JSONResponse({"error": exc.reason}, status_code=exc.status)
        except UnavailableError as exc:
            LOGGER.error("unavailable %s 503: %s", provider, exc)
            return JSONResponse({"error": str(exc)}, status_code=503)
        return JSONResponse(outcome.body, status_code=outcome.status)

    def _store(self, event: Event) -> Outcome:
        """Commit the event (before the answer); 503 when the store cannot take it."""
        try:
            new = self.store.add(event)
        except STORE_ERRORS as exc:
            raise UnavailableError(
                f"event store unavailable ({type(exc).__name__}): {event.provider} {event.event_id} not stored"
            ) from None
        if not new:
            LOGGER.info(
                "duplicate %s event %s (tenant %s): already stored", event.provider, event.event_id, event.tenant
            )
            return Outcome(200, {"status": "duplicate", "eventId": event.event_id})
        LOGGER.info("accepted %s event %s for tenant %s (%s)", event.provider, event.event_id, event.tenant, event.kind)
        if self.settings.crash_after_store:  # tests: a crash between storing and answering
            os._exit(70)
        return Outcome(200, {"status": "accepted", "eventId": event.event_id, "tenant": event.tenant})

    async def health(self, request: Request) -> JSONResponse:
        try:
            await run_in_threadpool(self.store.counts)
        except STORE_ERRORS:
            return JSONResponse({"status": "store unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    # -- Įvesk (AWS SNS) -------------------------------------------------------------------------------
    async def ivesk(self, request: Request) -> JSONResponse:
        async def handle() -> Outcome:
            body = await self._body(request)
            return await run_in_threadpool(self._ivesk, body)

        return await self._answer("ivesk", handle)

    def _ivesk(self, body: bytes) -> Outcome:
        message = _json_object(body, "SNS")
        directory = self.tenants.current()
        topic = _text(message.get("TopicArn"), "TopicArn", 256)
        if topic not in directory.ivesk_topics():
            raise RejectError(403, f"TopicArn {topic} is not a configured topic")
        sns.verify(message, self.certificates, self.hosts)
        kind = message["Type"]
        if kind == "SubscriptionConfirmation":
            url = sns.check_sns_url(message.get("SubscribeURL"), self.hosts, "SubscribeURL")
            sns.confirm(url, self.certificates)
            LOGGER.info("confirmed the SNS subscription to %s", topic)
            return Outcome(200, {"status": "confirmed", "topicArn": topic})
        if kind == "UnsubscribeConfirmation":
            LOGGER.warning("SNS says the subscription to %s was removed (UnsubscribeConfirmation)", topic)
            return Outcome(200, {"status": "logged", "topicArn": topic})
        payload = _json_object(message["Message"].encode(), "SNS Message")
        if "id" in payload and "companycode" in payload:  # on_digitized: the document
            kind, code = "on_digitized", payload["companycode"]
            ref = {"documentId": _text(payload["id"], "document id"), "companyCode": code}
        elif "companyCode" in payload:  # on_exported
            kind, code = "on_exported", payload["companyCode"]
            ref = {"companyCode": code}
        else:
            raise RejectError(400, "SNS Message has neither companyCode nor a document")
        run = directory.ivesk_codes.get(_text(code, "company code", 64))
        if run is None:
            raise RejectError(404, f"unknown tenant: no Įvesk tenant has company code {code}")
        if topic not in run.tenant.webhook.topic_arns:  # type: ignore[union-attr]
            raise RejectError(403, f"TopicArn {topic} is not a topic of tenant {run.name}")
        event_id = _text(message.get("MessageId"), "MessageId")
        return self._store(Event("ivesk", event_id, run.name, kind, {**ref, "topicArn": topic}))

    # -- Pleo (Standard Webhooks) ----------------------------------------------------------------------
    async def pleo(self, request: Request) -> JSONResponse:
        async def handle() -> Outcome:
            body = await self._body(request)
            return await run_in_threadpool(self._pleo, body, dict(request.headers))

        return await self._answer("pleo", handle)

    def _pleo(self, body: bytes, headers: dict[str, str]) -> Outcome:
        missing = [h for h in ("webhook-id", "webhook-timestamp", "webhook-signature") if not headers.get(h)]
        if missing:
            raise RejectError(401, f"missing {', '.join(missing)}")
        payload = _json_object(body, "Pleo")
        data = payload.get("data")
        company = _text(data.get("companyId") if isinstance(data, dict) else None, "data.companyId", 64)
        candidates = self.tenants.current().pleo_candidates(company)
        if not candidates:
            raise RejectError(404, f"unknown tenant: no Pleo tenant has company {company}")
        tenant, reason, unset = None, "no matching signature", []
        for run in candidates:
            secret = self.settings.secret(run.tenant.webhook.secret)  # type: ignore[union-attr,arg-type]
            if secret is None:
                unset.append(run.tenant.webhook.secret)  # type: ignore[union-attr]
                continue
            try:
                Webhook(secret).verify(body, headers, json_parse=False)
            except (WebhookVerificationError, ValueError) as exc:  # ValueError: a garbled signature header
                reason = str(exc) if isinstance(exc, WebhookVerificationError) else "malformed webhook-signature"
                continue
            tenant = run
            break
        if tenant is None:
            if unset and len(unset) == len(candidates):
                raise UnavailableError(
                    f"secret variable(s) {', '.join(unset)} not set: cannot verify company {company}"
                )
            raise RejectError(401, f"Standard Webhooks verification failed: {reason}")
        event_type = str(payload.get("eventType"))
        if event_type not in PLEO_JOB_CREATED:
            LOGGER.info("ignored pleo event %s (%s): not an export job", headers["webhook-id"], event_type[:60])
            return Outcome(200, {"status": "ignored", "eventType": event_type})
        ref = {"jobId": data.get("id"), "companyId": company, "eventId": payload.get("eventId")}  # type: ignore[union-attr]
        return self._store(Event("pleo", _text(headers["webhook-id"], "webhook-id"), tenant.name, event_type, ref))

    # -- Findity (secret URL) --------------------------------------------------------------------------
    async def findity(self, request: Request) -> JSONResponse:
        async def handle() -> Outcome:
            body = await self._body(request)
            return await run_in_threadpool(self._findity, body, request.path_params["secret"])

        return await self._answer("findity", handle)

    def _findity(self, body: bytes, given: str) -> Outcome:
        matching, unset = [], []
        for run in self.tenants.current().findity:  # every tenant is compared, in constant time each
            secret = self.settings.secret(run.tenant.webhook.secret)  # type: ignore[union-attr,arg-type]
            if secret is None:
                unset.append(run.tenant.webhook.secret)  # type: ignore[union-attr]
            elif hmac.compare_digest(secret.encode(), given.encode()):
                matching.append(run)
        if not matching:
            if unset:
                LOGGER.error(
                    "findity: secret variable(s) %s not set: their tenants' deliveries are refused", ", ".join(unset)
                )
            raise RejectError(401, "the URL's secret is no Findity tenant's")
        payload = _json_object(body, "Findity")
        organization = _text(payload.get("organizationId"), "organizationId", 64)
        export_id = _text(payload.get("exportId"), "exportId", 64)
        run = next((r for r in matching if r.tenant.organization_id == organization), None)
        if run is None:
            raise RejectError(404, f"unknown tenant: organization {organization} is not the tenant of this URL")
        ref = {k: payload.get(k) for k in ("exportId", "organizationId", "numberOfVouchers", "numberOfReports")}
        return self._store(Event("findity", export_id, run.name, "export", ref))


def create_app(settings: Settings | None = None, **kwargs: t.Any) -> Starlette:
    """The receiver's ASGI app (`uvicorn 'webhooks.app:create_app' --factory` works too)."""
    return Receiver(settings or Settings.from_env(), **kwargs).app
