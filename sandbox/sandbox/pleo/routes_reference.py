"""Reference data: companies, employees (v2, camelCase ``companyId``), tax codes, tag groups and tags,
chart of accounts (company in the search body), vendors. Cursor-paged (``{data, pagination}``) but for tag
groups, which the published document answers as a plain ``{data}`` list."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from ..framework.jsonutil import json_response, read_json
from ..framework.provider import ApiError
from .cursor import list_page, read_page_request
from .provider import Pleo, PleoProvider, invalid_json
from .reference import public
from .state import CompanyData

router = APIRouter()


def company_of(provider: PleoProvider, request: Request, name: str) -> CompanyData:
    access = provider.authorize(request)
    company_id = request.query_params.get(name)
    if not company_id:
        raise ApiError(400, f"'{name}' is required for a multi-entity organization", code="COMPANY_ID_REQUIRED")
    return access.company(company_id)


def page(kind: str, request: Request, items: list) -> Response:
    req = read_page_request(request.query_params)
    data, pagination = list_page(kind, req, items)
    return json_response({"data": [public(r) for r in data], "pagination": pagination})


@router.get("/v1/companies")
async def companies(request: Request, provider: Pleo) -> Response:
    access = provider.authorize(request)  # the companies the credentials may read
    org = request.query_params.get("organization_id")
    if org and org != access.organization:
        raise ApiError(403, f"No access to organization {org}", code="FORBIDDEN")
    items = [
        {
            "id": c.id,
            "name": c.name,
            "organizationId": access.organization,
            "address": {"country": c.country},
            "registrationNumber": c.vat_id[2:],
        }
        for c in (data.company for data in access.companies)
    ]  # ExternalCompanyResponseModel
    return page("COMPANIES", request, items)


@router.get("/v2/employees")
async def employees(request: Request, provider: Pleo) -> Response:
    if request.query_params.get("company_id") and not request.query_params.get("companyId"):
        raise ApiError(400, "'companyId' is required (v2 takes camelCase: companyId)", code="INVALID_REQUEST")
    return page("EMPLOYEES", request, company_of(provider, request, "companyId").refs.employees)


@router.post("/v0/tax-codes:search")
async def tax_codes(request: Request, provider: Pleo) -> Response:
    return page("TAXCODES", request, company_of(provider, request, "company_id").refs.tax_codes)


@router.get("/v0/tag-groups")
async def tag_groups(request: Request, provider: Pleo) -> Response:  # DataResponseListTagGroupModel: not paged
    refs = company_of(provider, request, "company_id").refs
    counts = request.query_params.get("include_tags_count") == "true"
    return json_response(
        {
            "data": [
                {**public(g), **({"totalTagsCount": len(refs.tags[g["id"]])} if counts else {})}
                for g in refs.tag_groups
            ]
        }
    )


@router.get("/v0/tag-groups/{group_id}/tags")
async def tags(group_id: str, request: Request, provider: Pleo) -> Response:
    for data in provider.authorize(request).companies:
        if group_id in data.refs.tags:
            return page("TAGS", request, data.refs.tags[group_id])
    raise ApiError(404, f"Tag group {group_id} not found", code="TAG_GROUP_NOT_FOUND")


@router.post("/v1/chart-of-accounts:search")
async def accounts(request: Request, provider: Pleo) -> Response:
    # BookkeepingAccountSearchRequestV1: the company is `companyId` in the body (required; the contract
    # middleware refuses a body without it), there is no company query parameter
    body = await read_json(request, invalid_json, empty=None)
    body = body if isinstance(body, dict) else {}
    accounts = provider.authorize(request).company(body.get("companyId")).refs.accounts
    if body.get("archived") is not None:
        accounts = [a for a in accounts if a["archived"] == body["archived"]]
    return page("ACCOUNTS", request, accounts)


@router.post("/v1/vendors:search")
async def vendors(request: Request, provider: Pleo) -> Response:
    return page("VENDORS", request, company_of(provider, request, "company_id").refs.vendors)
