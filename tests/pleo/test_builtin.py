"""singer-sdk's built-in tap tests (discovery, sync, schema/record conformance) against the sandbox."""

from __future__ import annotations

from sandbox.pleo import API_KEY, DEFAULT_COMPANY_ID, PleoConfig, create_app
from singer_sdk.testing import SuiteConfig, get_tap_test_class
from tap_pleo.tap import TapPleo

from tests.helpers import serve_for_session

# The test class is built at import time, so the sandbox it talks to starts here and stops at exit.
_URL, _TMP_DIR = serve_for_session(create_app(PleoConfig(scale=400, rate_limit=0)), "tap-pleo-builtin-")

TestTapPleo = get_tap_test_class(
    TapPleo,
    config={
        "api_url": _URL,
        "api_key": API_KEY,
        "company_id": DEFAULT_COMPANY_ID,
        "files_dir": f"{_TMP_DIR}/files",
        "manifest_dir": f"{_TMP_DIR}/manifests",
        "start_date": "2024-01-01T00:00:00Z",
        "max_requests_per_minute": 0,
    },
    suite_config=SuiteConfig(max_records_limit=200),
)
