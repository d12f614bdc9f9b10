"""singer-sdk's built-in tap tests (discovery, sync, schema/record conformance) against the sandbox."""

from __future__ import annotations

from sandbox.findity import CLIENT_ID, CLIENT_SECRET, ORGANIZATION_ID, FindityConfig, create_app
from singer_sdk.testing import SuiteConfig, get_tap_test_class
from tap_findity.tap import TapFindity

from tests.helpers import serve_for_session

# The test class is built at import time, so the sandbox it talks to starts here and stops at exit.
_URL, _TMP_DIR = serve_for_session(
    create_app(FindityConfig(scale=60, initial_exports=4, export_size=5)), "tap-findity-builtin-"
)

TestTapFindity = get_tap_test_class(
    TapFindity,
    config={
        "api_url": f"{_URL}/api",
        "token_url": f"{_URL}/oauth/token",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "organization_id": ORGANIZATION_ID,
        "manifest_dir": f"{_TMP_DIR}/manifests",
        "files_dir": f"{_TMP_DIR}/files",
    },
    suite_config=SuiteConfig(max_records_limit=200),
)
