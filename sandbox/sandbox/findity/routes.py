"""The Connect API routes (``/api/v1/connect/organizations/{organizationId}/...``)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response, StreamingResponse

from ..framework.http import base_url
from ..framework.jsonutil import dumps, json_response, read_json
from ..framework.oauth import bearer_token
from ..framework.provider import ApiError
from .config import CONNECT
from .exports import UNPROCESSED, Export
from .oauth import require_organizations
from .provider import Findity, FindityProvider
from .state import OrganizationData

VOUCHER_STATUSES = ("SUCCESS", "FAILED")
_FILENAME = re.compile(r'filename="?([^";]+)"?')


router = APIRouter()


def authorize(provider: FindityProvider, request: Request, organization_id: str) -> OrganizationData:
    """The path's organization once the request's token may read it: 401 without a valid token, 404
    ``ORGANIZATION_NOT_FOUND`` for an organization that does not exist or the token may not read
    (:meth:`FindityProvider.token_organizations`)."""
    require_organizations(provider.state.tokens, request)
    org = provider.state.organization(organization_id)
    if org is None or organization_id not in provider.token_organizations(bearer_token(request.headers)):
        raise ApiError(404, f"Organization {organization_id} not found", code="ORGANIZATION_NOT_FOUND")
    if not provider.config.recipient_configured:
        raise ApiError(404, "No API report recipient is configured for the organization", code="RECIPIENT_NOT_FOUND")
    return org


def find_export(state: OrganizationData, export_id: str) -> Export:
    export = state.book.by_id.get(export_id)
    if export is None:
        raise ApiError(404, f"Export {export_id} not found", code="EXPORT_NOT_FOUND")
    return export


@router.get(f"{CONNECT}/exports")
async def list_exports(organizationId: str, request: Request, provider: Findity) -> Response:
    state = authorize(provider, request, organizationId)
    items = [state.export_summary(e) for e in state.book.unprocessed()]
    if provider.config.list_envelope == "envelope":
        return json_response({"data": items, "meta": {"total": len(items)}})
    return json_response(items)


@router.get(f"{CONNECT}/exports/{{exportId}}")
async def get_export(organizationId: str, exportId: str, request: Request, provider: Findity) -> Response:
    state = authorize(provider, request, organizationId)
    return json_response(state.export_detail(find_export(state, exportId)))


@router.get(f"{CONNECT}/exports/{{exportId}}/export")
async def export_package(organizationId: str, exportId: str, request: Request, provider: Findity) -> Response:
    state = authorize(provider, request, organizationId)
    export = find_export(state, exportId)
    base = base_url(request)
    head = {
        "exportId": export.id,
        "organizationId": state.id,
        "createdAt": state.export_summary(export)["createdAt"],
        "organizationRecipient": state.recipient(export),
    }

    async def body() -> AsyncIterator[bytes]:
        yield dumps(head)[:-1] + b',"vouchers":['
        chunk: list[bytes] = []
        first = True
        for voucher in state.vouchers(export, base):
            chunk.append(dumps(voucher))
            if len(chunk) >= 50:
                yield (b"" if first else b",") + b",".join(chunk)
                first, chunk = False, []
        if chunk:
            yield (b"" if first else b",") + b",".join(chunk)
        yield b"]}"

    return StreamingResponse(body(), media_type="application/json")


@router.put(f"{CONNECT}/exports/{{exportId}}/updatestatus")
async def update_status(organizationId: str, exportId: str, request: Request, provider: Findity) -> Response:
    state = authorize(provider, request, organizationId)
    export = find_export(state, exportId)
    updates = voucher_updates(await read_json(request, invalid_json, empty=None, strip=False))
    if export.status != UNPROCESSED:
        raise ApiError(
            400, f"Export {exportId} is already processed (status {export.status})", code="INVALID_SEND_STATE"
        )
    positions: list[tuple[int, dict[str, Any]]] = []
    numbers: set[int] = set()
    for update in updates:
        found = state.book.voucher(update["id"])
        if found is None or found[0] is not export:
            raise ApiError(400, f"Voucher {update['id']} is not part of export {exportId}", code="VOUCHER_NOT_FOUND")
        number = update.get("voucherNumber")
        if number is not None:
            if number in state.book.voucher_numbers or number in numbers:
                raise ApiError(400, f"Voucher number {number} was already used", code="DUPLICATE_VOUCHER_NUMBER")
            numbers.add(number)
        positions.append((found[1], update))
    for position, update in positions:
        export.updates[position] = update
    state.book.voucher_numbers |= numbers
    if len(export.updates) == len(export.specs(state.data)):
        state.book.finish(export, provider.now_ms())
    return json_response(state.export_detail(export))


@router.put(f"{CONNECT}/exports/{{exportId}}/content")
async def put_content(organizationId: str, exportId: str, request: Request, provider: Findity) -> Response:
    state = authorize(provider, request, organizationId)
    export = find_export(state, exportId)
    content = await request.body()
    if not content:
        raise ApiError(400, "Request body (the file content) is required", code="REQUIRED_FIELD")
    disposition = _FILENAME.search(request.headers.get("content-disposition", ""))
    name = request.query_params.get("fileName") or (disposition.group(1) if disposition else f"export-{exportId}")
    ctype = request.headers.get("content-type") or "application/octet-stream"
    export.content = (content, ctype, name)
    return json_response({"exportId": export.id, "fileName": name, "contentType": ctype, "size": len(content)})


@router.get(f"{CONNECT}/exports/{{exportId}}/content")
async def get_content(organizationId: str, exportId: str, request: Request, provider: Findity) -> Response:
    state = authorize(provider, request, organizationId)
    export = find_export(state, exportId)
    if export.content is None:
        raise ApiError(404, f"Export {exportId} has no content", code="CONTENT_NOT_FOUND")
    content, ctype, name = export.content
    return Response(content, media_type=ctype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get(f"{CONNECT}/vouchers/{{voucherId}}/basis")
async def basis(organizationId: str, voucherId: str, request: Request, provider: Findity) -> Response:
    state = authorize(provider, request, organizationId)
    found = state.book.voucher(voucherId)
    if found is None:
        raise ApiError(404, f"Voucher {voucherId} not found", code="VOUCHER_NOT_FOUND")
    export, position = found
    if request.query_params.get("format") == "pdf":
        return Response(
            state.basis_pdf(export, position),
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="basis-{voucherId}.pdf"'},
        )
    lines = "".join(f"<p>{line}</p>" for line in state.basis_lines(export, position))
    return Response(f"<html><body>{lines}</body></html>", media_type="text/html; charset=utf-8")


def invalid_json(detail: str | None) -> ApiError:
    return ApiError(400, "Request body is not valid JSON", code="INVALID_JSON")


def voucher_updates(body: Any) -> list[dict[str, Any]]:
    """``{"voucherUpdates": [{id, status: SUCCESS|FAILED, bookingDate?, voucherNumber?, informationText?,
    errorText?}]}`` (Findity's "Process export" reference) or 400 with a SCREAMING_SNAKE code."""
    updates = body.get("voucherUpdates") if isinstance(body, dict) else None
    if not isinstance(updates, list) or not updates:
        raise ApiError(400, "voucherUpdates is required (a non-empty list)", code="REQUIRED_FIELD")
    for update in updates:
        if not isinstance(update, dict) or not isinstance(update.get("id"), str):
            raise ApiError(400, "voucherUpdates[].id is required", code="REQUIRED_FIELD")
        if update.get("status") not in VOUCHER_STATUSES:
            raise ApiError(400, "voucherUpdates[].status must be SUCCESS or FAILED", code="INVALID_FIELD")
        number = update.get("voucherNumber")
        if number is not None and (isinstance(number, bool) or not isinstance(number, int)):
            raise ApiError(400, "voucherUpdates[].voucherNumber must be an integer", code="INVALID_FIELD")
        for key in ("informationText", "errorText", "bookingDate"):
            if update.get(key) is not None and not isinstance(update[key], str):
                raise ApiError(400, f"voucherUpdates[].{key} must be a string", code="INVALID_FIELD")
    return updates
