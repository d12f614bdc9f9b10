"""singer-sdk's built-in tap tests (discovery, sync, schema/record conformance) against the sandbox."""

from __future__ import annotations

from sandbox.candis import CandisConfig, create_app
from singer_sdk.testing import SuiteConfig, get_tap_test_class
from tap_candis.tap import TapCandis

from tests.helpers import serve_for_session

# The test class is built at import time, so the sandbox it talks to starts here and stops at exit.
_URL, _TMP_DIR = serve_for_session(create_app(CandisConfig(scale=80)), "tap-candis-builtin-")

TestTapCandis = get_tap_test_class(
    TapCandis,
    config={
        "api_url": _URL,
        "token_url": f"{_URL}/auth/realms/candis/protocol/openid-connect/token",
        "client_id": "sandbox-client",
        "client_secret": "sandbox-secret",
        "refresh_token": "sandbox-refresh-token",
        "token_store_dir": f"{_TMP_DIR}/tokens",
        "files_dir": f"{_TMP_DIR}/files",
        "start_date": "2024-01-01T00:00:00Z",
    },
    suite_config=SuiteConfig(max_records_limit=200),
)
