"""Local emulator of the Candis API (exports, postings, files, reimbursement items, invoices, purchase requests).

from sandbox.candis import create_app, CandisConfig
from sandbox.framework.server import serve_in_thread

with serve_in_thread(create_app(CandisConfig(scale=1000))) as base_url:
    ...
"""

from .app import create_app
from .config import (
    CLIENT_ID,
    CLIENT_SECRET,
    INITIAL_REFRESH_TOKEN,
    ORGANIZATION_ID,
    ORGANIZATION_NAME,
    OTHER_ORGANIZATION_ID,
    TOKEN_PATH,
    CandisConfig,
)
from .provider import CandisProvider

__all__ = [
    "CLIENT_ID",
    "CLIENT_SECRET",
    "INITIAL_REFRESH_TOKEN",
    "ORGANIZATION_ID",
    "ORGANIZATION_NAME",
    "OTHER_ORGANIZATION_ID",
    "TOKEN_PATH",
    "CandisConfig",
    "CandisProvider",
    "create_app",
]
