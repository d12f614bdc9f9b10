"""Local emulator of Findity's Connect API (export packages of vouchers in the eight output formats).

from sandbox.findity import create_app, FindityConfig
from sandbox.framework.server import serve_in_thread

with serve_in_thread(create_app(FindityConfig(scale=100))) as base_url:
    api_url, token_url = base_url + "/api", base_url + "/oauth/token"
"""

from .app import create_app
from .config import (
    API_PREFIX,
    CLIENT_ID,
    CLIENT_SECRET,
    FORMATS,
    ORGANIZATION_ID,
    TOKEN_PATH,
    FindityConfig,
)
from .provider import FindityProvider

__all__ = [
    "API_PREFIX",
    "CLIENT_ID",
    "CLIENT_SECRET",
    "FORMATS",
    "ORGANIZATION_ID",
    "TOKEN_PATH",
    "FindityConfig",
    "FindityProvider",
    "create_app",
]
