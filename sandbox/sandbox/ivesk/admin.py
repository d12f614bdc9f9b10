"""Įvesk-specific admin endpoints (``/_sandbox/ivesk/...``): the accountant's side of the product.

* ``POST /_sandbox/ivesk/digitize {"keys"?: [upload keys]}`` — digitization of uploaded files finishes now
  (all waiting ones by default); they enter the ``digitized`` queue.
* ``POST /_sandbox/ivesk/export {"count"?: n, "ids"?: [document ids], "companycode"?: code}`` — the accountant
  clicks *Export*: the given documents (default: every digitized, not yet exported one, oldest first, at most
  ``count``) enter the ``exported`` queue with one shared ``exportedat`` = now. Exporting an exported
  document again moves it to the end of the queue.
* ``POST /_sandbox/ivesk/columns {"companyCode", "column", "count"?: n, "add"?: m}`` — change the first
  ``n`` codes' descriptions and add ``m`` new codes (``modifiedat`` = now).
* ``GET /_sandbox/ivesk/uploads`` / ``syncerrors`` / ``subscriptions`` — what the sandbox received.
* ``GET /_sandbox/ivesk/ground-truth?queue=digitized`` — the ground truth with ``documents`` and ``files``
  for that queue (the generic ``/_sandbox/ground-truth`` describes the ``exported`` queue); with
  ``&tenant=<company code>`` that client company's.

The ``mutate`` fault takes ``{"action": "export" | "reexport", "count": n}``: export waiting documents, or
re-export the ``n`` oldest exported ones (they move to the end of the queue), just before the request.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from ..framework.admin import admin_json
from ..framework.errors import admin_int, admin_object
from ..framework.jsonutil import json_response
from ..framework.provider import AdminError
from ..framework.timeutil import iso_ms
from .config import COLUMN_NAMES
from .provider import Ivesk
from .state import QUEUES

router = APIRouter(prefix="/_sandbox/ivesk")


@router.post("/digitize")
async def digitize(request: Request, provider: Ivesk) -> Response:
    body = await admin_json(request, empty={})
    keys = body.get("keys") if isinstance(body, dict) else None
    if keys is not None and (not isinstance(keys, list) or not all(isinstance(k, str) for k in keys)):
        raise AdminError("'keys' must be a list of upload keys")
    done = provider.state.finish_digitization(keys)
    provider.announce_digitized(done)
    return json_response({"digitized": [u.key for u in done]})


@router.post("/export")
async def export(request: Request, provider: Ivesk) -> Response:
    body = await admin_json(request, empty={})
    admin_object(body, ("count", "ids", "companycode"), "the body must be a JSON object")
    count = admin_int(body, "count", None, 1, null_ok=True)
    return json_response(provider.export(ids=body.get("ids"), count=count, companycode=body.get("companycode")))


@router.post("/reexport")
async def reexport(request: Request, provider: Ivesk) -> Response:
    body = await admin_json(request, empty={})
    return json_response(provider.mutate({"action": "reexport", "count": admin_int(body, "count", 1, 1, null_ok=True)}))


@router.post("/columns")
async def columns(request: Request, provider: Ivesk) -> Response:
    body = await admin_json(request)
    codes = provider.state.company_codes
    if not isinstance(body, dict) or body.get("companyCode") not in codes or body.get("column") not in COLUMN_NAMES:
        raise AdminError(
            f"'companyCode' must be one of {', '.join(codes)} and 'column' one of {', '.join(COLUMN_NAMES)}"
        )
    count = admin_int(body, "count", 1, null_ok=True) or 0
    add = admin_int(body, "add", 0, null_ok=True) or 0
    # the stamp the codes got, not a second reading of the clock (a millisecond later, it missed them all)
    changed, stamp = provider.state.modify_codes(body["companyCode"], body["column"], count, add)
    return json_response({"changed": changed, "modifiedat": iso_ms(stamp)})


@router.get("/uploads")
async def uploads(provider: Ivesk) -> Response:
    return json_response(provider.state.ground_truth()["uploads"])


@router.get("/syncerrors")
async def syncerrors(provider: Ivesk) -> Response:
    return json_response(provider.state.syncerrors)


@router.get("/subscriptions")
async def subscriptions(provider: Ivesk) -> Response:
    return json_response(provider.state.ground_truth()["subscriptions"])


@router.get("/ground-truth")
async def ground_truth(request: Request, provider: Ivesk) -> Response:
    queue = request.query_params.get("queue", "exported")
    if queue not in QUEUES:
        raise AdminError(f"'queue' must be one of {', '.join(QUEUES)}")
    tenant = request.query_params.get("tenant")
    provider.announce_digitized()
    if tenant is not None:
        return json_response(provider.state.tenant_ground_truth(provider.checked_tenant(tenant), queue))
    return json_response(provider.state.ground_truth(queue))
