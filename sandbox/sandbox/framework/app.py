"""Assemble one emulator's ASGI app: its routers, the admin router, error handlers and the middleware."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from .admin import admin_error_response
from .admin import router as admin_router
from .middleware import SandboxMiddleware
from .oauth import OAuthError
from .provider import AdminError, ApiError, SandboxProvider


def build_app(provider: SandboxProvider, routers: Iterable[APIRouter], *, title: str) -> FastAPI:
    # No /docs or /openapi.json: the real APIs do not serve them, and unknown paths must answer in the
    # provider's own error shape.
    app = FastAPI(title=title, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.provider = provider
    app.include_router(admin_router)
    for router in routers:
        app.include_router(router)

    async def on_api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return provider.error_response(exc)

    async def on_oauth_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, OAuthError)
        return exc.response()

    async def on_admin_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AdminError)
        return admin_error_response(exc)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        message = "Not found" if exc.status_code == 404 else str(exc.detail)
        return provider.error_response(ApiError(exc.status_code, message, headers=getattr(exc, "headers", None)))

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        return provider.error_response(ApiError(400, "Invalid request"))

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        return provider.error_response(ApiError(500, "Internal server error"))

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(OAuthError, on_oauth_error)
    app.add_exception_handler(AdminError, on_admin_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(Exception, on_unexpected)
    app.add_middleware(SandboxMiddleware, provider=provider)
    return app
