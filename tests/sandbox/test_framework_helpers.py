"""The shared framework: offset paging engine, exact money, dates, PDFs, data helpers, server runner, CLI."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from sandbox.cli import main as cli_main
from sandbox.framework.data import Draws, MonotonicSchedule, Rng, iban_and_bic, iban_is_valid, mix64, vat_id
from sandbox.framework.money import decimal_str, net_and_tax, number, split
from sandbox.framework.paging import IndexedStream, Query
from sandbox.framework.pdf import pdf_size, tiny_pdf
from sandbox.framework.ratelimit import RollingWindowLimiter
from sandbox.framework.server import serve_in_thread
from sandbox.framework.timeutil import iso_ms, parse_iso8601


# ------------------------------------------------------------------------------------------- paging engine
def _brute_force(n, mkey, group_of, overlay, q):
    def mutable(i):
        return overlay.get(i, mkey(i))

    rows = []
    for i in range(n):
        if q.groups is not None and group_of(i) not in q.groups:
            continue
        if any((a is not None and key(i) < a) or (b is not None and key(i) > b) for key, a, b in q.ranges):
            continue
        if q.mutable_range is not None:
            a, b = q.mutable_range
            if (a is not None and mutable(i) < a) or (b is not None and mutable(i) > b):
                continue
        rows.append(i)
    rows.sort(key=(lambda i: (mutable(i), i)) if q.sort_by_mutable else (lambda i: i), reverse=q.descending)
    return len(rows), rows[q.offset : q.offset + q.limit]


def test_paging_engine_matches_brute_force_with_filters_sorting_and_overlay():
    rng = random.Random(3)
    for trial in range(60):
        n = rng.randint(1, 400)
        schedule = MonotonicSchedule(trial, n, 0, 10_000_000)
        created, updated = schedule.created, (lambda i, s=schedule: s.updated(i, 1000))
        group_of = lambda i, t=trial: mix64(t, i) % 4  # noqa: E731
        stream = IndexedStream(n, updated, group_of, 4)
        overlay = {
            i: rng.choice([updated(n - 1) + rng.randint(1, 50), rng.randint(0, 12_000_000)])
            for i in rng.sample(range(n), rng.randint(0, min(n, 30)))
        }
        for _ in range(10):
            lo, hi = sorted(rng.randint(-10, 12_000_000) for _ in range(2))
            q = Query(
                groups=rng.choice([None, [0], [1, 3], [0, 1, 2]]),
                ranges=rng.choice([[], [(created, lo, None)], [(created, lo, hi)]]),
                mutable_range=rng.choice([None, (lo, None), (None, hi), (lo, hi)]),
                sort_by_mutable=rng.random() < 0.5,
                descending=rng.random() < 0.5,
                offset=rng.randint(0, n),
                limit=rng.randint(1, 50),
            )
            page = stream.query(q, overlay)
            total, expected = _brute_force(n, updated, group_of, overlay, q)
            assert page.total == total
            assert [i for i, _ in page.items] == expected, (trial, q)
            assert all(flag == (i in overlay) for i, flag in page.items)


def test_monotonic_schedule_never_goes_backwards():
    schedule = MonotonicSchedule(key=99, n=5000, start_ms=0, end_ms=10**9)
    created = [schedule.created(i) for i in range(5000)]
    updated = [schedule.updated(i, 10) for i in range(5000)]
    assert created == sorted(created) and len(set(created)) == 5000
    assert updated == sorted(updated) and all(u >= c + 10 for u, c in zip(updated, created, strict=False))


# ------------------------------------------------------------------------------------------------- money
def test_money_numbers_render_exactly_with_at_most_two_decimals():
    for minor in [*list(range(-1000, 1000)), 10, 1010, 123456789, 999999999999, -99]:
        text = json.dumps(number(minor))
        assert ("." not in text) or len(text.split(".")[1]) <= 2, text
        assert Decimal(text) == Decimal(decimal_str(minor))
    assert decimal_str(-1230) == "-12.30" and decimal_str(5) == "0.05"
    assert json.dumps(number(1010)) == "10.1" and json.dumps(number(100)) == "1"


def test_splits_sum_exactly_and_net_plus_tax_is_gross():
    rng = random.Random(1)
    for _ in range(2000):
        total = rng.choice([-1, 1]) * rng.randint(0, 5_000_000)
        parts = split(total, rng.randint(1, 6), rng)
        assert sum(parts) == total and all((p >= 0) == (total >= 0) for p in parts)
        net, tax = net_and_tax(total, rng.choice([0, 7, 19]))
        assert net + tax == total


# ------------------------------------------------------------------------------------------ dates, data
@pytest.mark.parametrize(
    "text,expected",
    [
        ("2024-01-31", "2024-01-31T00:00:00.000Z"),
        ("2024-01-31T10:00:00Z", "2024-01-31T10:00:00.000Z"),
        ("2024-01-31T10:00:00.123Z", "2024-01-31T10:00:00.123Z"),
        ("2024-01-31T10:00:00.123456Z", "2024-01-31T10:00:00.123Z"),
        ("2024-01-31T12:00:00+02:00", "2024-01-31T10:00:00.000Z"),
        ("2024-01-31T05:30:00-0430", "2024-01-31T10:00:00.000Z"),
        ("2024-01-31T10:00:00", "2024-01-31T10:00:00.000Z"),
    ],
)
def test_iso8601_parsing(text, expected):
    assert iso_ms(parse_iso8601(text)) == expected


@pytest.mark.parametrize(
    "text", ["", "yesterday", "2024-02-30", "2024-01-31T25:00:00Z", "2024-01-31T10:00:00 02:00", "31.01.2024"]
)
def test_iso8601_rejects_garbage(text):
    with pytest.raises(ValueError):
        parse_iso8601(text)


def test_end_of_day_for_plain_dates():
    assert iso_ms(parse_iso8601("2024-01-31", end_of_day=True)) == "2024-01-31T23:59:59.999Z"


def test_generated_ibans_pass_the_mod97_check_and_vat_ids_have_their_format():
    rng = Rng("ibans")
    for country, length in (("DE", 22), ("LT", 20), ("SE", 24)):
        for _ in range(50):
            iban, bic = iban_and_bic(rng, country)
            assert len(iban) == length and iban_is_valid(iban) and len(bic) == 11
    assert iban_is_valid("DE89370400440532013000") and not iban_is_valid("DE89370400440532013001")
    assert vat_id(rng, "DE").startswith("DE") and len(vat_id(rng, "DE")) == 11


def test_record_rng_and_draws_are_pure_functions_of_their_key():
    assert Rng("42:x:1").uuid() == Rng("42:x:1").uuid() != Rng("42:x:2").uuid()
    assert Draws(5, 9).unit(3) == Draws(5, 9).unit(3) and Draws(5, 9).u64(3) == mix64(5, 9, 3)


def test_tiny_pdf_is_structurally_valid_and_its_size_is_predicted():
    pdf = tiny_pdf(["Rechnung RE-2024-00001", "Betrag: 1.234,56 €", "Klammern (und) \\ Backslash"])
    assert pdf.startswith(b"%PDF-1.4") and pdf.endswith(b"%%EOF\n")
    xref_at = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert pdf[xref_at:].startswith(b"xref\n0 6\n")
    offsets = [int(line[:10]) for line in pdf[xref_at:].split(b"\n")[3:8]]
    for number_, offset in enumerate(offsets, start=1):
        assert pdf[offset:].startswith(f"{number_} 0 obj".encode())
    rng = random.Random(2)
    for _ in range(300):
        lines = [
            "".join(rng.choice("abcÄöü€()\\ xyz–9") for _ in range(rng.randint(0, 40)))
            for _ in range(rng.randint(1, 6))
        ]
        assert pdf_size(lines) == len(tiny_pdf(lines))


def test_rate_limiter_rolling_window():
    limiter = RollingWindowLimiter(window=60)
    assert [limiter.check("org", 2, t) for t in (0.0, 1.0)] == [None, None]
    assert limiter.check("org", 2, 30.0) == 30
    assert limiter.check("other", 2, 30.0) is None
    assert limiter.check("org", 2, 60.0) is None  # the t=0 slot freed
    assert limiter.check("org", 0, 60.5) is None  # 0 disables


# ------------------------------------------------------------------------------------- server runner, CLI
def test_serve_in_thread_serves_and_releases_its_port():
    from sandbox.candis import create_app

    with serve_in_thread(create_app()) as base_url:
        assert requests.get(base_url + "/_sandbox/health", timeout=5).json() == {"provider": "candis", "status": "ok"}
        port = int(base_url.rsplit(":", 1)[1])
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_cli_ground_truth_prints_the_json(candis_server, capsys):
    assert cli_main(["ground-truth", "--url", candis_server]) == 0
    assert json.loads(capsys.readouterr().out)["provider"] == "candis"
    assert cli_main(["ground-truth", "--url", "http://127.0.0.1:9"]) == 1
    assert "cannot read" in capsys.readouterr().err


def test_cli_serve_writes_the_port_file_prints_urls_and_stops_on_sigterm(tmp_path: Path):
    port_file = tmp_path / "ports.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox",
            "serve",
            "--providers",
            "candis",
            "--candis-port",
            "0",
            "--scale",
            "60",
            "--quiet",
            "--port-file",
            str(port_file),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # printed once the server accepts connections
        name, url = line.split()
        assert name == "candis" and url.startswith("http://127.0.0.1:")
        assert json.loads(port_file.read_text()) == {"candis": url}
        assert requests.get(url + "/_sandbox/ground-truth", timeout=10).json()["streams"]["invoices"]["count"] == 60
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert not port_file.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_cli_rejects_unknown_providers(capsys):
    assert cli_main(["serve", "--providers", "nope"]) == 2
    assert "unknown provider" in capsys.readouterr().err
