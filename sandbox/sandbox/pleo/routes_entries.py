"""Accounting entries (``POST /v1/accounting-entries:search``), one entry, its receipts, and the
pre-signed receipt downloads (``/_files/...``, standing in for Pleo's storage host)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator

from fastapi import APIRouter, Request
from starlette.responses import Response

from ..framework.http import base_url
from ..framework.jsonutil import json_response, read_json
from ..framework.provider import ApiError
from ..framework.timeutil import iso_ms, parse_iso8601
from .config import FILE_PREFIX
from .cursor import keyset_page, read_page_request
from .entries import FAMILIES, RECEIPT_SOURCES
from .provider import Pleo, PleoProvider, invalid_json
from .state import CompanyData

SORT_KEYS = ("settledAt", "performedAt", "id", "bookkeepingDate")
# Date windows of the filter body (AccountingEntryBaseSearchRequest; only one per request). [I] settledAt and
# bookkeepingDate follow performedAt closely here, so they select by the performedAt order too.
WINDOWS = {
    "performedAt": ("performedAtStart", "performedAtEnd"),
    "settledAt": ("settledAtStart", "settledAtEnd"),
    "bookkeepingDate": ("bookkeepingDateStart", "bookkeepingDateEnd"),
}
#: filters of the published search body the emulator applies (the contract middleware checks their types and
#: enums, and that `includeDeleted` is there); [I] the sandbox holds no deleted entries
EMULATED = {"exportStatus", "families", "includeDeleted"} | {k for pair in WINDOWS.values() for k in pair}


def _xml_error(status: int, code: str, message: str) -> Response:
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>'
    return Response(body, status_code=status, media_type="application/xml")


router = APIRouter()


def company_of(provider: PleoProvider, request: Request) -> CompanyData:
    access = provider.authorize(request)
    company_id = request.query_params.get("company_id")
    if not company_id:
        if request.query_params.get("organization_id"):
            raise ApiError(
                400, "The sandbox answers accounting entries per company: pass company_id", code="COMPANY_ID_REQUIRED"
            )
        raise ApiError(400, "'company_id' or 'organization_id' is required", code="COMPANY_ID_REQUIRED")
    return access.company(company_id)


def entry_view(data: CompanyData, i: int) -> dict:
    return data.entries.accounting_entry(data.entries.core(i), data.export_status(i), data.updated_ms(i))


def find_entry(provider: PleoProvider, request: Request, entry_id: str) -> tuple[CompanyData, int]:
    """The entry among the companies the credentials may read, else 404."""
    for data in provider.authorize(request).companies:
        index = data.entry_index(entry_id, provider.state.seed)
        if index is not None:
            return data, index
    raise ApiError(404, f"Accounting entry {entry_id} not found", code="ACCOUNTING_ENTRY_NOT_FOUND")


def window(data: CompanyData, body: dict) -> tuple[int, int]:
    """The index range ``[lo, hi)`` of the body's one date window (all entries without one)."""
    windows = [name for name, (a, b) in WINDOWS.items() if body.get(a) or body.get(b)]
    if len(windows) > 1:
        raise ApiError(400, "Only one date window can be given per request", code="INVALID_REQUEST")
    n = data.entries.n
    lo, hi = 0, n
    if windows:
        start_key, end_key = WINDOWS[windows[0]]
        try:
            start = parse_iso8601(body[start_key]) if body.get(start_key) else None
            end = parse_iso8601(body[end_key], end_of_day=True) if body.get(end_key) else None
        except (ValueError, TypeError):
            raise ApiError(400, f"{start_key}/{end_key} must be ISO 8601 dates", code="INVALID_REQUEST") from None
        performed = data.entries.performed_ms
        if start is not None:
            lo = bisect_left(range(n), start, key=performed)
        if end is not None:
            hi = bisect_right(range(n), end, key=performed)
    return lo, hi


async def filter_body(request: Request, emulated: set[str]) -> dict:
    """A `:search` filter body (a JSON object). [I] A published filter outside `emulated` is refused rather
    than ignored, so a client relying on one is told the emulator cannot answer it truthfully."""
    body = await read_json(request, invalid_json, empty=None) or {}
    if not isinstance(body, dict):
        raise ApiError(400, "The filter body must be a JSON object", code="INVALID_REQUEST")
    unknown = {k for k, v in body.items() if v is not None} - emulated
    if unknown:
        raise ApiError(
            400, f"The sandbox does not emulate the filter(s) {', '.join(sorted(unknown))}", code="NOT_EMULATED"
        )
    return body


@router.post("/v1/accounting-entries:search")
async def search(request: Request, provider: Pleo) -> Response:
    data = company_of(provider, request)
    req = read_page_request(request.query_params, SORT_KEYS)
    body = await filter_body(request, EMULATED)
    lo, hi = window(data, body)
    statuses = body.get("exportStatus")  # ExportStatus and AccountingEntryFamily values: checked by the contract
    families = body.get("families")
    status_set = set(statuses) if statuses else None
    family_set = set(families) if families else None

    def keep(i: int) -> bool:
        if family_set is not None and FAMILIES[data.entries.core(i).type] not in family_set:
            return False
        return status_set is None or data.export_status(i) in status_set

    def after(position: int | None, descending: bool) -> Iterator[tuple[int, dict]]:
        if descending:
            order = range(min(hi, position if position is not None else hi) - 1, lo - 1, -1)
        else:
            order = range(max(lo, position + 1 if position is not None else lo), hi)
        for i in order:
            if keep(i):
                yield i, entry_view(data, i)

    filtered = status_set is not None or family_set is not None
    # [I] ``total`` is optional in Pleo's pagination; it is left out for large filtered sets.
    total = (
        hi - lo if not filtered else (sum(1 for i in range(lo, hi) if keep(i)) if data.entries.n <= 20_000 else None)
    )
    items, pagination = keyset_page("ENTRIES", req, total or 0, after)
    if total is None:
        del pagination["total"]
    return json_response({"data": items, "pagination": pagination})


@router.get("/v1/accounting-entries/{entry_id}")
async def get_entry(entry_id: str, request: Request, provider: Pleo) -> Response:
    data, index = find_entry(provider, request, entry_id)
    return json_response({"data": entry_view(data, index)})


def receipt_models(provider: PleoProvider, base: str, data: CompanyData, index: int) -> list[dict]:
    """The entry's receipts (ReceiptModel; [I] fileType ORIGINAL (ReceiptFileType), source a ReceiptSource)."""
    core = data.entries.core(index)
    entry_id = data.entries.entry_id(index)
    return [
        {
            "id": data.entries.receipt_id(index, p),
            "accountingEntryId": entry_id,
            "createdAt": iso_ms(data.entries.created_ms(index) + p * 1000),
            "fileType": "ORIGINAL",
            "mimeType": "application/pdf",
            "sizeInBytes": data.entries.receipt_size(core, p),
            "source": RECEIPT_SOURCES[min(p, 1)],
            "url": provider.file_url(base, data, core, p),
        }
        for p in range(core.nfiles)
    ]


def _receipts_page(request: Request, receipts: list[dict]) -> Response:
    """One cursor page over `receipts` in their order (positions are their indexes)."""
    req = read_page_request(request.query_params, ("createdAt",))

    numbered = list(enumerate(receipts))

    def after(position: int | None, descending: bool) -> Iterator[tuple[int, dict]]:
        for p, receipt in reversed(numbered) if descending else numbered:
            if position is None or (p < position if descending else p > position):
                yield p, receipt

    items, pagination = keyset_page("RECEIPTS", req, len(receipts), after)
    return json_response({"data": items, "pagination": pagination})


@router.get("/v1/accounting-entries/{entry_id}/receipts")
async def receipts(entry_id: str, request: Request, provider: Pleo) -> Response:
    data, index = find_entry(provider, request, entry_id)
    return _receipts_page(request, receipt_models(provider, base_url(request), data, index))


#: filters of ReceiptSearchRequest the emulator applies; [I] employeeIds, mimeType and source are refused
RECEIPT_FILTERS = {"accountingEntryIds", "fileType", "includeDeleted"}
#: [I] receipts:search without accountingEntryIds lists every receipt of the company: capped here
MAX_RECEIPT_ENTRIES = 1000


@router.post("/v1/accounting-entries/receipts:search")
async def search_receipts(request: Request, provider: Pleo) -> Response:
    """The receipts of the listed entries of one company, entry by entry (ReceiptSearchRequest)."""
    data = company_of(provider, request)
    body = await filter_body(request, RECEIPT_FILTERS)
    wanted = body.get("accountingEntryIds")
    if wanted:
        # [I] an id of another company or of no entry matches nothing (a filter, not a lookup)
        found = (data.entry_index(str(entry_id), provider.state.seed) for entry_id in dict.fromkeys(wanted))
        indexes = [i for i in found if i is not None]
    else:
        indexes = list(range(min(data.entries.n, MAX_RECEIPT_ENTRIES)))
    base = base_url(request)
    listed = [] if body.get("fileType") not in (None, "ORIGINAL") else indexes  # [I] only originals are held
    return _receipts_page(request, [r for i in listed for r in receipt_models(provider, base, data, i)])


@router.get(FILE_PREFIX + "{receipt_id}")
async def download(receipt_id: str, request: Request, provider: Pleo) -> Response:
    # A pre-signed storage URL: no API credentials. Like S3, a request that also carries an
    # Authorization header is refused (a client must not send its Pleo credentials to the file host).
    if request.headers.get("authorization"):
        return _xml_error(
            400,
            "InvalidArgument",
            "Only one auth mechanism allowed; only the X-Amz-Algorithm "
            "query parameter, Signature query string parameter or the "
            "Authorization header should be specified",
        )
    found = provider.state.find_receipt(receipt_id)
    expires = request.query_params.get("X-Amz-Expires-At", "")
    signature = request.query_params.get("X-Amz-Signature", "")
    if found is None or not expires.isdigit() or signature != provider.state.file_signature(receipt_id, int(expires)):
        return _xml_error(403, "AccessDenied", "Request has invalid signature or the object does not exist")
    if provider.now_ms() // 1000 >= int(expires):
        return _xml_error(403, "AccessDenied", "Request has expired")
    data, core, position = found
    return Response(
        data.entries.receipt_pdf(core, position),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="receipt-{receipt_id}.pdf"'},
    )
