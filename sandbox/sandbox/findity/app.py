"""The Findity emulator's ASGI app: the provider and its routers, wired by the framework."""

from __future__ import annotations

from fastapi import FastAPI

from ..framework.app import build_app
from . import admin, oauth, routes
from .config import FindityConfig
from .provider import FindityProvider


def create_app(config: FindityConfig | None = None) -> FastAPI:
    """The Findity emulator as an ASGI app: API under ``/api``, token endpoint at ``/oauth/token``."""
    return build_app(
        FindityProvider(config), [oauth.router, routes.router, admin.router], title="Findity Connect API sandbox"
    )
