"""singer-sdk's built-in tap tests (discovery, sync, schema/record conformance) against the sandbox."""

from __future__ import annotations

import atexit
import tempfile

from singer_sdk.testing import SuiteConfig, get_tap_test_class

from sandbox.candis import CandisConfig, create_app
from sandbox.framework.server import serve_in_thread
from tap_candis.tap import TapCandis

# The test class is built at import time, so the sandbox it talks to starts here and stops at exit.
_server = serve_in_thread(create_app(CandisConfig(scale=80)))
_URL = _server.__enter__()
atexit.register(_server.__exit__, None, None, None)
_TMP = tempfile.TemporaryDirectory(prefix="tap-candis-builtin-")
atexit.register(_TMP.cleanup)

TestTapCandis = get_tap_test_class(
    TapCandis,
    config={
        "api_url": _URL,
        "token_url": f"{_URL}/auth/realms/candis/protocol/openid-connect/token",
        "client_id": "sandbox-client",
        "client_secret": "sandbox-secret",
        "refresh_token": "sandbox-refresh-token",
        "token_store_dir": f"{_TMP.name}/tokens",
        "files_dir": f"{_TMP.name}/files",
        "start_date": "2024-01-01T00:00:00Z",
    },
    suite_config=SuiteConfig(max_records_limit=200),
)
