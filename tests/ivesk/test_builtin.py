"""singer-sdk's built-in tap tests (discovery, sync, schema/record conformance) against the sandbox."""

from __future__ import annotations

import base64
import json

import requests
from sandbox.ivesk import API_KEY, IveskConfig, create_app
from singer_sdk.testing import SuiteConfig, get_tap_test_class
from tap_ivesk.tap import TapIvesk

from tests.helpers import serve_for_session

# The test class is built at import time, so the sandbox it talks to starts here and stops at exit.
_URL, _TMP_DIR = serve_for_session(create_app(IveskConfig(scale=150, digitize_delay=0)), "tap-ivesk-builtin-")
# One uploaded, digitized and exported document, so the optional upload fields (sourcedata, userdata, tags)
# appear in records too.
_location = requests.get(
    f"{_URL}/uploadlocation/builtin.pdf",
    headers={"x-api-key": API_KEY},
    timeout=30,
    params={
        "sourcedata": base64.b64encode(json.dumps({"id": "builtin-1", "customdata": "x"}).encode()).decode(),
        "userdata": "legacy",
        "tags": "a,b",
    },
).json()
requests.put(
    _location["url"],
    data=b"%PDF-1.4 builtin",
    timeout=30,
    headers={"Content-Type": _location["Content-Type"], "Content-Disposition": _location["Content-Disposition"]},
).raise_for_status()
requests.post(f"{_URL}/_sandbox/ivesk/export", json={}, timeout=30).raise_for_status()

TestTapIvesk = get_tap_test_class(
    TapIvesk,
    config={
        "api_url": _URL,
        "api_key": API_KEY,
        "company_codes": ["302320404", "304567812"],
        "files_dir": f"{_TMP_DIR}/files",
        "start_date": "2025-01-01T00:00:00Z",
    },
    suite_config=SuiteConfig(max_records_limit=200),
)
