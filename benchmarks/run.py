"""Benchmark harness: tap-candis vs. a bare requests+json loop, against the sandbox in its own process.

For each size and stream it measures records/second and peak resident memory (the child's own ru_maxrss,
from os.wait4) of:
  - the tap (`tap-candis` with only that stream selected, Singer messages written to /dev/null), and
  - the baseline (benchmarks/baseline.py, the same endpoints with plain requests + json).
It also counts the requests each made (from the sandbox's request log).

    .venv/bin/python benchmarks/run.py --sizes 10000 100000 [--streams postings reimbursement_items invoices]

Figures are printed as a Markdown table and written to benchmarks/results/latest.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent


def start_sandbox(scale: int, workdir: Path) -> tuple[subprocess.Popen, str]:
    port_file = workdir / "ports.json"
    proc = subprocess.Popen(
        [str(BIN / "sandbox"), "serve", "--providers", "candis", "--candis-port", "0", "--scale", str(scale),
         "--rate-limit", "0", "--quiet", "--port-file", str(port_file)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not port_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"sandbox did not start: {proc.stderr.read().decode() if proc.stderr else ''}")
        time.sleep(0.05)
    return proc, json.loads(port_file.read_text())["candis"]


def measure(args: list[str], env: dict | None = None) -> tuple[float, int, str]:
    """Run a command to completion; return (seconds, peak RSS in KiB, stderr)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err, env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{args[0]} failed:\n{stderr[-3000:]}")
    return elapsed, usage.ru_maxrss, stderr


def catalog_for(config_path: Path, stream: str, workdir: Path) -> Path:
    out = subprocess.run([str(BIN / "tap-candis"), "--config", str(config_path), "--discover"],
                         capture_output=True, text=True, check=True).stdout
    catalog = json.loads(out)
    wanted = {stream} | ({"exports"} if stream == "postings" else set())
    for entry in catalog["streams"]:
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = entry["tap_stream_id"] in wanted
    path = workdir / f"catalog-{stream}.json"
    path.write_text(json.dumps(catalog))
    return path


def run(sizes: list[int], streams: list[str]) -> str:
    rows = []
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            sandbox, url = start_sandbox(size, workdir)
            try:
                config = {
                    "api_url": url,
                    "token_url": f"{url}/auth/realms/candis/protocol/openid-connect/token",
                    "client_id": "sandbox-client", "client_secret": "sandbox-secret",
                    "refresh_token": "sandbox-refresh-token", "token_store_dir": str(workdir / "tokens"),
                    "max_requests_per_minute": 0,
                }
                config_path = workdir / "config.json"
                config_path.write_text(json.dumps(config))
                truth = requests.get(f"{url}/_sandbox/ground-truth", timeout=600).json()["streams"]
                for stream in streams:
                    catalog = catalog_for(config_path, stream, workdir)
                    requests.delete(f"{url}/_sandbox/requests", timeout=30)
                    tap_s, tap_kib, _ = measure([str(BIN / "tap-candis"), "--config", str(config_path),
                                                 "--catalog", str(catalog)])
                    tap_requests = len(requests.get(f"{url}/_sandbox/requests", timeout=60).json())
                    # the baseline gets a fresh token from the original refresh token: reset the sandbox's auth
                    requests.post(f"{url}/_sandbox/config", json={"refresh_token_reuse": True}, timeout=30)
                    requests.delete(f"{url}/_sandbox/requests", timeout=30)
                    base_s, base_kib, base_err = measure([sys.executable, str(HERE / "baseline.py"), url, stream])
                    base = json.loads(base_err.strip().splitlines()[-1])
                    records = truth[stream]["count"]
                    if base["records"] != records:
                        raise SystemExit(f"baseline read {base['records']} {stream}, sandbox holds {records}")
                    rows.append((size, stream, records, tap_s, records / tap_s, tap_kib, tap_requests,
                                 base_s, records / base_s, base_kib, base["requests"]))
                    print(f"{size:>7} {stream:<20} tap {records / tap_s:8.0f} rec/s {tap_kib / 1024:6.1f} MiB | "
                          f"baseline {records / base_s:8.0f} rec/s {base_kib / 1024:6.1f} MiB", flush=True)
            finally:
                sandbox.send_signal(signal.SIGINT)
                sandbox.wait(timeout=30)
    lines = [
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"sandbox in its own process on loopback, rate limits off.",
        "",
        "| records in sandbox (scale) | stream | records | tap s | tap rec/s | tap peak RSS MiB | tap requests "
        "| baseline s | baseline rec/s | baseline peak RSS MiB | baseline requests | tap / baseline speed |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size, stream, records, ts, trs, tk, treq, bs, brs, bk, breq in rows:
        lines.append(f"| {size:,} | {stream} | {records:,} | {ts:.1f} | {trs:,.0f} | {tk / 1024:.0f} | {treq:,} "
                     f"| {bs:.1f} | {brs:,.0f} | {bk / 1024:.0f} | {breq:,} | {trs / brs:.2f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--streams", nargs="+", default=["postings", "reimbursement_items", "invoices"])
    options = parser.parse_args()
    table = run(options.sizes, options.streams)
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "latest.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
