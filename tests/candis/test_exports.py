"""create_export, the asynchronous EXPORTING state, and exports that finish after the run."""

from __future__ import annotations

from tests.candis.conftest import candis_config


def _postings_of(run, export_id: str) -> list[dict]:
    return [p for p in run.records("postings") if p["exportId"] == export_id]


def test_created_export_is_waited_for_and_synced(candis_factory, tmp_path, tap) -> None:
    sandbox = candis_factory(export_delay=0.3)
    run = tap(candis_config(sandbox, tmp_path, create_export=True, export_wait_timeout=30))
    assert run.returncode == 0, run.stderr[-2000:]
    posts = [r for r in sandbox.requests() if r["method"] == "POST" and r["path"].endswith("/exports")]
    assert len(posts) == 1
    created = [e for e in run.records("exports") if e["status"] != "EXPORTING"]
    newest = max(created, key=lambda e: e["createdAt"])
    assert newest["postingsCount"] == 12  # the sandbox's pool of exportable documents
    assert len(_postings_of(run, newest["id"])) == 12
    assert not run.state["bookmarks"]["exports"].get("pending_exports")


def test_nothing_to_export_is_not_an_error(candis_factory, tmp_path, tap) -> None:
    sandbox = candis_factory()
    run = tap(candis_config(sandbox, tmp_path, create_export=True, export_entity_types=["CARD_TRANSACTION"]))
    assert run.returncode == 0, run.stderr[-2000:]
    assert "nothing exportable of type CARD_TRANSACTION" in run.stderr


def test_export_still_exporting_is_delivered_next_run_even_after_a_newer_export(candis_factory, tmp_path, tap) -> None:
    sandbox = candis_factory(export_delay=3600)
    config = candis_config(sandbox, tmp_path, create_export=True, export_wait_timeout=1)
    first = tap(config)
    assert first.returncode == 0, first.stderr[-2000:]
    running = [e for e in first.records("exports") if e["status"] == "EXPORTING"]
    assert len(running) == 1
    slow_id = running[0]["id"]
    assert not _postings_of(first, slow_id)
    assert first.state["bookmarks"]["exports"]["pending_exports"] == [slow_id]

    # A newer export is created and finishes before the slow one does: the createdAt bookmark moves past it.
    sandbox.admin("POST", "/candis/exportable", {"entityType": "DOCUMENT", "count": 3})
    sandbox.configure(export_delay=0)
    second = tap(config, state=first.state)
    assert second.returncode == 0, second.stderr[-2000:]
    assert (
        first.state["bookmarks"]["exports"]["replication_key_value"]
        < second.state["bookmarks"]["exports"]["replication_key_value"]
    )
    assert not _postings_of(second, slow_id)
    assert second.state["bookmarks"]["exports"]["pending_exports"] == [slow_id]

    sandbox.admin("POST", f"/candis/exports/{slow_id}/complete")
    third = tap(candis_config(sandbox, tmp_path), state=second.state)
    assert third.returncode == 0, third.stderr[-2000:]
    assert len(_postings_of(third, slow_id)) == 12
    assert not third.state["bookmarks"]["exports"].get("pending_exports")
