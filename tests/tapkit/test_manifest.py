"""tapkit's run manifest: units of work begun, noted, completed or abandoned while a tap runs; only the
completed ones reach the file, which the write-back then acknowledges one by one."""

from __future__ import annotations

from tapkit.manifest import RunManifest


def test_only_completed_units_that_were_not_abandoned_are_written(tmp_path) -> None:
    manifest = RunManifest(tmp_path, "tap-x", "https://api.example|org-1")
    manifest.begin("job-1", {"jobId": "job-1"}, items="ids")
    manifest.note("job-1", "a")
    manifest.note("job-1", "b", derived=False)
    manifest.complete("job-1")
    manifest.begin("job-2", {"jobId": "job-2"}, items="ids")  # still being read when the run ended
    manifest.note("job-2", "c")
    manifest.begin("job-3", {"jobId": "job-3"}, items="ids")  # closed by the provider while it was read
    manifest.note("job-3", "d")
    manifest.abandon("job-3")
    manifest.complete("job-3")
    assert manifest.commit() == 1
    assert RunManifest(tmp_path, "tap-x", "https://api.example|org-1").unacknowledged() == {
        "job-1": {"jobId": "job-1", "ids": ["a", "b"], "derived": False}
    }


def test_a_flag_once_true_stays_true_and_acknowledged_units_are_not_offered_again(tmp_path) -> None:
    manifest = RunManifest(tmp_path, "tap-x", "scope")
    manifest.begin("export-1", {"voucherIds": [], "derivedIds": False}, items="voucherIds")
    for voucher, derived in (("v1", False), ("v2", True), ("v3", False)):
        manifest.note("export-1", voucher, derivedIds=derived)
    manifest.complete("export-1")
    manifest.commit()
    assert manifest.unacknowledged()["export-1"] == {"voucherIds": ["v1", "v2", "v3"], "derivedIds": True}
    manifest.mark_acked("export-1", {"status": "SENT"})
    assert manifest.unacknowledged() == {}
    assert RunManifest(tmp_path, "tap-x", "another scope").unacknowledged() == {}  # one file per scope
