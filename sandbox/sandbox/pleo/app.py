"""The Pleo emulator's ASGI app: the provider and its routers, wired by the framework."""

from __future__ import annotations

from fastapi import FastAPI

from ..framework.app import build_app
from . import admin, auth, routes_entries, routes_export, routes_reference, webhooks
from .config import PleoConfig
from .provider import PleoProvider


def create_app(config: PleoConfig | None = None) -> FastAPI:
    """The Pleo emulator as an ASGI app (serve it with ``sandbox.framework.server.serve_in_thread``)."""
    routers = [
        auth.router,
        auth.authorize_router,
        routes_export.router,
        routes_entries.router,
        routes_reference.router,
        admin.router,
        webhooks.router,
    ]
    return build_app(PleoProvider(config), routers, title="Pleo API sandbox")
