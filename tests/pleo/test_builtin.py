"""singer-sdk's built-in tap tests (discovery, sync, schema/record conformance) against the sandbox."""

from __future__ import annotations

import atexit
import tempfile

from singer_sdk.testing import SuiteConfig, get_tap_test_class

from sandbox.framework.server import serve_in_thread
from sandbox.pleo import API_KEY, DEFAULT_COMPANY_ID, PleoConfig, create_app
from tap_pleo.tap import TapPleo

# The test class is built at import time, so the sandbox it talks to starts here and stops at exit.
_server = serve_in_thread(create_app(PleoConfig(scale=400, rate_limit=0)))
_URL = _server.__enter__()
atexit.register(_server.__exit__, None, None, None)
_TMP = tempfile.TemporaryDirectory(prefix="tap-pleo-builtin-")
atexit.register(_TMP.cleanup)

TestTapPleo = get_tap_test_class(
    TapPleo,
    config={
        "api_url": _URL,
        "api_key": API_KEY,
        "company_id": DEFAULT_COMPANY_ID,
        "files_dir": f"{_TMP.name}/files",
        "manifest_dir": f"{_TMP.name}/manifests",
        "start_date": "2024-01-01T00:00:00Z",
        "max_requests_per_minute": 0,
    },
    suite_config=SuiteConfig(max_records_limit=200),
)
