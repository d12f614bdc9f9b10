"""Benchmark harness: each tap vs. a bare requests+json loop, against the sandbox in its own process.

For each provider, size and stream it measures records/second and peak resident memory (the child's own
VmHWM, sampled from /proc) of:
  - the tap, with only that stream (and its parents) selected, Singer output to /dev/null, and
  - the baseline (benchmarks/providers/<name>.py: the same endpoints with plain requests + json),
and counts the requests each made (from the sandbox's request log).

    .venv/bin/python -m benchmarks.run --sizes 10000 100000 [--providers candis] [--streams postings ...]

Prints a Markdown table and writes it to benchmarks/results/latest.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import typing as t
from pathlib import Path

import requests

from benchmarks.markdown import markdown_table
from benchmarks.providers import MEASURABLE, NAMES, load

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent


def start_sandbox(
    provider: str, scale: int, workdir: Path, extra: tuple[str, ...] = ()
) -> tuple[subprocess.Popen, str]:
    port_file = workdir / "ports.json"
    proc = subprocess.Popen(
        [
            str(BIN / "sandbox"),
            "serve",
            "--providers",
            provider,
            f"--{provider}-port",
            "0",
            "--scale",
            str(scale),
            "--rate-limit",
            "0",
            "--quiet",
            "--port-file",
            str(port_file),
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 300
    while not port_file.exists():  # the sandbox writes the file once it listens
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"sandbox did not start: {proc.stderr.read().decode() if proc.stderr else ''}")
        time.sleep(0.05)
    return proc, json.loads(port_file.read_text())[provider]


def stop_sandbox(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)


@contextlib.contextmanager
def running_sandbox(spec: t.Any, scale: int, flags: tuple[str, ...] = ()) -> t.Iterator[tuple[Path, str]]:
    """The provider's sandbox at `scale` (with the spec's and these extra flags) in a fresh work dir: (dir, url)."""
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        sandbox, url = start_sandbox(spec.PROVIDER, scale, workdir, (*getattr(spec, "SANDBOX_ARGS", ()), *flags))
        try:
            yield workdir, url
        finally:
            stop_sandbox(sandbox)


def _peak_kib(pid: int) -> int | None:
    """The process's own peak RSS (VmHWM of its address space, so nothing inherited from this harness)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def measure(args: list[str]) -> tuple[float, int, str]:
    """Run a command to completion; return (seconds, peak RSS in KiB, stderr).

    ru_maxrss is not used: Linux carries the parent's high-water mark across fork+exec, so every child would
    report at least this harness's own size. VmHWM is sampled every 10 ms instead (it only grows)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, _peak_kib(proc.pid) or 0)
            time.sleep(0.01)  # sampling interval of a measurement, not synchronisation
        elapsed = time.perf_counter() - start
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    if proc.returncode != 0:
        raise SystemExit(f"{args[0]} failed:\n{stderr[-3000:]}")
    return elapsed, peak, stderr


def catalog_for(tap: str, config_path: Path, wanted: set[str], workdir: Path) -> Path:
    out = subprocess.run(
        [str(BIN / tap), "--config", str(config_path), "--discover"], capture_output=True, text=True, check=True
    ).stdout
    catalog = json.loads(out)
    for entry in catalog["streams"]:
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = entry["tap_stream_id"] in wanted
    path = workdir / "catalog.json"
    path.write_text(json.dumps(catalog))
    return path


def bench_provider(name: str, sizes: list[int], streams: list[str] | None) -> list[tuple]:
    spec = load(name)
    rows = []
    for size in sizes:
        with running_sandbox(spec, size) as (workdir, url):
            truth = requests.get(f"{url}/_sandbox/ground-truth", timeout=900).json()["streams"]
            for stream in streams or spec.STREAMS:
                config_path = workdir / "config.json"
                # the tap's own rate limit off, as the sandbox's: what is measured is throughput
                config = {**spec.config(url, workdir), "max_requests_per_minute": 0}
                config_path.write_text(json.dumps(config))
                catalog = catalog_for(spec.TAP, config_path, spec.selected(stream), workdir)
                requests.delete(f"{url}/_sandbox/requests", timeout=30)
                tap_s, tap_kib, _ = measure(
                    [str(BIN / spec.TAP), "--config", str(config_path), "--catalog", str(catalog)]
                )
                tap_calls = len(requests.get(f"{url}/_sandbox/requests", timeout=60).json())
                requests.delete(f"{url}/_sandbox/requests", timeout=30)
                base_s, base_kib, base_err = measure([sys.executable, "-m", "benchmarks.baseline", name, url, stream])
                base = json.loads(base_err.strip().splitlines()[-1])
                records = truth[stream]["count"]
                if base["records"] != records:
                    raise SystemExit(f"baseline read {base['records']} {stream}, sandbox holds {records}")
                rows.append(
                    (name, size, stream, records, tap_s, tap_kib, tap_calls, base_s, base_kib, base["requests"])
                )
                print(
                    f"{name:<8} {size:>7} {stream:<20} tap {records / tap_s:8.0f} rec/s "
                    f"{tap_kib / 1024:6.1f} MiB | baseline {records / base_s:8.0f} rec/s "
                    f"{base_kib / 1024:6.1f} MiB",
                    flush=True,
                )
    return rows


def table(rows: list[tuple]) -> str:
    machine = (
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        "sandbox in its own process on loopback, rate limits off; peak RSS is the measured process alone.\n\n"
    )
    columns = ["tap", "sandbox scale", "stream", "records", "tap s", "tap rec/s", "tap peak RSS MiB", "tap requests"]
    columns += ["baseline s", "baseline rec/s", "baseline peak RSS MiB", "baseline requests", "tap/baseline speed"]
    cells = []
    for name, size, stream, records, ts, tk, tcalls, bs, bk, bcalls in rows:
        tap = [f"{ts:.1f}", f"{records / ts:,.0f}", f"{tk / 1024:.0f}", f"{tcalls:,}"]
        base = [f"{bs:.1f}", f"{records / bs:,.0f}", f"{bk / 1024:.0f}", f"{bcalls:,}"]
        cells.append([name, f"{size:,}", stream, f"{records:,}", *tap, *base, f"{bs / ts:.2f}"])
    return machine + markdown_table(columns, cells, text={0, 2})


class _Parser(argparse.ArgumentParser):
    """argparse, except that a bad argument is one line on stderr (`run.py: error: ...`), exit status 2."""

    def error(self, message: str) -> t.NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _whole(what: str, minimum: int, example: str) -> t.Callable[[str], int]:
    """An argument that is a whole number >= `minimum`; `what` names it in the one-line error."""

    def check(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            msg = f"invalid {what.format(text=repr(text))}, {minimum} or more (e.g. {example})"
            raise argparse.ArgumentTypeError(msg)
        return value

    return check


#: a sandbox scale (what `sandbox serve --scale` accepts)
_size = _whole("size {text}: a sandbox scale is a whole number", 0, "--sizes 10000 100000")
_milliseconds = _whole("latency {text}: whole milliseconds", 0, "--latency 150 300")
_workers = _whole("parallelism {text}: a whole number", 1, "--parallel 1 8")


def _name(kind: str) -> t.Callable[[str], str]:
    def check(text: str) -> str:
        if "," in text:
            listed = " ".join(part for part in text.split(",") if part)
            msg = f"invalid {kind} {text!r}: separate several with spaces, not commas (e.g. {listed})"
            raise argparse.ArgumentTypeError(msg)
        return text

    return check


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line, checked before any sandbox starts: a bad value ends the run with one line on stderr."""
    parser = _Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=_size, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--providers", type=_name("provider"), nargs="+", default=list(NAMES))
    parser.add_argument("--streams", type=_name("stream"), nargs="+", default=None)
    parser.add_argument(
        "--latency",
        type=_milliseconds,
        nargs="+",
        default=None,
        help="network mode (benchmarks/network.py): a first sync with attachments at each latency (ms), "
        "serial against parallel downloads",
    )
    parser.add_argument(
        "--parallel", type=_workers, nargs="+", default=[1, 8], help="max_parallel_downloads to compare"
    )
    parser.add_argument(
        "--parallel-requests",
        type=_workers,
        nargs="+",
        default=None,
        help="compare these max_parallel_requests instead (parallel child reads; downloads at their default)",
    )
    options = parser.parse_args(argv)
    if options.latency is not None and options.streams:
        parser.error("argument --streams: the network mode (--latency) syncs every stream")
    for name in options.providers:
        if name not in NAMES:
            parser.error(f"argument --providers: unknown provider {name!r} (choose from {', '.join(NAMES)})")
    for name in options.providers:
        for stream in options.streams or ():
            if stream not in MEASURABLE[name]:
                parser.error(
                    f"argument --streams: {name} has no stream {stream!r} to measure "
                    f"(choose from {', '.join(MEASURABLE[name])})"
                )
    return options


def main() -> None:
    options = parse_args()
    if options.latency is not None:
        from benchmarks import network

        found = [
            row
            for name in options.providers
            for size in options.sizes
            for row in (
                network.bench(name, size, options.latency, options.parallel_requests, "max_parallel_requests")
                if options.parallel_requests
                else network.bench(name, size, options.latency, options.parallel)
            )
        ]
        text = network.table(found)
        (HERE / "results").mkdir(exist_ok=True)
        (HERE / "results" / "network.md").write_text(text)
        print(text)
        return
    rows = [row for name in options.providers for row in bench_provider(name, options.sizes, options.streams)]
    text = table(rows)
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "latest.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
