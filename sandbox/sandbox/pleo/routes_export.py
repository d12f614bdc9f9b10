"""Export API v3: export jobs, job events, job items and export items (``/v3/...``)."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Request
from starlette.responses import Response

from ..framework.http import base_url
from ..framework.jsonutil import json_response, read_json
from ..framework.provider import ApiError
from .config import MAX_ITEMS_PER_UPDATE
from .cursor import keyset_page, read_page_request
from .jobs import EVENTS, ITEM_STATUSES, JOB_STATUSES, ExportJob, TransitionError
from .provider import Pleo, PleoProvider, invalid_json
from .state import CompanyData

router = APIRouter()


def company_of(provider: PleoProvider, request: Request, name: str = "company_id") -> CompanyData:
    access = provider.authorize(request)
    values = request.query_params.getlist(name)
    if not values or not values[0]:
        raise ApiError(400, f"'{name}' is required for a multi-entity organization", code="COMPANY_ID_REQUIRED")
    return access.company(values[0])


def find_job(provider: PleoProvider, request: Request, job_id: str) -> tuple[CompanyData, ExportJob]:
    """The job among the companies the credentials may read, else 404."""
    for data in provider.authorize(request).companies:
        job = data.jobs.get(job_id)
        if job is not None:
            return data, job
    raise ApiError(404, f"Export job {job_id} not found", code="EXPORT_NOT_FOUND")


def job_statuses(request: Request) -> set[str] | None:
    """The repeated ``statuses`` filter (None: all)."""
    statuses = request.query_params.getlist("statuses")
    flat = [s for value in statuses for s in value.split(",")] if statuses else []
    bad = [s for s in flat if s not in JOB_STATUSES]
    if bad:
        raise ApiError(400, f"statuses must be among {', '.join(JOB_STATUSES)}", code="INVALID_REQUEST")
    if any("," in s for s in statuses):  # Pleo takes repeated parameters, not comma lists ([C])
        raise ApiError(
            400, "statuses must be repeated (statuses=a&statuses=b), not comma-separated", code="INVALID_REQUEST"
        )
    return set(flat) if flat else None


# -- jobs -----------------------------------------------------------------------------------------
@router.get("/v3/export-jobs")
async def list_jobs(request: Request, provider: Pleo) -> Response:
    data = company_of(provider, request)
    wanted = job_statuses(request)
    req = read_page_request(request.query_params)
    jobs = data.jobs.jobs

    def after(position: int | None, descending: bool) -> Iterator[tuple[int, dict]]:
        order = range(len(jobs) - 1, -1, -1) if descending else range(len(jobs))
        for seq in order:
            if position is not None and (seq >= position if descending else seq <= position):
                continue
            job = jobs[seq]
            if wanted is None or job.status in wanted:
                yield seq, job.view()

    total = sum(1 for j in jobs if wanted is None or j.status in wanted)
    items, pagination = keyset_page("JOBS", req, total, after)
    return json_response({"data": items, "pagination": pagination})


@router.post("/v3/export-jobs")
async def create_job(request: Request, provider: Pleo) -> Response:
    access = provider.authorize(request)
    body = await read_json(request, invalid_json, empty=None)
    if not isinstance(body, dict) or not isinstance(body.get("accountingEntryIds"), list) or not body.get("companyId"):
        raise ApiError(400, "accountingEntryIds and companyId are required", code="INVALID_REQUEST")
    data = access.company(body["companyId"])
    if data.jobs.open_job() is not None:
        raise ApiError(409, "An export job is already in progress for this company", code="EXPORT_ALREADY_IN_PROGRESS")
    indices = []
    for entry_id in body["accountingEntryIds"]:
        index = data.entry_index(str(entry_id), provider.state.seed)
        if index is None or data.export_status(index) != "NOT_EXPORTED":
            raise ApiError(400, f"Accounting entry {entry_id} cannot be exported", code="INVALID_ACCOUNTING_ENTRIES")
        indices.append(index)
    if not indices:
        raise ApiError(400, "accountingEntryIds must not be empty", code="INVALID_REQUEST")
    options = body.get("options") or {}
    job = data.create_job(
        sorted(set(indices)),
        provider.now_ms(),
        provider.config.job_expires_in,
        interactive=bool(body.get("isInteractive")),
        vendor_based=bool(options.get("vendorBasedBookkeeping")),
        created_by=body.get("employeeId"),
    )
    return json_response({"data": job.view()}, status=201)


@router.get("/v3/export-jobs/{job_id}")
async def get_job(job_id: str, request: Request, provider: Pleo) -> Response:
    _, job = find_job(provider, request, job_id)
    return json_response({"data": job.view()})


@router.post("/v3/export-job-events")
async def job_event(request: Request, provider: Pleo) -> Response:
    provider.authorize(request)
    body = await read_json(request, invalid_json, empty=None)
    if not isinstance(body, dict):
        raise ApiError(400, "The body must be a JSON object {jobId, event}", code="INVALID_REQUEST")
    job_id = body.get("jobId")
    if job_id is None and "exportJobId" in body:
        raise ApiError(400, "jobId is required (the field is jobId, not exportJobId)", code="INVALID_REQUEST")
    event = body.get("event")
    if not isinstance(job_id, str) or event not in EVENTS:
        raise ApiError(400, f"jobId and event ({', '.join(EVENTS)}) are required", code="INVALID_REQUEST")
    data, job = find_job(provider, request, job_id)
    try:
        data.jobs.apply_event(job, event, provider.now_ms(), body.get("failureReason"), body.get("failureReasonType"))
    except TransitionError as exc:
        raise ApiError(422, str(exc), code="INVALID_EXPORT_JOB_STATUS_CHANGE") from None
    data.touch_entries(job, provider.now_ms())
    return Response(status_code=202)


# -- job items ------------------------------------------------------------------------------------
@router.get("/v3/export-jobs/{job_id}/items")
async def job_items(job_id: str, request: Request, provider: Pleo) -> Response:
    data, job = find_job(provider, request, job_id)
    status = request.query_params.get("status")
    if status is not None and status not in ITEM_STATUSES:
        raise ApiError(400, f"status must be one of {', '.join(ITEM_STATUSES)}", code="INVALID_REQUEST")
    req = read_page_request(request.query_params)
    entries = job.entries

    def view(i: int) -> dict:
        return data.jobs.item(job, i).view(data.entries.entry_id(i), job.id)

    def after(position: int | None, descending: bool) -> Iterator[tuple[int, dict]]:
        order = reversed(entries) if descending else entries
        for i in order:
            if position is not None and (i >= position if descending else i <= position):
                continue
            item = view(i)
            if status is None or item["status"] == status:
                yield i, item

    total = len(entries) if status is None else sum(1 for i in entries if data.jobs.item(job, i).status == status)
    items, pagination = keyset_page("ITEMS", req, total, after)
    return json_response({"data": items, "pagination": pagination})


@router.put("/v3/export-jobs/{job_id}/items")
async def update_items(job_id: str, request: Request, provider: Pleo) -> Response:
    data, job = find_job(provider, request, job_id)
    body = await read_json(request, invalid_json, empty=None)
    if not isinstance(body, list):
        raise ApiError(400, "The body must be a JSON array of export job items", code="INVALID_REQUEST")
    if len(body) > MAX_ITEMS_PER_UPDATE:
        raise ApiError(
            413,
            f"At most {MAX_ITEMS_PER_UPDATE} export job items can be updated per request",
            code="EXPORT_JOB_ITEMS_UPDATE_LIMIT",
        )
    if not job.is_open:
        raise ApiError(
            422,
            f"Export job {job.id} is {job.status}: its items can no longer be updated",
            code="EXPORT_JOB_STATUS_UNPROCESSABLE",
        )
    now = provider.now_ms()
    updated, errors = data.jobs.update_items(job, body, now, lambda eid: data.entry_index(eid, provider.state.seed))
    data.touch_entries(job, now)
    return json_response({"data": updated, "errors": errors})


# -- export items (the accounting payload) ------------------------------------------------------------
@router.get("/v3/export-items")
async def export_items(request: Request, provider: Pleo) -> Response:
    provider.authorize(request)
    job_id = request.query_params.get("job_id")
    if not job_id:
        raise ApiError(400, "'job_id' is required", code="INVALID_REQUEST")
    data, job = find_job(provider, request, job_id)
    if not job.is_open:
        raise ApiError(
            422,
            f"Export job {job.id} is {job.status}: export items are only available while the "
            "job is pending or in_progress",
            code="EXPORT_JOB_STATUS_UNPROCESSABLE",
        )
    req = read_page_request(request.query_params)
    base = base_url(request)

    def after(position: int | None, descending: bool) -> Iterator[tuple[int, dict]]:
        order = reversed(job.entries) if descending else job.entries
        for i in order:
            if position is not None and (i >= position if descending else i <= position):
                continue
            core = data.entries.core(i)
            yield i, data.entries.export_item(core, base, lambda c, p: provider.file_url(base, data, c, p))

    items, pagination = keyset_page("EXPORTITEMS", req, len(job.entries), after)
    return json_response({"data": items, "pagination": pagination})
