"""singer-sdk's built-in tap tests (discovery, sync, schema/record conformance) against the sandbox."""

from __future__ import annotations

import atexit
import tempfile

from singer_sdk.testing import SuiteConfig, get_tap_test_class

from sandbox.findity import CLIENT_ID, CLIENT_SECRET, ORGANIZATION_ID, FindityConfig, create_app
from sandbox.framework.server import serve_in_thread
from tap_findity.tap import TapFindity

# The test class is built at import time, so the sandbox it talks to starts here and stops at exit.
_server = serve_in_thread(create_app(FindityConfig(scale=60, initial_exports=4, export_size=5)))
_URL = _server.__enter__()
atexit.register(_server.__exit__, None, None, None)
_TMP = tempfile.TemporaryDirectory(prefix="tap-findity-builtin-")
atexit.register(_TMP.cleanup)

TestTapFindity = get_tap_test_class(
    TapFindity,
    config={
        "api_url": f"{_URL}/api",
        "token_url": f"{_URL}/oauth/token",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "organization_id": ORGANIZATION_ID,
        "manifest_dir": f"{_TMP.name}/manifests",
        "files_dir": f"{_TMP.name}/files",
    },
    suite_config=SuiteConfig(max_records_limit=200),
)
