"""Pleo-specific admin endpoints (``/_sandbox/pleo/...``), never logged, never rate limited.

* ``POST /_sandbox/pleo/export-jobs {"companyId"?, "count"?: 20}`` — an accountant selects the next
  ``count`` entries of the export queue and opens a pending export job (409 when the company already has
  an open job, as the API answers). Answers the job.
* ``POST /_sandbox/pleo/export-jobs/{id}/expire`` — the job expires now (failed, ``job_expired``).
* ``GET /_sandbox/pleo/export-jobs/{id}`` — the job and its items (status, externalId, ...), for tests.
* ``GET /_sandbox/pleo/ground-truth?company_id=`` — ground truth of another company.
* ``GET /_sandbox/pleo/issued-tokens`` — every token the token endpoint issued (for "no secret leaks" tests).
* ``GET /_sandbox/pleo/oauth`` — ``{"revocations": n}``: how often reuse of a spent refresh token revoked an
  authorization.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from ..framework.admin import admin_json
from ..framework.errors import admin_int
from ..framework.jsonutil import json_response
from ..framework.provider import AdminError
from . import webhooks
from .config import DEFAULT_COMPANY_ID
from .jobs import ExportJob
from .provider import Pleo, PleoProvider
from .state import CompanyData

router = APIRouter(prefix="/_sandbox/pleo")


def find(provider: PleoProvider, job_id: str) -> tuple[CompanyData, ExportJob]:
    for data in provider.state.companies:
        job = data.jobs.get(job_id)
        if job is not None:
            return data, job
    raise AdminError(f"export job {job_id} not found")


@router.post("/export-jobs")
async def open_job(request: Request, provider: Pleo) -> Response:
    body = await admin_json(request, empty={})
    if not isinstance(body, dict) or set(body) - {"companyId", "count"}:
        raise AdminError('expected {"companyId": ..., "count": n} (both optional)')
    state = provider.state
    state.tick()
    data = state.company(body.get("companyId") or DEFAULT_COMPANY_ID)
    if data is None:
        raise AdminError(f"unknown companyId {body.get('companyId')!r}")
    count = admin_int(body, "count", 20, 1)
    if data.jobs.open_job() is not None:
        return json_response(
            {"error": f"company {data.company.id} already has an open export job ({data.jobs.open_job().id})"},
            status=409,
        )
    entries = data.candidates(count)
    if not entries:
        raise AdminError("the export queue of this company is empty")
    job = data.create_job(entries, provider.now_ms(), provider.config.job_expires_in)
    webhooks.job_created(provider, job.view())  # v1.export-job.created to the subscriptions (webhooks.py)
    return json_response(job.view(), status=201)


@router.post("/export-jobs/{job_id}/expire")
async def expire(job_id: str, provider: Pleo) -> Response:
    data, job = find(provider, job_id)
    if not job.is_open:
        raise AdminError(f"export job {job_id} is {job.status}, not open")
    job.last_action_ms = provider.now_ms() - job.expires_in * 1000
    data.jobs.refresh(job, provider.now_ms())
    data.touch_entries(job, provider.now_ms())
    return json_response(job.view())


@router.get("/export-jobs/{job_id}")
async def job_detail(job_id: str, provider: Pleo) -> Response:
    provider.state.tick()
    data, job = find(provider, job_id)
    items = [data.jobs.item(job, i).view(data.entries.entry_id(i), job.id) for i in job.entries]
    return json_response({**job.view(), "items": items})


@router.get("/ground-truth")
async def ground_truth(request: Request, provider: Pleo) -> Response:
    company_id = request.query_params.get("company_id")
    if company_id and provider.state.company(company_id) is None:
        raise AdminError(f"unknown company_id {company_id!r}")
    return json_response(provider.state.ground_truth(company_id))


@router.get("/issued-tokens")
async def issued_tokens(provider: Pleo) -> Response:
    return json_response(list(provider.state.tokens.issued))


@router.get("/oauth")
async def oauth(provider: Pleo) -> Response:
    return json_response({"revocations": provider.state.tokens.revocations})
