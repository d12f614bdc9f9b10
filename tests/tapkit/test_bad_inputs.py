"""Every bad input ends in ONE stderr line naming the input and what to do, exit 1, no traceback, no request.

The same on all four taps (tapkit.inputs): config files that are missing or not JSON, state files that are not
JSON or not an object, a catalog selecting a stream the tap does not have, a bookmark that cannot be a value of
the stream's replication key; unknown config keys are one warning line.
"""

from __future__ import annotations

import json
import subprocess
import typing as t
from pathlib import Path

import pytest

from tests.candis.conftest import candis_config
from tests.findity.conftest import findity_config
from tests.helpers import BIN, Sandbox
from tests.ivesk.conftest import ivesk_config
from tests.pleo.conftest import pleo_config

#: tap -> (sandbox fixture, config for that sandbox, a stream with a date-time replication key: Findity has
#: none, its exports are a queue the write-back empties)
TAPS: dict[str, tuple[str, t.Callable[[Sandbox, Path], dict], str | None]] = {
    "tap-candis": ("candis", candis_config, "invoices"),
    "tap-pleo": ("pleo", pleo_config, "accounting_entries"),
    "tap-ivesk": ("ivesk", lambda sandbox, tmp: ivesk_config(sandbox), "documents"),
    "tap-findity": ("findity", findity_config, None),
}


def run(tap: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / tap), *args], capture_output=True, text=True, timeout=120, check=False)


def assert_one_line(proc: subprocess.CompletedProcess[str], tap: str, *fragments: str) -> None:
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    errors = [line for line in proc.stderr.splitlines() if ": error:" in line]
    assert len(errors) == 1 and errors[0].startswith(f"{tap}: error: "), proc.stderr[-2000:]
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    assert not proc.stdout.strip(), "nothing may be emitted before the input is checked"


@pytest.fixture(params=sorted(TAPS))
def tap_setup(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Sandbox, Path, str]:
    """(tap, its sandbox, a valid config file, a stream with a date-time replication key)."""
    fixture, make_config, stream = TAPS[request.param]
    sandbox = request.getfixturevalue(fixture)
    config = tmp_path / "config.json"
    config.write_text(json.dumps(make_config(sandbox, tmp_path)))
    return request.param, sandbox, config, stream


@pytest.mark.parametrize("tap", sorted(TAPS))
def test_a_config_file_that_is_missing_or_not_a_json_object_is_one_line(tap: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"api_url": "x",\n  oops}')
    assert_one_line(run(tap, "--config", str(broken)), tap, str(broken), "not valid JSON", "line 2 column 3")
    missing = tmp_path / "missing.json"
    assert_one_line(run(tap, "--config", str(missing)), tap, str(missing), "does not exist", "--config ENV")
    assert_one_line(run(tap, "--config", str(missing), "--discover"), tap, "does not exist")
    listed = tmp_path / "list.json"
    listed.write_text("[]")
    assert_one_line(run(tap, "--config", str(listed)), tap, "must hold a JSON object")


def test_bad_state_catalog_and_bookmarks_are_one_line_before_any_request(tap_setup, tmp_path: Path) -> None:
    tap, sandbox, config, stream = tap_setup
    sandbox.clear_requests()
    state = tmp_path / "state.json"
    state.write_text("{not json")
    assert_one_line(run(tap, "--config", str(config), "--state", str(state)), tap, "state file", "line 1 column 2")
    state.write_text("[]")
    assert_one_line(run(tap, "--config", str(config), "--state", str(state)), tap, "state file", "JSON object")
    assert_one_line(run(tap, "--config", str(config), "--state", str(tmp_path / "none.json")), tap, "does not exist")

    if stream:
        state.write_text(json.dumps({"bookmarks": {stream: {"replication_key_value": "not-a-date"}}}))
        proc = run(tap, "--config", str(config), "--state", str(state))
        assert_one_line(proc, tap, f"bookmark of stream {stream}", "'not-a-date'", "date-time")

    catalog = tmp_path / "catalog.json"
    entry = {"tap_stream_id": "no_such_stream", "stream": "no_such_stream", "schema": {"type": "object"}}
    entry["metadata"] = [{"breadcrumb": [], "metadata": {"selected": True}}]
    catalog.write_text(json.dumps({"streams": [entry]}))
    proc = run(tap, "--config", str(config), "--catalog", str(catalog))
    assert_one_line(proc, tap, "no_such_stream", f"{tap} does not have", stream or "exports")

    api_calls = [r for r in sandbox.requests() if "token" not in r["path"] and "/oauth" not in r["path"]]
    assert api_calls == [], "inputs must be checked before the first API request"


def test_an_unknown_setting_is_one_warning_line(tap_setup, tmp_path: Path) -> None:
    tap, _sandbox, config, _stream = tap_setup
    config.write_text(json.dumps({**json.loads(config.read_text()), "strat_date": "2024-01-01T00:00:00Z"}))
    catalog = tmp_path / "catalog.json"  # a catalog of nothing: the run ends before any request
    catalog.write_text(json.dumps({"streams": []}))
    proc = run(tap, "--config", str(config), "--catalog", str(catalog))
    warnings = [line for line in proc.stderr.splitlines() if "unknown setting" in line]
    assert len(warnings) == 1 and "strat_date" in warnings[0], proc.stderr[-2000:]
