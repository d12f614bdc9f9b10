"""Bad config and bad responses give one line `tap-findity: error: ...`, exit 1, no traceback."""

from __future__ import annotations

import pytest

from tests.findity.conftest import findity_config


def _one_line(run) -> str:
    assert run.returncode == 1, run.stderr[-1500:]
    lines = [ln for ln in run.stderr.splitlines() if ln.startswith("tap-findity: error: ")]
    assert len(lines) == 1, run.stderr[-1500:]
    assert "Traceback" not in run.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"client_secret": "wrong"}, "credentials rejected: invalid_client (HTTP 401 from POST /oauth/token"),
        ({"organization_id": "0" * 32}, "ORGANIZATION_NOT_FOUND"),
        ({"token_url": "not-a-url"}, "token_url"),
        ({"api_url": "ftp://x"}, "api_url"),
        ({"start_date": "yesterday"}, "start_date"),
    ],
)
def test_bad_config_is_one_actionable_line(findity, tap, tmp_path, override, expected):
    line = _one_line(tap(findity_config(findity, tmp_path, **override)))
    assert expected in line


def test_missing_client_secret_is_one_line(findity, tap, tmp_path):
    config = findity_config(findity, tmp_path)
    del config["client_secret"]
    assert "client_secret" in _one_line(tap(config))


def test_missing_recipient_names_the_provider_code(findity, tap, config):
    findity.configure(recipient_configured=False)
    assert "RECIPIENT_NOT_FOUND" in _one_line(tap(config))


def test_an_html_error_page_instead_of_json_fails_after_retries_in_one_line(findity, tap, config):
    findity.faults({"path": "/exports$", "kind": "malformed", "body": "html", "times": None})
    assert "expected JSON" in _one_line(tap(config))


def test_a_list_that_is_neither_array_nor_envelope_is_one_line(findity, tap, config):
    findity.faults({"path": "/exports$", "kind": "malformed", "body": "missing_keys", "times": None})
    assert "expected a JSON array" in _one_line(tap(config))
