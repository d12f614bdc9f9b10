"""Local emulator of Pleo's Export API v3, accounting entries and reference data.

from sandbox.pleo import create_app, PleoConfig
from sandbox.framework.server import serve_in_thread

with serve_in_thread(create_app(PleoConfig(scale=1000))) as base_url:
    ...
"""

from .app import create_app
from .config import (
    API_KEY,
    CLIENT_ID,
    CLIENT_SECRET,
    COMPANIES,
    DEFAULT_COMPANY_ID,
    INITIAL_REFRESH_TOKEN,
    ORGANIZATION_ID,
    TOKEN_PATH,
    PleoConfig,
)
from .provider import PleoProvider

__all__ = [
    "API_KEY",
    "CLIENT_ID",
    "CLIENT_SECRET",
    "COMPANIES",
    "DEFAULT_COMPANY_ID",
    "INITIAL_REFRESH_TOKEN",
    "ORGANIZATION_ID",
    "TOKEN_PATH",
    "PleoConfig",
    "PleoProvider",
    "create_app",
]
