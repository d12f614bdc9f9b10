"""Candis-specific admin endpoints (``/_sandbox/candis/...``). Those about one organization take its slug as
``organizationId`` (body key, or query parameter of a GET; default: the first organization).

* ``POST /_sandbox/candis/modify {"stream": "invoices", "count": 5}`` — modify records now (the same rule as
  the ``mutate`` fault: the first ``count`` still-unmodified records in ascending updatedAt order).
* ``GET /_sandbox/candis/exportable`` — how many entities of each type ``POST /exports`` would snapshot.
* ``POST /_sandbox/candis/exportable {"entityType": "CARD_TRANSACTION", "count": 5}`` — add exportable entities.
* ``POST /_sandbox/candis/exports/{id}/complete`` — an EXPORTING export becomes EXPORTED now.
* ``GET /_sandbox/candis/issued-tokens`` — every access and refresh token the token endpoint issued (a test
  aid for "no secret leaks" checks; the request log itself never holds tokens).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from ..framework.admin import admin_json
from ..framework.errors import admin_int
from ..framework.jsonutil import json_response
from ..framework.provider import AdminError
from .exports import export_view
from .postings import ENTITY_TYPES
from .provider import Candis

router = APIRouter(prefix="/_sandbox/candis")


@router.post("/modify")
async def modify(request: Request, provider: Candis) -> Response:
    return json_response(provider.mutate(await admin_json(request)))


@router.get("/exportable")
async def exportable(request: Request, provider: Candis) -> Response:
    book = provider.admin_organization(request.query_params.get("organizationId")).exports
    return json_response({t: book.exportable(t) for t in ENTITY_TYPES})


@router.post("/exportable")
async def add_exportable(request: Request, provider: Candis) -> Response:
    body = await admin_json(request)
    if not isinstance(body, dict) or body.get("entityType", "DOCUMENT") not in ENTITY_TYPES:
        raise AdminError(f"'entityType' must be one of {', '.join(ENTITY_TYPES)}")
    count = admin_int(body, "count", 1, 1)
    data = provider.admin_organization(body.get("organizationId"))
    entity_type = body.get("entityType", "DOCUMENT")
    return json_response({"entityType": entity_type, "exportable": data.add_exportable(entity_type, count)})


@router.get("/issued-tokens")
async def issued_tokens(provider: Candis) -> Response:
    return json_response(list(provider.state.tokens.issued))


@router.post("/exports/{export_id}/complete")
async def complete(export_id: str, provider: Candis) -> Response:
    found = provider.state.find_export(export_id)  # export ids are unique across the organizations
    if found is None:
        return json_response({"error": f"export {export_id} not found"}, status=404)
    data, export = found
    data.complete_export(export)
    return json_response(export_view(export, provider.now_ms()))
