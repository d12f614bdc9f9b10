"""`tap-ivesk-commands upload` and `report-sync-error`: the full loop upload → digitized → exported → extracted."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

from tests.ivesk.conftest import ivesk_config

BIN = Path(sys.executable).parent
PDF = b"%PDF-1.4\n% a scanned invoice\n"


def command(config: dict, tmp: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    argv = [str(BIN / "tap-ivesk-commands")]
    if config is not None:
        path = tmp / "commands-config.json"
        path.write_text(json.dumps(config))
        argv += ["--config", str(path)]
    return subprocess.run([*argv, *args], capture_output=True, text=True, timeout=120, check=False, env=env)


def test_uploaded_files_come_back_exported_with_their_sourcedata_id(ivesk_factory, tap, tmp_path):
    sandbox = ivesk_factory(digitize_delay=3600)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n in range(3):
        (inbox / f"saskaita-{n}.pdf").write_bytes(PDF + str(n).encode())
    (inbox / "notes.txt").write_text("not an invoice")  # skipped: not a supported type
    done = command(
        ivesk_config(sandbox), tmp_path, "upload", "--json", str(inbox), "--id-from", "name", "--customdata", "batch-7"
    )
    assert done.returncode == 0, done.stderr
    mapping = [json.loads(line) for line in done.stdout.splitlines()]
    assert [m["sourcedata"]["id"] for m in mapping] == ["saskaita-0.pdf", "saskaita-1.pdf", "saskaita-2.pdf"]
    assert {m["status"] for m in mapping} == {"uploaded"}

    digitizing = tap(ivesk_config(sandbox, queue="digitized"))
    assert not [d for d in digitizing.records("documents") if d.get("sourcedata")]  # still being digitized
    sandbox.admin("POST", "/ivesk/digitize", {})
    digitized = tap(ivesk_config(sandbox, queue="digitized"), state=digitizing.state)
    assert sorted(d["sourcedata"]["id"] for d in digitized.records("documents")) == [
        m["sourcedata"]["id"] for m in mapping
    ]
    ids = [d["id"] for d in digitized.records("documents")]
    sandbox.admin("POST", "/ivesk/export", {"ids": ids})
    exported = [d for d in tap(ivesk_config(sandbox)).records("documents") if d.get("sourcedata")]
    assert sorted((d["sourcedata"]["id"], d["sourcedata"]["customdata"]) for d in exported) == [
        (m["sourcedata"]["id"], "batch-7") for m in mapping
    ]


def test_upload_reads_settings_from_meltano_style_environment(ivesk, tmp_path):
    (tmp_path / "one.pdf").write_bytes(PDF)
    env = {"PATH": "/usr/bin:/bin", "TAP_IVESK_API_URL": ivesk.url, "TAP_IVESK_API_KEY": ivesk_config(ivesk)["api_key"]}
    done = command(None, tmp_path, "--json", "upload", str(tmp_path / "one.pdf"), "--id", "erp-1", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["sourcedata"] == {"id": "erp-1"}
    assert [u["sourcedata"] for u in ivesk.admin("GET", "/ivesk/uploads")] == [{"id": "erp-1"}]
    assert ivesk.admin("GET", "/ground-truth")["presignedRequestsWithApiKey"] == 0  # the key stays off S3


def test_upload_failures_are_one_line_and_exit_1(ivesk, tmp_path):
    (tmp_path / "a.pdf").write_bytes(PDF)
    missing = command(ivesk_config(ivesk), tmp_path, "upload", str(tmp_path / "nope.pdf"))
    assert (
        missing.returncode == 1
        and missing.stderr.strip() == f"tap-ivesk: error: {tmp_path / 'nope.pdf'}: no such file or directory"
    )
    wrong_key = command(ivesk_config(ivesk, api_key="dp_wrong"), tmp_path, "upload", "--json", str(tmp_path / "a.pdf"))
    assert wrong_key.returncode == 1 and "the API key was rejected" in wrong_key.stderr
    assert "dp_wrong" not in wrong_key.stderr + wrong_key.stdout and "Traceback" not in wrong_key.stderr
    assert json.loads(wrong_key.stdout)["status"] == "failed"
    no_key = command({"api_url": ivesk.url}, tmp_path, "upload", str(tmp_path / "a.pdf"))
    assert no_key.returncode == 1 and "missing setting api_key" in no_key.stderr


def test_upload_retries_a_throttled_upload_location(ivesk, tmp_path):
    (tmp_path / "a.pdf").write_bytes(PDF)
    ivesk.faults(
        {"path": "^/uploadlocation/", "kind": "status", "status": 429, "retry_after": 0, "times": 2},
        {"path": "^/public/", "kind": "status", "status": 503, "times": 1},
    )
    done = command(ivesk_config(ivesk), tmp_path, "upload", str(tmp_path / "a.pdf"), "--id", "x")
    assert done.returncode == 0, done.stderr
    assert [u["status"] for u in ivesk.admin("GET", "/ivesk/uploads")][-1] in ("digitizing", "digitized")


def test_max_retries_0_means_one_attempt_for_the_api_and_for_the_presigned_upload(ivesk, tmp_path):
    (tmp_path / "a.pdf").write_bytes(PDF)
    no_retries = ivesk_config(ivesk, max_retries=0)
    ivesk.faults({"path": "^/uploadlocation/", "kind": "status", "status": 429, "retry_after": 0, "times": 1})
    throttled = command(no_retries, tmp_path, "upload", str(tmp_path / "a.pdf"), "--id", "a")
    assert throttled.returncode == 1 and "GET /uploadlocation/a.pdf: HTTP 429" in throttled.stderr
    assert [r["status"] for r in ivesk.requests() if r["path"].startswith("/uploadlocation/")] == [429]

    ivesk.clear_requests()
    ivesk.faults({"path": "^/public/", "method": "PUT", "kind": "status", "status": 503, "times": 1})
    refused = command(no_retries, tmp_path, "upload", str(tmp_path / "a.pdf"), "--id", "a")
    assert refused.returncode == 1 and "PUT /public/" in refused.stderr and "HTTP 503" in refused.stderr
    assert [r["status"] for r in ivesk.requests() if r["path"].startswith("/public/")] == [503]
    assert "Signature=" not in refused.stderr and "Traceback" not in refused.stderr


def test_the_presigned_upload_is_retried_by_the_taps_policy_with_the_whole_file_and_without_the_key(ivesk, tmp_path):
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(PDF * 1000)
    ivesk.faults({"path": "^/public/", "method": "PUT", "kind": "status", "status": 503, "retry_after": 0, "times": 2})
    done = command(ivesk_config(ivesk, max_retries=2), tmp_path, "upload", "--json", str(scan), "--id", "scan-1")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "file": str(scan),
        "sourcedata": {"id": "scan-1"},
        "status": "uploaded",
        "size": len(PDF * 1000),
    }
    assert [r["status"] for r in ivesk.requests() if r["path"].startswith("/public/")] == [503, 503, 200]
    (upload,) = ivesk.admin("GET", "/ivesk/uploads")
    assert upload["sha256"] == hashlib.sha256(PDF * 1000).hexdigest()  # every attempt sent the file from its start
    assert ivesk.admin("GET", "/ground-truth")["presignedRequestsWithApiKey"] == 0


def test_report_sync_error_reaches_the_accountant(ivesk, tap, tmp_path):
    doc = tap(ivesk_config(ivesk)).records("documents")[0]
    done = command(
        ivesk_config(ivesk),
        tmp_path,
        "report-sync-error",
        "--document-id",
        doc["id"],
        "--company-code",
        doc["companycode"],
        "--message",
        "Country 'Japan' does not exist in the list.",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"tap-ivesk:report-sync-error: document {doc['id']} ")
    assert done.stdout.strip().endswith(": sync error reported")
    (stored,) = ivesk.admin("GET", "/ground-truth")["syncerrors"]
    assert (stored["documentid"], stored["companycode"], stored["message"]) == (
        doc["id"],
        doc["companycode"],
        "Country 'Japan' does not exist in the list.",
    )


def test_report_sync_errors_from_a_file_and_fail_clearly_for_an_unknown_document(ivesk, tap, tmp_path):
    doc = tap(ivesk_config(ivesk)).records("documents")[0]
    reports = tmp_path / "errors.jsonl"
    reports.write_text(
        json.dumps({"documentid": doc["id"], "companycode": doc["companycode"], "message": "VAT code unknown"})
        + "\n"
        + json.dumps({"documentid": "no-such-doc", "companycode": doc["companycode"], "message": "x"})
        + "\n"
    )
    done = command(ivesk_config(ivesk), tmp_path, "report-sync-error", "--json", "--file", str(reports))
    assert done.returncode == 1
    assert [json.loads(line)["status"] for line in done.stdout.splitlines()] == ["reported", "failed"]
    assert "POST /syncerrors: HTTP 404: Document no-such-doc not found" in done.stderr
    assert len(ivesk.admin("GET", "/ivesk/syncerrors")) == 1
    incomplete = command(ivesk_config(ivesk), tmp_path, "report-sync-error", "--document-id", doc["id"])
    assert incomplete.returncode == 1 and "missing --company-code, --message" in incomplete.stderr
