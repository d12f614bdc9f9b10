"""tapkit.files: storing attachments, and rebuilding a stored file's record without fetching it again."""

from __future__ import annotations

import datetime
import hashlib
import os

import pytest
from tapkit.files import FileSink, store_file


class _NoNetwork:
    """A stream stand-in whose every request fails the test."""

    config: dict = {}

    def build_prepared_request(self, **_: object) -> None:
        pytest.fail("a stored file was fetched again")


@pytest.mark.parametrize("root", ["local", "memory://tapkit-test"])
def test_a_stored_file_is_rebuilt_from_storage_with_its_original_values(tmp_path, root) -> None:
    sink = FileSink(str(tmp_path) if root == "local" else root)
    size, digest, path = sink.write([b"%PDF-1.4 ", b"body"], "p", "org", "owner", "r1.pdf")
    if root == "local":  # the file was written an hour ago: the rebuilt record says so, not "now" or null
        hour_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
        os.utime(tmp_path / "p" / "org" / "owner" / "r1.pdf", (hour_ago.timestamp(), hour_ago.timestamp()))

    found = store_file(_NoNetwork(), sink, "https://storage.invalid/r1", ("p", "org", "owner", "r1.pdf"))

    assert found is not None
    assert (found["size"], found["sha256"], found["path"]) == (size, digest, path)
    assert found["sha256"] == hashlib.sha256(b"%PDF-1.4 body").hexdigest()
    assert found["contentType"] == "application/pdf"  # from the name when the provider gives none
    written = datetime.datetime.fromisoformat(found["downloadedAt"])
    age = datetime.datetime.now(datetime.UTC) - written
    if root == "local":
        assert datetime.timedelta(minutes=59) < age < datetime.timedelta(minutes=61)
    else:
        assert age < datetime.timedelta(minutes=1)
    assert sink.names_in("p", "org", "owner") == {"r1.pdf"}


def test_nothing_stored_and_no_url_is_no_record(tmp_path) -> None:
    sink = FileSink(str(tmp_path))
    assert store_file(_NoNetwork(), sink, None, ("a", "b.pdf")) is None
    assert sink.names_in("a") == set()


def test_a_stored_files_digest_comes_from_its_sidecar_not_from_reading_it_again(tmp_path, monkeypatch) -> None:
    sink = FileSink(str(tmp_path))
    _, digest, _ = sink.write([b"%PDF receipt"], "o", "r2.pdf")
    assert (tmp_path / "o" / ".r2.pdf.sha256").read_text().split() == [digest, "12"]
    assert sink.names_in("o") == {"r2.pdf"}  # sidecars are not stored files

    def no_reading(*_: object) -> str:
        raise AssertionError("the stored file was read again")

    monkeypatch.setattr(sink, "sha256_of", no_reading)
    assert sink.stored("o", "r2.pdf")["sha256"] == digest
    monkeypatch.undo()

    (tmp_path / "o" / ".r2.pdf.sha256").write_text(f"{digest} 999\n")  # does not match the file: recomputed
    (tmp_path / "o" / "r2.pdf").write_bytes(b"%PDF other!!")
    fresh = hashlib.sha256(b"%PDF other!!").hexdigest()
    assert sink.stored("o", "r2.pdf")["sha256"] == fresh
    assert (tmp_path / "o" / ".r2.pdf.sha256").read_text().split() == [fresh, "12"]
