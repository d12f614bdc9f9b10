"""A body that keeps breaking off after its headers — a large JSON body read item by item (tapkit.resumable) or
an attachment download (tapkit.files) — is retried, and when every try failed the one error line names the
method, the path and the cause in words (tapkit.http's describing helpers): never the host and port (which a
read timeout's own text holds), the query string or a secret.

Over real HTTP on loopback: a stalling server for the read timeout in the middle of a body, the sandboxes for
connections cut off in the middle of a body.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import typing as t
from pathlib import Path
from urllib.parse import urlparse

import pytest
from sandbox.findity import ORGANIZATION_ID
from sandbox.ivesk import API_KEY as IVESK_KEY
from tap_ivesk.tap import TapIvesk
from tapkit.files import FileSink, download
from tapkit.http import RetriesExhaustedError
from tapkit.resumable import read_resumably

from tests.findity.conftest import findity_config
from tests.helpers import run_tap
from tests.ivesk.conftest import ivesk_config

if t.TYPE_CHECKING:
    from collections.abc import Iterator

HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"


@contextlib.contextmanager
def stalling_server() -> Iterator[str]:
    """A loopback server answering every request with its headers and the first bytes of a body, then nothing
    until the client hangs up: the client's read times out in the middle of the body."""
    listener = socket.create_server(("127.0.0.1", 0))

    def answer(conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)  # the request
            conn.sendall(HEAD + b'{"items": [1, 2, ')
            while conn.recv(65536):  # until the client closes the connection
                pass

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:  # closed: the test is over
                return
            threading.Thread(target=answer, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


def stream_of(url: str) -> t.Any:
    """A real tap stream (tapkit's request policy) against `url`: one retry, a 1 s timeout."""
    config = {"api_key": IVESK_KEY, "api_url": url, "max_retries": 1, "request_timeout": 1}
    return TapIvesk(config=config, setup_mapper=False).streams["documents"]


def assert_says_no_host(text: str, url: str) -> None:
    """Not the host, the port, a query string or the API key (in one message, or the failure lines of a log)."""
    if "\n" in text:  # a log: its retry warnings and its error line (metrics hold numbers that may look like ports)
        text = "\n".join(line for line in text.splitlines() if "WARNING" in line or ": error:" in line)
    where = urlparse(url)
    assert where.hostname not in text and str(where.port) not in text, text
    assert "?" not in text and "HTTPConnectionPool" not in text and IVESK_KEY not in text, text


def test_a_read_timeout_in_the_middle_of_a_json_body_names_the_request_and_the_timeout(caplog) -> None:
    with stalling_server() as url, caplog.at_level(logging.WARNING):
        stream = stream_of(url)
        items = read_resumably(
            stream,
            f"{url}/exports/e1/postings?token=s3cr3t",
            lambda r: enumerate(r.iter_content(4)),
            retry_message="Re-reading",
        )
        with pytest.raises(RetriesExhaustedError) as failure:
            list(items)
    assert str(failure.value) == "GET /exports/e1/postings: incomplete response after 2 tries (read timeout 1 s)"
    retried = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Re-reading")]
    assert retried == ["Re-reading (try 1 failed): GET /exports/e1/postings: incomplete response (read timeout 1 s)"]
    for text in (str(failure.value), *retried):
        assert_says_no_host(text, url)
        assert "s3cr3t" not in text


def test_a_download_timing_out_in_the_middle_names_the_request_and_the_timeout(tmp_path: Path, caplog) -> None:
    with stalling_server() as url, caplog.at_level(logging.WARNING):
        stream = stream_of(url)
        with pytest.raises(RetriesExhaustedError) as failure:
            download(stream, f"{url}/files/r1.pdf?X-Amz-Signature=abc", FileSink(str(tmp_path)), ("o", "r1.pdf"))
    assert str(failure.value) == "GET /files/r1.pdf: incomplete download after 2 tries (read timeout 1 s)"
    retried = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Download of")]
    assert retried == [
        "Download of r1.pdf broke off (try 1 failed): GET /files/r1.pdf: incomplete download (read timeout 1 s); "
        "retrying"
    ]
    for text in (str(failure.value), *retried):
        assert_says_no_host(text, url)
        assert "X-Amz-Signature" not in text
    assert list(tmp_path.rglob("*.pdf")) == []  # nothing half-written is left as a stored file


CUT = "(the connection broke off in the middle of the body)"
#: tap -> (sandbox fixture, config, faulted path, how the error line starts and ends, the retry warning)
CUT_OFF = {
    "tap-findity": (
        "findity",
        lambda sandbox, tmp: findity_config(sandbox, tmp, max_retries=1),
        "/export$",  # the export's package, read item by item (tapkit.resumable)
        f"GET /api/v1/connect/organizations/{ORGANIZATION_ID}/exports/",
        f"/export: incomplete response after 2 tries {CUT}",
        "(try 1 failed): GET /api/v1/connect/organizations/",
    ),
    "tap-ivesk": (
        "ivesk",
        lambda sandbox, tmp: ivesk_config(sandbox, max_retries=1, files_dir=str(tmp / "files")),
        r"\.pdf$",  # a document's PDF (tapkit.files)
        "GET /documents/",
        f".pdf: incomplete download after 2 tries {CUT}",
        "broke off (try 1 failed): GET /documents/",
    ),
}


@pytest.mark.parametrize("tap", sorted(CUT_OFF))
def test_a_body_cut_off_on_every_try_ends_the_run_in_one_line_naming_path_and_cause(request, tmp_path, tap) -> None:
    fixture, make_config, path, starts, ends, warning = CUT_OFF[tap]
    sandbox = request.getfixturevalue(fixture)
    sandbox.faults({"path": path, "kind": "drop", "mode": "truncated_body", "times": None})
    run = run_tap(tap, make_config(sandbox, tmp_path), tmp_path)
    assert run.returncode == 1, run.stderr[-2000:]
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith(f"{tap}: error: {starts}") and last.endswith(ends), last
    assert "Traceback" not in run.stderr
    assert warning in run.stderr  # the retry said so too
    assert_says_no_host(run.stderr, sandbox.url)
