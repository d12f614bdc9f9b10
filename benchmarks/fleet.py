"""Fleet cycle figures (issue 12): `python -m benchmarks.fleet --tenants N [--concurrency C ...] [--new-data]
[--probe-only]`.

Starts a Findity emulator in process on loopback with N organizations (one OAuth client, no initial exports
unless --new-data: then one export per organization), writes a tenants file of N Findity tenants and runs a
cycle through orchestrate.runner.run_tenant (the real isolated `meltano run --state-id-suffix=<tenant>` each
Dagster asset run executes) in a pool of C threads — Dagster's own per-run overhead is NOT included (a
process per run on a deployment). Then the cycle as the schedule with the change probe sees it: one tick's
probes of all N tenants (orchestrate.probe.decide_all), timed. Prints wall time, per-run mean, CPU seconds
of the children and `uptime` load.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def load() -> str:
    return " ".join(subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.split()[-3:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fleet", description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=_positive, default=50)
    parser.add_argument("--concurrency", type=_positive, nargs="+", default=[4])
    parser.add_argument("--new-data", action="store_true", help="one unprocessed export per tenant")
    parser.add_argument("--probe-only", action="store_true", help="only time the probe tick (no meltano runs)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)

    from orchestrate.probe import decide_all, record_success
    from orchestrate.runner import run_tenant
    from orchestrate.settings import FleetSettings
    from orchestrate.tenants import load_fleet
    from sandbox.findity import CLIENT_ID, CLIENT_SECRET, FindityConfig, create_app
    from sandbox.findity.config import tenant_organization_ids
    from sandbox.framework.server import serve_in_thread

    organizations = tenant_organization_ids(args.tenants)
    config = FindityConfig(scale=20, initial_exports=1 if args.new_data else 0, organizations=organizations)
    with tempfile.TemporaryDirectory(prefix="fleet-bench-") as tmp, serve_in_thread(create_app(config)) as url:
        home = Path(tmp)
        tenants = [
            {
                "name": f"t{i:04d}",
                "provider": "findity",
                "organization_id": org,
                "settings": {
                    "api_url": url + "/api",
                    "token_url": url + "/oauth/token",
                    "client_id": CLIENT_ID,
                    "manifest_dir": str(home / "manifests"),
                },
                "secrets": {"client_secret": "BENCH_FINDITY_SECRET"},
            }
            for i, org in enumerate(organizations)
        ]
        document = {"version": 1, "defaults": {"environment": "test", "loader": "target-jsonl"}, "tenants": tenants}
        (home / "tenants.yml").write_text(yaml.safe_dump(document), encoding="utf-8")
        environ = dict(os.environ) | {
            "BENCH_FINDITY_SECRET": CLIENT_SECRET,
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
            "TARGET_JSONL_DESTINATION_PATH": str(home / "jsonl"),
            "XDG_STATE_HOME": str(home / "xdg"),
        }
        environ.pop("MELTANO_ENVIRONMENT", None)
        settings = FleetSettings(
            project_root=ROOT,
            tenants_file=home / "tenants.yml",
            fleet_home=home / "fleet",
            meltano=str(Path(sys.executable).parent / "meltano"),
            database_uri=f"sqlite:///{home / 'meltano.db'}",
            sys_dir=ROOT / ".meltano",
            environ=environ,
        )
        runs = list(load_fleet(settings.tenants_file, settings.meltano_yml))
        print(f"{args.tenants} Findity tenants, {'one new export each' if args.new_data else 'nothing new'}")
        if not args.probe_only:
            for concurrency in args.concurrency:
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                started = time.monotonic()
                with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
                    results = list(pool.map(lambda run: run_tenant(run, settings, lambda *_: None), runs))
                wall = time.monotonic() - started
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                failed = [r.tenant for r in results if not r.ok]
                mean = sum(r.duration for r in results) / len(results)
                print(
                    f"meltano runs C={concurrency}: cycle {wall:.1f} s, {mean:.1f} s per run, "
                    f"child CPU {cpu:.0f} s, failed {len(failed)}, load {load()}"
                )
        now = time.time()
        for run in runs:
            record_success(settings, run.name, now)
        started = time.monotonic()
        decisions = decide_all(runs, settings)
        wall = time.monotonic() - started
        ran = sum(d.run for d in decisions)
        print(f"probe tick: {wall:.2f} s for {len(runs)} tenants, {ran} would run, load {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
