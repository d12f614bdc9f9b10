"""The write-back after the load: `ack` confirms exactly the exports the run extracted (reports SENT, the export
leaves the list), is safe to run twice, `fail` reports an error with a message, `content` attaches and reads
a file, and a plain run changes nothing in Findity."""

from __future__ import annotations

import json
import subprocess

from tests.findity.conftest import exports_in_findity, findity_config
from tests.helpers import BIN


def _writes(sandbox) -> list[dict]:
    return [r for r in sandbox.requests() if r["method"] != "GET" and r["path"] != "/oauth/token"]


def test_a_plain_run_changes_nothing_in_findity(findity, tap, config):
    assert tap(config).returncode == 0
    assert _writes(findity) == []
    assert all(e["status"] == "UNPROCESSED" for e in exports_in_findity(findity).values())


def test_ack_confirms_exactly_the_extracted_exports_and_is_safe_to_run_twice(findity, tap, writeback, config):
    run = tap(config)
    assert run.returncode == 0
    extracted = {e["id"] for e in run.records("exports")}
    late = findity.admin("POST", "/findity/bulk-send", {"count": 5})["export"]["id"]  # after the run
    reports_before = findity.admin("GET", "/findity/reports")

    first = writeback(config, "ack", "--json")
    assert first.returncode == 0, first.stderr
    acked = {json.loads(line)["exportId"] for line in first.stdout.splitlines()}
    assert acked == extracted
    state = exports_in_findity(findity)
    assert all(state[e]["status"] == "PROCESSED" for e in extracted)
    assert state[late]["status"] == "UNPROCESSED"
    reports = findity.admin("GET", "/findity/reports")
    assert reports["SENT"] == reports_before["SENT"] + 80 and reports["TRANSFER"] == 5

    writes = len(_writes(findity))
    second = writeback(config, "ack", "--json")
    assert second.returncode == 0 and second.stdout == "" and "nothing to acknowledge" in second.stderr
    assert len(_writes(findity)) == writes


def test_ack_counts_an_export_findity_already_shows_processed_as_confirmed(findity, tap, writeback, config):
    assert tap(config).returncode == 0
    export_id = next(iter(exports_in_findity(findity)))
    assert writeback(config, "fail", "--export-id", export_id, "--message", "x").returncode == 0
    result = writeback(config, "ack", "--json")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 7  # the failed one was already marked


def test_fail_reports_the_error_message_and_sends_the_reports_back(findity, tap, writeback, config):
    assert tap(config).returncode == 0
    export_id = sorted(exports_in_findity(findity))[0]
    result = writeback(config, "fail", "--export-id", export_id, "--message", "Konto 5831 saknas i bokföringen")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"tap-findity:fail: export {export_id}: ")
    assert result.stdout.endswith(" voucher(s) reported FAILED\n")
    export = exports_in_findity(findity)[export_id]
    assert export["status"] == "FAILED"
    assert findity.admin("GET", "/findity/reports")["READY_TO_SEND"] == 40 + 10


def test_content_can_be_attached_and_read_back(findity, tap, writeback, config, tmp_path):
    export_id = sorted(exports_in_findity(findity))[0]
    sie = tmp_path / "export.sie"
    sie.write_bytes('#FLAGGA 0\n#PROGRAM "tap-findity"\n'.encode("cp437"))
    put = writeback(
        config, "content", "put", "--export-id", export_id, "--file", str(sie), "--content-type", "text/plain"
    )
    assert put.returncode == 0, put.stderr
    out = tmp_path / "back.sie"
    got = writeback(config, "content", "get", "--export-id", export_id, "--output", str(out))
    assert got.returncode == 0, got.stderr
    assert out.read_bytes() == sie.read_bytes()
    assert exports_in_findity(findity)[export_id]["content"]["fileName"] == "export.sie"
    settings = tmp_path / "raw-config.json"
    settings.write_text(json.dumps(config))
    raw = subprocess.run(  # without --output the content itself is stdout, the human line goes to stderr
        [str(BIN / "tap-findity-writeback"), "--config", str(settings), "content", "get", "--export-id", export_id],
        capture_output=True,
        check=False,
    )
    assert raw.returncode == 0 and raw.stdout == sie.read_bytes()
    assert raw.stderr.decode().startswith(f"tap-findity:content: export {export_id}: content written to stdout")


def test_a_killed_run_leaves_no_manifest_so_ack_confirms_nothing(findity, tap, writeback, config):
    run = tap(config, stop_after_records=20)
    assert run.returncode != 0
    result = writeback(config, "ack", "--json")
    assert result.returncode == 0 and result.stdout == ""
    assert all(e["status"] == "UNPROCESSED" for e in exports_in_findity(findity).values())


def test_ack_errors_are_one_line(findity_factory, tap, writeback, tmp_path):
    sandbox = findity_factory()
    config = findity_config(sandbox, tmp_path)
    assert tap(config).returncode == 0
    sandbox.faults({"path": "/updatestatus$", "kind": "status", "status": 400, "code": "REQUIRED_FIELD", "times": None})
    result = writeback(config, "ack")
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and result.stderr.startswith("tap-findity: error: ")
    assert "REQUIRED_FIELD" in result.stderr
