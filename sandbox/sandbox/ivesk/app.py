"""The Įvesk emulator's ASGI app: the provider and its routers, wired by the framework."""

from __future__ import annotations

from fastapi import FastAPI

from ..framework.app import build_app
from . import admin, routes, webhooks
from .config import IveskConfig
from .provider import IveskProvider


def create_app(config: IveskConfig | None = None) -> FastAPI:
    """The Įvesk emulator as an ASGI app (serve it with ``sandbox.framework.server.serve_in_thread``)."""
    return build_app(
        IveskProvider(config), [routes.router, admin.router, webhooks.router], title="Įvesk.lt API sandbox"
    )
