"""`python -m benchmarks.run`: a bad argument is one line on stderr and exit status 2, before any sandbox starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.providers import MEASURABLE, NAMES, load
from benchmarks.run import parse_args

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--providers", "candis,findity"],
            "argument --providers: invalid provider 'candis,findity': separate several with spaces, not commas "
            "(e.g. candis findity)",
        ),
        (
            ["--providers", "candis", "nope"],
            "argument --providers: unknown provider 'nope' (choose from candis, pleo, findity, ivesk)",
        ),
        (["--providers"], "argument --providers: expected at least one argument"),
        (
            ["--providers", "candis", "--streams", "nope"],
            "argument --streams: candis has no stream 'nope' to measure "
            "(choose from postings, reimbursement_items, invoices, purchase_requests)",
        ),
        (
            ["--providers", "candis", "pleo", "--streams", "postings"],
            "argument --streams: pleo has no stream 'postings' to measure "
            "(choose from accounting_entries, export_job_items, export_items)",
        ),
        (
            ["--streams", "documents"],  # every provider by default: candis has no documents
            "argument --streams: candis has no stream 'documents' to measure "
            "(choose from postings, reimbursement_items, invoices, purchase_requests)",
        ),
        (
            ["--providers", "candis", "--streams", "postings,invoices"],
            "argument --streams: invalid stream 'postings,invoices': separate several with spaces, not commas "
            "(e.g. postings invoices)",
        ),
        (
            ["--sizes", "10k"],
            "argument --sizes: invalid size '10k': a sandbox scale is a whole number, 0 or more "
            "(e.g. --sizes 10000 100000)",
        ),
        (
            ["--sizes", "-5"],
            "argument --sizes: invalid size '-5': a sandbox scale is a whole number, 0 or more "
            "(e.g. --sizes 10000 100000)",
        ),
        (["--sizes"], "argument --sizes: expected at least one argument"),
        (
            ["--latency", "fast"],
            "argument --latency: invalid latency 'fast': whole milliseconds, 0 or more (e.g. --latency 150 300)",
        ),
        (
            ["--latency", "150", "--parallel", "0"],
            "argument --parallel: invalid parallelism '0': a whole number, 1 or more (e.g. --parallel 1 8)",
        ),
        (
            ["--latency", "150", "--providers", "candis", "--streams", "postings"],
            "argument --streams: the network mode (--latency) syncs every stream",
        ),
        (["--colour"], "unrecognized arguments: --colour"),
    ],
    ids=[
        "comma-providers",
        "unknown-provider",
        "no-provider",
        "unknown-stream",
        "stream-of-another-provider",
        "stream-not-in-every-default-provider",
        "comma-streams",
        "size-not-a-number",
        "negative-size",
        "no-size",
        "latency-not-a-number",
        "no-parallelism",
        "streams-in-network-mode",
        "unknown-option",
    ],
)
def test_a_bad_argument_is_one_line_and_exit_status_2(capsys, argv: list[str], message: str) -> None:
    with pytest.raises(SystemExit) as exit_:
        parse_args(argv)
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [f"{Path(sys.argv[0]).name}: error: {message}"]


def test_valid_arguments_parse_as_before() -> None:
    defaults = parse_args([])
    assert (defaults.sizes, defaults.providers, defaults.streams) == ([10_000, 100_000], list(NAMES), None)
    chosen = parse_args(
        ["--sizes", "0", "2000", "--providers", "pleo", "--streams", "accounting_entries", "export_items"]
    )
    assert (chosen.sizes, chosen.providers, chosen.streams) == (
        [0, 2000],
        ["pleo"],
        ["accounting_entries", "export_items"],
    )


def test_the_measurable_streams_are_those_the_baselines_read() -> None:
    assert set(MEASURABLE) == set(NAMES)
    for name in NAMES:
        spec = load(name)
        assert set(spec.STREAMS) <= set(MEASURABLE[name]), f"{name}: a default stream is not measurable"
        for stream in MEASURABLE[name]:
            assert stream in spec.selected(stream)
    assert set(MEASURABLE["candis"]) == {"postings", *load("candis").LISTS}


def test_the_command_answers_a_comma_list_with_one_line() -> None:
    """The real command line (no sandbox is started: the arguments are checked first)."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--providers", "candis,findity"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "run.py: error: argument --providers: invalid provider 'candis,findity': "
        "separate several with spaces, not commas (e.g. candis findity)"
    ]
