"""The provider-independent admin endpoints under ``/_sandbox``.

* ``GET /_sandbox/health``                       — ``{"provider": ..., "status": "ok"}``
* ``GET|DELETE /_sandbox/requests``              — the request log / clear it
* ``POST /_sandbox/requests/bodies``             — ``{"enabled": true}``: the log also keeps JSON bodies of
  requests the provider's contract covers (for the contract tests; never the token endpoints)
* ``GET|POST|DELETE /_sandbox/faults``           — remaining fault rules / add rules / clear
* ``GET|POST /_sandbox/config``                  — run-time settings / change some
* ``POST /_sandbox/reset``                       — regenerate data (``{seed, scale}``), clear runtime state
* ``GET /_sandbox/ground-truth``                 — what the provider holds: counts and exact money totals;
  ``?tenant=<id>``: what one tenant holds, in the same shape (multi-tenant mode)
* ``GET /_sandbox/tenants``                      — the tenants: ``{"provider", "tenants": [{"id", "name", …}]}``

Admin errors are ``400 {"error": "..."}``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from .faults import parse_rules
from .jsonutil import REQUIRED, json_response, read_json
from .provider import AdminError, SandboxProvider, current_provider

Provider = Annotated[SandboxProvider, Depends(current_provider)]


def admin_invalid(detail: str | None) -> AdminError:
    """The admin error for a missing (``None``) or malformed JSON body."""
    return AdminError("a JSON body is required" if detail is None else f"body is not valid JSON: {detail}")


async def admin_json(request: Request, *, empty: Any = REQUIRED) -> Any:
    """An admin request's JSON body (``empty``: what a blank body means; by default it is refused)."""
    return await read_json(request, admin_invalid, empty=empty)


def admin_error_response(exc: AdminError) -> Response:
    return json_response({"error": str(exc)}, status=400)


router = APIRouter(prefix="/_sandbox")


@router.get("/health")
async def health(provider: Provider) -> Response:
    return json_response({"provider": provider.name, "status": "ok"})


@router.get("/requests")
async def list_requests(provider: Provider) -> Response:
    return json_response(provider.request_log.entries())


@router.delete("/requests")
async def clear_requests(provider: Provider) -> Response:
    provider.request_log.clear()
    return json_response({"cleared": True})


@router.post("/requests/bodies")
async def log_bodies(request: Request, provider: Provider) -> Response:
    payload = await admin_json(request)
    if not isinstance(payload, dict) or not isinstance(payload.get("enabled"), bool):
        raise AdminError('the body must be {"enabled": true} or {"enabled": false}')
    provider.request_log.bodies = payload["enabled"]
    return json_response({"bodies": provider.request_log.bodies})


@router.get("/faults")
async def list_faults(provider: Provider) -> Response:
    return json_response(provider.faults.remaining())


@router.post("/faults")
async def add_faults(request: Request, provider: Provider) -> Response:
    payload = await admin_json(request)
    try:
        rules = parse_rules(payload, provider.validate_mutate)
    except ValueError as exc:
        raise AdminError(str(exc)) from None
    provider.faults.add(rules)
    return json_response(provider.faults.remaining(), status=201)


@router.delete("/faults")
async def clear_faults(provider: Provider) -> Response:
    provider.faults.clear()
    return json_response({"cleared": True})


@router.get("/config")
async def get_config(provider: Provider) -> Response:
    return json_response(provider.config_view())


@router.post("/config")
async def set_config(request: Request, provider: Provider) -> Response:
    payload = await admin_json(request)
    if not isinstance(payload, dict):
        raise AdminError("the body must be a JSON object of setting names and values")
    return json_response(provider.update_config(payload))


@router.post("/reset")
async def reset(request: Request, provider: Provider) -> Response:
    payload = await admin_json(request, empty={})
    if not isinstance(payload, dict):
        raise AdminError('the body must be a JSON object, e.g. {"seed": 42, "scale": 200}')
    return json_response(provider.reset(payload))


@router.get("/ground-truth")
async def ground_truth(request: Request, provider: Provider) -> Response:
    tenant = request.query_params.get("tenant")
    if tenant is None:
        return json_response(provider.ground_truth())
    return json_response(provider.tenant_ground_truth(provider.checked_tenant(tenant)))


@router.get("/tenants")
async def tenants(provider: Provider) -> Response:
    return json_response({"provider": provider.name, "tenants": provider.tenants()})
