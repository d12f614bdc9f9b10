"""Findity-specific admin endpoints (``/_sandbox/findity/...``), each about one organization: ``organizationId``
(body key of the bulk send, query parameter of the GETs; default: the first organization).

* ``POST /_sandbox/findity/bulk-send {"count": 10, "verificationListsType": "USER_PER_ACCOUNT"}`` — what an
  admin's bulk send does: the next ``count`` READY_TO_SEND reports (sent-back ones first) become an export in
  the given format (default: the recipient's ``verification_lists_type``); their status becomes TRANSFER.
  When ``webhook_url`` is configured, the documented webhook payload is POSTed there; a non-200 answer (or
  no answer) withdraws the export and sends its reports back to READY_TO_SEND.
* ``GET /_sandbox/findity/exports`` — every export: status, format, reports, voucher updates, content, and
  format-independent totals (gross and VAT per currency).
* ``GET /_sandbox/findity/reports`` — report counts per status (READY_TO_SEND, TRANSFER, SENT).
* ``GET /_sandbox/findity/webhooks`` — webhook deliveries (url, payload, status, error).
* ``GET /_sandbox/findity/issued-tokens`` — every token the token endpoint issued (for leak checks).
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from ..framework.admin import admin_json
from ..framework.errors import admin_int
from ..framework.jsonutil import json_response
from ..framework.provider import AdminError
from .config import FORMATS
from .provider import Findity

router = APIRouter(prefix="/_sandbox/findity")


def post_webhook(url: str, payload: dict[str, Any], timeout: float = 10.0) -> tuple[int | None, str | None]:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "Findity-Webhook"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, None
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except (urllib.error.URLError, OSError) as exc:
        return None, f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"


@router.post("/bulk-send")
async def bulk_send(request: Request, provider: Findity) -> Response:
    body = await admin_json(request, empty={})
    if not isinstance(body, dict) or set(body) - {"count", "verificationListsType", "organizationId"}:
        raise AdminError('expected {"count": n, "verificationListsType": "..."} (both optional)')
    state = provider.admin_organization(body.get("organizationId"))
    count = admin_int(body, "count", state.export_size, 1)
    fmt = body.get("verificationListsType") or provider.config.verification_lists_type
    if fmt not in FORMATS:
        raise AdminError(f"'verificationListsType' must be one of {', '.join(FORMATS)}")
    export = state.book.bulk_send(count, fmt, provider.now_ms())
    if export is None:
        raise AdminError("no expense report is READY_TO_SEND")
    state.version += 1
    delivery = None
    url = provider.config.webhook_url
    if url:
        payload = state.webhook_payload(export)
        status, error = await asyncio.to_thread(post_webhook, url, payload)
        delivery = {"url": url, "payload": payload, "status": status, "error": error}
        state.webhooks.append(delivery)
        if status != 200:
            state.book.withdraw(export)
            state.version += 1
    return json_response(
        {"export": state.export_detail(export), "totals": state.export_totals(export), "webhook": delivery}, status=201
    )


@router.get("/exports")
async def exports(request: Request, provider: Findity) -> Response:
    state = provider.admin_organization(request.query_params.get("organizationId"))
    return json_response(
        [
            {
                **state.export_detail(e),
                "verificationListsType": e.fmt,
                "voucherUpdates": len(e.updates),
                "content": None if e.content is None else {"fileName": e.content[2], "size": len(e.content[0])},
                "totals": state.export_totals(e),
            }
            for e in state.book.exports
        ]
    )


@router.get("/reports")
async def reports(request: Request, provider: Findity) -> Response:
    return json_response(provider.admin_organization(request.query_params.get("organizationId")).book.report_counts())


@router.get("/webhooks")
async def webhooks(request: Request, provider: Findity) -> Response:
    return json_response(provider.admin_organization(request.query_params.get("organizationId")).webhooks)


@router.get("/issued-tokens")
async def issued_tokens(provider: Findity) -> Response:
    return json_response(list(provider.state.tokens.issued))
