"""The Candis emulator's ASGI app: the provider and its routers, wired by the framework."""

from __future__ import annotations

from fastapi import FastAPI

from ..framework.app import build_app
from . import admin, oauth, routes
from .config import CandisConfig
from .provider import CandisProvider


def create_app(config: CandisConfig | None = None) -> FastAPI:
    """The Candis emulator as an ASGI app (serve it with ``sandbox.framework.server.serve_in_thread``)."""
    return build_app(
        CandisProvider(config),
        [oauth.router, oauth.authorize_router, routes.router, admin.router],
        title="Candis API sandbox",
    )
