"""Over a real network (issue 15): each tap's first sync with attachments at a given latency, serial
(`max_parallel_downloads` and `max_parallel_requests` 1) against the defaults, side by side on one sandbox
(same data, same process).

    .venv/bin/python -m benchmarks.run --latency 150 300 --sizes 200 [--providers candis]

The sandbox runs with `--latency L --file-latency L` and the providers' own rate limits on (Candis and Pleo
500/min; Įvesk and Findity publish none); the tap with its defaults (Candis and Pleo 450/min), every stream,
`files_dir` a fresh folder per run. Figures: wall time, the requests that count against the limit (all but
the pre-signed file hosts') per minute of the run and the most of them in any rolling 60 s (what the limiter
sees), downloads per second, the downloading itself (first download request to last answer: what parallel
downloads speed up, without the tap's start-up and listing before it), peak RSS of the tap alone.
"""

from __future__ import annotations

import datetime
import json

import requests

from benchmarks.markdown import markdown_table
from benchmarks.providers import load

#: the pre-signed file hosts' paths (they do not count against the limit), and the downloads' paths
FILE_HOST = {"candis": (), "pleo": ("/_files/",), "ivesk": ("/documents/", "/public/"), "findity": ()}
DOWNLOADS = {"candis": "/files/", "pleo": "/_files/", "ivesk": "/documents/", "findity": "/basis"}
#: the sandbox's rate limit per provider (the provider's published one; 0 = none)
LIMIT = {"candis": 500, "pleo": 500, "ivesk": 0, "findity": 0}


def _epoch(stamp: str) -> float:
    return datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def _window_peak(stamps: list[float], window: float = 60.0) -> int:
    stamps.sort()
    peak, start = 0, 0
    for end, moment in enumerate(stamps):
        while moment - stamps[start] >= window:
            start += 1
        peak = max(peak, end - start + 1)
    return peak


def bench(
    name: str, size: int, latencies: list[int], parallel: list[int], setting: str = "max_parallel_downloads"
) -> list[dict]:
    """One run per latency and value of `setting` (`max_parallel_downloads` with the child reads at their default,
    or `max_parallel_requests` with the downloads at theirs); `max_parallel_downloads` 1 is the serial run (child
    reads one at a time too)."""
    from benchmarks.run import BIN, measure, running_sandbox

    spec = load(name)
    rows = []
    for latency in latencies:
        flags = ("--latency", str(latency), "--file-latency", str(latency), "--rate-limit", str(LIMIT[name]))
        with running_sandbox(spec, size, flags) as (workdir, url):
            for workers in parallel:
                run_dir = workdir / f"run-{workers}"
                run_dir.mkdir()
                # same data, an empty rate-limit window and request log: each run starts as a first sync
                requests.post(f"{url}/_sandbox/reset", json={}, timeout=600).raise_for_status()
                config = {**spec.config(url, run_dir), "files_dir": str(run_dir / "files")}
                config[setting] = workers
                if workers == 1 and setting == "max_parallel_downloads":  # serial: child reads one at a time too
                    config["max_parallel_requests"] = 1
                config_path = run_dir / "config.json"
                config_path.write_text(json.dumps(config))
                seconds, kib, _ = measure([str(BIN / spec.TAP), "--config", str(config_path)])
                log = requests.get(f"{url}/_sandbox/requests", timeout=120).json()
                counted = [_epoch(r["ts"]) for r in log if not r["path"].startswith(FILE_HOST[name] or ("\0",))]
                fetched = [_epoch(r["ts"]) for r in log if DOWNLOADS[name] in r["path"]]
                downloads = len(fetched)
                row = {
                    "tap": spec.TAP,
                    "latency": latency,
                    "workers": workers,
                    "setting": setting,
                    "seconds": seconds,
                    "requests": len(log),
                    "counted": len(counted),
                    "per_minute": len(counted) / seconds * 60,
                    "window_peak": _window_peak(counted),
                    "limit": LIMIT[name],
                    "downloads": downloads,
                    "downloads_per_s": downloads / seconds,
                    # the downloading itself: from the first download's request to the last one's answer
                    "download_span": (max(fetched) - min(fetched) + latency / 1000) if fetched else 0.0,
                    "rss_mib": kib / 1024,
                    "status_429": sum(1 for r in log if r.get("status") == 429),
                }
                rows.append(row)
                print(json.dumps(row), flush=True)
    return rows


def table(rows: list[dict]) -> str:
    setting = (rows[0].get("setting") if rows else "") or "max_parallel_downloads"
    columns = ["tap", "latency ms", setting, "wall s", "requests counted / min", "most in 60 s (limit)", "429s"]
    columns += ["downloads", "downloads/s", "speed-up", "downloading s", "downloading speed-up", "peak RSS MiB"]
    serial = {(r["tap"], r["latency"]): r for r in rows if r["workers"] == 1}
    cells = []
    for r in rows:
        seen = f"{r['window_peak']:,} ({r['limit'] or 'none'})"
        base = serial.get((r["tap"], r["latency"]), {})
        speed = base.get("seconds", 0.0) / r["seconds"]
        span = r.get("download_span") or 0.0
        fetching = f"{base.get('download_span', 0.0) / span:.1f}×" if span else "–"
        row = [r["tap"], r["latency"], r["workers"], f"{r['seconds']:.1f}", f"{r['per_minute']:,.0f}", seen]
        row += [r["status_429"], f"{r['downloads']:,}", f"{r['downloads_per_s']:.1f}", f"{speed:.1f}×"]
        cells.append([*row, f"{span:.1f}", fetching, f"{r['rss_mib']:.0f}"])
    return markdown_table(columns, cells, text={0})
