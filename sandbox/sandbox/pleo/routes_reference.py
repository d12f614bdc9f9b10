"""Reference data: companies, employees (v2, camelCase ``companyId``), tax codes, tag groups and tags,
chart of accounts, vendors. All cursor-paged (``{data, pagination}``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from starlette.responses import Response

from ..framework.jsonutil import json_response
from ..framework.provider import ApiError
from .config import COMPANIES, ORGANIZATION_ID
from .cursor import list_page, read_page_request
from .routes_export import json_body

if TYPE_CHECKING:
    from .app import PleoProvider
    from .state import CompanyData


def reference_router(provider: "PleoProvider") -> APIRouter:
    router = APIRouter()

    def company_of(request: Request, name: str, body: dict | None = None) -> "CompanyData":
        provider.authorize(request)
        company_id = request.query_params.get(name) or (body or {}).get("companyId")
        if not company_id:
            raise ApiError(400, f"'{name}' is required for a multi-entity organization", code="COMPANY_ID_REQUIRED")
        data = provider.state.company(company_id)
        if data is None:
            raise ApiError(403, f"No access to company {company_id}", code="FORBIDDEN")
        return data

    def page(kind: str, request: Request, items: list) -> Response:
        req = read_page_request(request.query_params)
        data, pagination = list_page(kind, req, items)
        return json_response({"data": data, "pagination": pagination})

    @router.get("/v1/companies")
    async def companies(request: Request) -> Response:
        provider.authorize(request)
        org = request.query_params.get("organization_id")
        if org and org != ORGANIZATION_ID:
            raise ApiError(403, f"No access to organization {org}", code="FORBIDDEN")
        items = [{"id": c.id, "name": c.name, "organizationId": ORGANIZATION_ID, "address": {"country": c.country},
                  "registrationNumber": c.vat_id[2:], "vatNumber": c.vat_id, "currency": c.currency, "timezone": c.tz,
                  "createdAt": "2023-10-02T08:30:00.000Z"} for c in COMPANIES]
        return page("COMPANIES", request, items)

    @router.get("/v2/employees")
    async def employees(request: Request) -> Response:
        if request.query_params.get("company_id") and not request.query_params.get("companyId"):
            raise ApiError(400, "'companyId' is required (v2 takes camelCase: companyId)", code="INVALID_REQUEST")
        return page("EMPLOYEES", request, company_of(request, "companyId").refs.employees)

    @router.post("/v0/tax-codes:search")
    async def tax_codes(request: Request) -> Response:
        return page("TAXCODES", request, company_of(request, "company_id").refs.tax_codes)

    @router.get("/v0/tag-groups")
    async def tag_groups(request: Request) -> Response:
        return page("TAGGROUPS", request, company_of(request, "company_id").refs.tag_groups)

    @router.get("/v0/tag-groups/{group_id}/tags")
    async def tags(group_id: str, request: Request) -> Response:
        provider.authorize(request)
        for data in provider.state.companies:
            if group_id in data.refs.tags:
                return page("TAGS", request, data.refs.tags[group_id])
        raise ApiError(404, f"Tag group {group_id} not found", code="TAG_GROUP_NOT_FOUND")

    @router.post("/v1/chart-of-accounts:search")
    async def accounts(request: Request) -> Response:
        body = await json_body(request)
        return page("ACCOUNTS", request, company_of(request, "company_id", body if isinstance(body, dict) else None).refs.accounts)

    @router.post("/v1/vendors:search")
    async def vendors(request: Request) -> Response:
        return page("VENDORS", request, company_of(request, "company_id").refs.vendors)

    return router
