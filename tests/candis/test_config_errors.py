"""Bad configuration or state: one line that says what to do, exit status 1, no traceback."""

from __future__ import annotations

import pytest

from tests.candis.conftest import candis_config
from tests.helpers import run_tap


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"client_id": None}, "missing setting(s) client_id"),
        ({"refresh_token": None, "client_secret": None}, "missing setting(s) client_secret, refresh_token"),
        ({"start_date": "last tuesday"}, "start_date"),
        ({"api_url": "api.candis.io"}, "api_url 'api.candis.io' must start with http"),
        ({"export_entity_types": ["INVOICE"]}, "export_entity_types has unknown value(s) ['INVOICE']"),
        # only the enum values Candis's OpenAPI accepts are ever sent
        ({"invoice_statuses": ["APPROVED", "PAID"]}, "invoice_statuses has unknown value(s) ['PAID']"),
        ({"purchase_request_statuses": ["OPEN"]}, "purchase_request_statuses has unknown value(s) ['OPEN']"),
        ({"max_retries": "many"}, "invalid configuration"),
    ],
)
def test_bad_config_is_one_clear_line(candis, tmp_path, overrides, expected) -> None:
    config = {k: v for k, v in {**candis_config(candis, tmp_path), **overrides}.items() if v is not None}
    run = run_tap("tap-candis", config, tmp_path)
    assert run.returncode == 1
    lines = [line for line in run.stderr.strip().splitlines() if "error" in line.lower()]
    assert lines and lines[-1].startswith("tap-candis: error:"), run.stderr
    assert expected in lines[-1]
    assert "Traceback" not in run.stderr
    assert not run.records("exports")
