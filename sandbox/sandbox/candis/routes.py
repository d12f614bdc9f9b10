"""The Candis API routes (``/v1/organizations/...``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from ..framework.http import base_url
from ..framework.jsonutil import json_response, read_json, streamed_object
from ..framework.oauth import bearer_token
from ..framework.paging import Query
from ..framework.provider import ApiError
from .config import ORGANIZATIONS
from .exports import Export, export_view
from .oauth import require_organization
from .postings import ENTITY_TYPES
from .provider import Candis, CandisProvider
from .queryparams import QueryReader
from .records import INVOICE_STATUSES, REIMBURSEMENT_STATUSES, ListStream, ReimbursementItems
from .reference import PURCHASE_REQUEST_STATUSES, REIMBURSEMENT_TYPES
from .state import OrganizationData

ORG = "/v1/organizations/{organizationId}"


def pagination(total: int, page_size: int) -> dict[str, int]:
    return {"pageCount": -(-total // page_size), "pageSize": page_size, "totalCount": total}


def invalid_json(detail: str | None) -> ApiError:
    return ApiError(400, "Request body is not valid JSON", code="BAD_REQUEST")


router = APIRouter()


def authorize(provider: CandisProvider, request: Request, organization_id: str) -> OrganizationData:
    """The data of the path's organization once the request's token may read it: 401 without a valid token,
    404 for an organization that does not exist, 403 for one the token may not read
    (:meth:`CandisProvider.token_organizations`)."""
    require_organization(provider.state.tokens, request)
    data = provider.state.organization(organization_id)
    if data is None and organization_id not in ORGANIZATIONS:
        raise ApiError(404, f"Organization {organization_id} not found", code="NOT_FOUND")
    if data is None or organization_id not in provider.token_organizations(bearer_token(request.headers)):
        raise ApiError(403, f"Access to organization {organization_id} is not allowed for this token", code="FORBIDDEN")
    return data


async def path_organization(organizationId: str, request: Request, provider: Candis) -> OrganizationData:
    """Dependency of the ``{org}`` routes: the path's organization (:func:`authorize`)."""
    return authorize(provider, request, organizationId)


#: a ``{org}`` route's ``data`` parameter: the organization of the path, readable by the request's token
Organization = Annotated[OrganizationData, Depends(path_organization)]


def find_export(data: OrganizationData, export_id: str) -> Export:
    export = data.exports.get(export_id)
    if export is None:
        raise ApiError(404, f"Export {export_id} not found", code="NOT_FOUND")
    return export


@router.get("/v1/organizations/info")
async def organization_info(request: Request, provider: Candis) -> Response:
    require_organization(provider.state.tokens, request)
    slug = provider.token_organization(bearer_token(request.headers))
    if slug is None:  # a valid token that may read no organization
        raise ApiError(403, "This token may not read any organization", code="FORBIDDEN")
    data = provider.state.organization(slug)
    return json_response({"id": slug, "name": data.name if data is not None else ORGANIZATIONS.get(slug, slug)})


# -- exports -------------------------------------------------------------------------------------
@router.get(f"{ORG}/exports")
async def list_exports(request: Request, provider: Candis, state: Organization) -> Response:
    reader = QueryReader(request)
    offset, limit = reader.paging()
    reader.raise_if_errors()
    exports = state.exports.newest_first()
    now = provider.now_ms()
    page = [export_view(e, now) for e in exports[offset : offset + limit]]
    return json_response({"exports": page, "pagination": pagination(len(exports), limit)})


@router.post(f"{ORG}/exports")
async def create_export(request: Request, provider: Candis, state: Organization) -> Response:
    body = await read_json(request, invalid_json, empty={})
    if not isinstance(body, dict):
        raise ApiError(400, "Request body must be a JSON object", code="BAD_REQUEST")
    entity_type = "DOCUMENT"
    if body.get("entityType") is not None:
        entity_type = body["entityType"]
        if entity_type not in ENTITY_TYPES:
            raise ApiError(
                400,
                "Invalid request body",
                code="BAD_INPUT",
                errors=[
                    {
                        "property": "entityType",
                        "messages": [f"entityType must be one of the following values: {', '.join(ENTITY_TYPES)}"],
                    }
                ],
            )
    export = state.create_export(entity_type)
    if export is None:
        raise ApiError(
            400, f"No exportable postings found for entity type {entity_type}", code="EXPORTABLE_POSTINGS_NOT_FOUND"
        )
    # Creation is asynchronous: the answer always says EXPORTING (even with export_delay 0).
    return json_response({**export_view(export, provider.now_ms()), "status": "EXPORTING"}, status=201)


@router.get(f"{ORG}/exports/{{exportId}}")
async def get_export(exportId: str, provider: Candis, state: Organization) -> Response:
    return json_response(export_view(find_export(state, exportId), provider.now_ms()))


@router.get(f"{ORG}/exports/{{exportId}}/postings")
async def export_postings(exportId: str, request: Request, provider: Candis, state: Organization) -> Response:
    export = find_export(state, exportId)
    if export.status(provider.now_ms()) == "EXPORTING":
        # [I] Candis only says "call once the status is not EXPORTING"; we answer 400 BAD_REQUEST.
        raise ApiError(
            400,
            f"Export {exportId} is still in progress (status EXPORTING); poll "
            f"GET /exports/{exportId} until its status is no longer EXPORTING",
            code="BAD_REQUEST",
        )
    url = base_url(request)
    factory = state.postings

    def successful() -> Iterator[dict]:
        for core in state.posting_cores(export):
            yield factory.posting(core, url)

    def failed() -> Iterator[dict]:
        for position in range(export.failed):
            yield factory.failed_posting(export.id, position)

    return streamed_object([("successfulPostings", successful()), ("failedPostings", failed())])


# -- files ---------------------------------------------------------------------------------------
@router.get(f"{ORG}/files/{{fileId}}")
async def get_file(fileId: str, state: Organization) -> Response:
    found = state.file_core(fileId)
    if found is None:
        # The OpenAPI lists 400 (not 404) as this operation's error status, with code FILE_NOT_FOUND.
        raise ApiError(400, f"File {fileId} not found", code="FILE_NOT_FOUND")
    content, media_type, name = state.postings.file_content(*found)
    return Response(content, media_type=media_type, headers={"Content-Disposition": f'inline; filename="{name}"'})


# -- list streams --------------------------------------------------------------------------------
Groups = Callable[[QueryReader, ListStream], list[int]]


@dataclass(frozen=True)
class ListQuery:
    """The query of one offset-paged list: its status (and type) filter as the stream's index groups, the
    ``{dates}From``/``{dates}To`` bounds of a record date (the stream's ``date_field`` method) and those of
    ``updatedAt`` (``{updated}From``/``…To``), and ``sortField``'s values with the defaults (none: no sort
    parameters, index order). Read in that order, so a 400 lists the errors in it."""

    stream: str
    groups: Groups
    date_field: str
    dates: str
    updated: str = "updatedAt"
    sort_fields: tuple[str, ...] = ()
    sort_default: str = ""
    direction_default: str = "ASC"


def status_groups(statuses: tuple[str, ...]) -> Groups:
    """The groups of a stream grouped by ``status`` alone (all of them when no ``status`` is given)."""

    def groups(reader: QueryReader, stream: ListStream) -> list[int]:
        chosen = reader.enum_list("status", statuses) or list(statuses)
        return sorted({statuses.index(s) for s in chosen})

    return groups


def reimbursement_groups(reader: QueryReader, stream: ListStream) -> list[int]:
    assert isinstance(stream, ReimbursementItems)
    # Confirmed quirk: with no status filter only EXPORTED items are returned.
    statuses = reader.enum_list("status", REIMBURSEMENT_STATUSES) or ["EXPORTED"]
    types = reader.enum_list("types", REIMBURSEMENT_TYPES) or list(REIMBURSEMENT_TYPES)
    return stream.groups_for(statuses, types)


REIMBURSEMENT_ITEMS = ListQuery(
    "reimbursement_items",
    reimbursement_groups,
    "expense_ms",
    dates="reimbursementItemDate",
    # [I] The default order is undocumented; we use UPDATED_AT DESC (newest changes first).
    sort_fields=("REIMBURSEMENT_ITEM_DATE", "UPDATED_AT"),
    sort_default="UPDATED_AT",
    direction_default="DESC",
)
# No sort parameter; [I] the order is createdAt ascending (index order).
INVOICES = ListQuery(
    "invoices", status_groups(INVOICE_STATUSES), "invoice_ms", dates="invoiceDate", updated="updatedDate"
)
# Defaults from Candis' OpenAPI: sortField CREATED_AT, sortDirection ASC.
PURCHASE_REQUESTS = ListQuery(
    "purchase_requests",
    status_groups(PURCHASE_REQUEST_STATUSES),
    "created_ms",
    dates="createdAt",
    sort_fields=("CREATED_AT", "UPDATED_AT"),
    sort_default="CREATED_AT",
)


def date_range(reader: QueryReader, prefix: str) -> tuple[Any, Any]:
    """The ``{prefix}From``/``{prefix}To`` bounds (a plain date as ``…To``: the end of that day)."""
    return reader.date(f"{prefix}From"), reader.date(f"{prefix}To", end_of_day=True)


def list_page(state: OrganizationData, request: Request, spec: ListQuery) -> Response:
    stream = state.streams[spec.stream]
    reader = QueryReader(request)
    offset, limit = reader.paging()
    groups = spec.groups(reader, stream)
    dates = date_range(reader, spec.dates)
    updated = date_range(reader, spec.updated)
    sort_field, direction = "", "ASC"
    if spec.sort_fields:
        sort_field = reader.enum("sortField", spec.sort_fields, spec.sort_default)
        direction = reader.enum("sortDirection", ("ASC", "DESC"), spec.direction_default)
    reader.raise_if_errors()
    query = Query(
        groups=None if len(groups) == stream.group_count else groups,
        ranges=[(getattr(stream, spec.date_field), *dates)] if dates != (None, None) else [],
        mutable_range=updated if updated != (None, None) else None,
        sort_by_mutable=sort_field == "UPDATED_AT",
        descending=direction == "DESC",
        offset=offset,
        limit=limit,
    )
    overlay = state.overlay[stream.name]
    page = stream.index.query(query, overlay)
    items = [stream.record(i, overlay.get(i)) for i, _ in page.items]
    return json_response({stream.list_key: items, "pagination": pagination(page.total, query.limit)})


@router.get(f"{ORG}/reimbursement-items")
async def reimbursement_items(request: Request, state: Organization) -> Response:
    return list_page(state, request, REIMBURSEMENT_ITEMS)


@router.get(f"{ORG}/invoices")
async def invoices(request: Request, state: Organization) -> Response:
    return list_page(state, request, INVOICES)


@router.get(f"{ORG}/purchase-requests")
async def purchase_requests(request: Request, state: Organization) -> Response:
    return list_page(state, request, PURCHASE_REQUESTS)


@router.get(f"{ORG}/imports/{{processId}}")
async def import_status(processId: str, state: Organization) -> Response:
    # Core-data imports are outside what the sandbox emulates: no import process exists.
    raise ApiError(404, f"Import process {processId} not found", code="NOT_FOUND")
