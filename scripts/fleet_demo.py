"""The fleet demo (run by ./scripts/fleet-demo after setup): a dozen tenants over the four providers,
orchestrated by Dagster, against the multi-tenant sandbox.

1. Starts clean: output/fleet-demo/ (warehouse, files, logs) and .meltano/fleet-demo/ (the fleet home: the
   Dagster instance, Meltano's system database with the tenants' state, the token store, the manifests).
2. Starts `sandbox serve --tenants 3` on the fixed ports of the `demo` environment (8701-8704).
3. Reads `GET /_sandbox/tenants` of each emulator and puts the secrets the tenants file
   (orchestrate/examples/tenants.demo.yml) names into the environment of the Dagster process only — with a
   revoked key for hanse-pleo, which fails alone, at once — and adds a fault rule (503 for gamma-candis's
   first requests): its first attempt fails, transient, and Dagster's retry policy runs it again.
4. Without --cycle: starts the Dagster UI on the fleet (./scripts/fleet) and, once it answers, runs one fleet
   cycle on the same Dagster instance, so its runs appear in the UI as they go; then the UI stays up until
   Ctrl-C. With --cycle: the same cycle headless, no UI.
5. Prints every tenant's outcome and rows in the warehouse (grouped by the tenant column every record
   carries), and which tenant failed and why.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import json
import multiprocessing
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import typing as t
import urllib.error
import urllib.request
from pathlib import Path

import demo
from demo import DemoError

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
TENANTS_FILE = ROOT / "orchestrate" / "examples" / "tenants.demo.yml"
OUTPUT = ROOT / "output" / "fleet-demo"
WAREHOUSE = OUTPUT / "warehouse.duckdb"
LOGS = OUTPUT / "logs"
FLEET_HOME = ROOT / ".meltano" / "fleet-demo"
DAGSTER_HOME = FLEET_HOME / "dagster"
SYSTEM_DB = FLEET_HOME / "meltano.db"
# The `demo` environment of meltano.yml points the taps at these ports.
PORTS = {"candis": 8701, "pleo": 8702, "ivesk": 8703, "findity": 8704}
SCHEMAS = {"candis": "tap_candis", "pleo": "tap_pleo", "ivesk": "tap_ivesk", "findity": "tap_findity"}
TENANT_COLUMNS = ("organizationid", "companyid", "companycode")  # tapkit.tenant: every record names its tenant
BROKEN = "hanse-pleo"  # its variable gets a revoked key
REVOKED_KEY = "plp_revoked_0000000000000000"
FLAKY = "gamma-candis"  # its first requests answer 503 (max_retries 1 in the tenants file: two tries)
FLAKY_FAULT = {"path": "^/v1/organizations/gamma-organization/", "kind": "status", "status": 503, "retry_after": 0}
FLAKY_TIMES = 2
UI_START_TIMEOUT = 180.0

COLOR = sys.stdout.isatty() and os.environ.get("NO_COLOR") is None
BOLD, DIM, GREEN, RED, YELLOW, RESET = (
    ("\033[1m", "\033[2m", "\033[32m", "\033[31m", "\033[33m", "\033[0m") if COLOR else ("",) * 6
)


def say(message: str) -> None:
    print(f"{BOLD}==>{RESET} {message}", flush=True)


def http_json(url: str, body: t.Any = None) -> t.Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read() or b"null")


def clean() -> None:
    """The sandbox starts fresh (its refresh tokens are spent by their first use): so does the fleet."""
    for directory in (OUTPUT, FLEET_HOME):
        shutil.rmtree(directory, ignore_errors=True)
    LOGS.mkdir(parents=True)
    DAGSTER_HOME.mkdir(parents=True)
    (DAGSTER_HOME / "dagster.yaml").symlink_to(ROOT / "orchestrate" / "dagster.yaml")


# ------------------------------------------------------------------------------------------------ sandbox
class Sandbox(demo.Sandbox):
    """./scripts/demo's sandbox (`sandbox serve` on ports 8701-8704, --rate-limit 6000, stopped with its process
    group), with three tenants per emulator; its port file and log in the fleet demo's directories."""

    def __init__(self, scale: int) -> None:
        super().__init__()
        self.scale = scale
        self.port_file = FLEET_HOME / "sandbox-ports.json"
        self.log = LOGS / "sandbox.log"

    def start(self) -> dict[str, str]:
        plain = demo.SANDBOX_ARGS
        demo.SANDBOX_ARGS = [*plain, "--tenants", "3", "--scale", str(self.scale)]
        try:
            return super().start()
        finally:
            demo.SANDBOX_ARGS = plain

    def admin(self, provider: str, path: str, body: t.Any = None) -> t.Any:
        return http_json(f"{self.urls[provider]}/_sandbox{path}", body)


def secrets(sandbox: Sandbox) -> dict[str, str]:
    """The values of the variables tenants.demo.yml names, from the sandbox's tenant list."""
    from sandbox.candis import CLIENT_SECRET as CANDIS_SECRET
    from sandbox.findity import CLIENT_SECRET as FINDITY_SECRET
    from sandbox.ivesk import API_KEY as IVESK_KEY

    listed = {provider: sandbox.admin(provider, "/tenants")["tenants"] for provider in PORTS}
    candis = {tenant["id"]: tenant["refreshToken"] for tenant in listed["candis"]}
    pleo = {tenant["id"]: tenant["apiKey"] for tenant in listed["pleo"]}
    values = {
        "FLEET_DEMO_CANDIS_CLIENT_SECRET": CANDIS_SECRET,
        "FLEET_DEMO_FINDITY_CLIENT_SECRET": FINDITY_SECRET,
        "FLEET_DEMO_IVESK_KEY": IVESK_KEY,
    }
    for slug in ("alpha", "gamma", "delta"):
        values[f"FLEET_DEMO_{slug.upper()}_CANDIS_REFRESH_TOKEN"] = candis[f"{slug}-organization"]
    for name, suffix in (("NORDLYS", "51"), ("SKARGARDS", "52"), ("HANSE", "53")):
        values[f"FLEET_DEMO_{name}_PLEO_KEY"] = pleo[f"9b2f6a3c-1d4e-4f7a-8b9c-0a1b2c3d4e{suffix}"]
    values["FLEET_DEMO_HANSE_PLEO_KEY"] = REVOKED_KEY  # broken on purpose
    return values


def fleet_environ(secret_values: dict[str, str]) -> dict[str, str]:
    """The Dagster process's environment: orchestrate's settings, the demo's paths, the tenants' secrets."""
    env = dict(os.environ)
    env.pop("MELTANO_ENVIRONMENT", None)
    manifests = str(FLEET_HOME / "manifests")
    env.update(
        MELTANO_PROJECT_ROOT=str(ROOT),
        TENANTS_FILE=str(TENANTS_FILE),
        FLEET_HOME=str(FLEET_HOME),
        DAGSTER_HOME=str(DAGSTER_HOME),
        MELTANO_DATABASE_URI=f"sqlite:///{SYSTEM_DB}",
        MELTANO_SEND_ANONYMOUS_USAGE_STATS="false",
        MELTANO_CLI_DISABLE_VERSION_CHECK="true",
        FLEET_RETRY_DELAY=os.environ.get("FLEET_RETRY_DELAY", "5"),
        FLEET_SENSOR_INTERVAL=os.environ.get("FLEET_SENSOR_INTERVAL", "5"),
        # every load into one DuckDB file (the runs take turns: the runner's lock on <file>.lock)
        TARGET_DUCKDB_FILEPATH=str(WAREHOUSE),
        # the demo environment's token store and manifests are ./scripts/demo's: the fleet demo keeps its own
        TAP_CANDIS_TOKEN_STORE_DIR=str(FLEET_HOME / "tokens"),
        TAP_PLEO_MANIFEST_DIR=manifests,
        PLEO_WRITEBACK_MANIFEST_DIR=manifests,
        TAP_FINDITY_MANIFEST_DIR=manifests,
        FINDITY_WRITEBACK_MANIFEST_DIR=manifests,
    )
    return env | secret_values


# ------------------------------------------------------------------------------------------------ cycle
@dataclasses.dataclass
class Outcome:
    provider: str
    tenant: str
    success: bool
    attempts: int
    failure: str | None
    retried: list[str]
    seconds: float


def materialize(env: dict[str, str], provider: str, tenant: str) -> Outcome:
    """In a worker process: one partition's run on the demo's Dagster instance (recorded there: the UI shows it)."""
    import dagster as dg
    from orchestrate.definitions import asset_key, build_definitions
    from orchestrate.settings import FleetSettings

    started = time.monotonic()
    log = os.open(LOGS / f"{tenant}.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)  # Dagster's console log of the run (Meltano's output among it) goes to the tenant's log
    os.dup2(log, 2)
    os.close(log)
    os.environ["DAGSTER_HOME"] = env["DAGSTER_HOME"]
    settings = FleetSettings.from_env(env)
    with dg.DagsterInstance.get() as instance:
        asset = build_definitions(settings).get_assets_def(asset_key(provider))
        result = dg.materialize(
            [asset], instance=instance, partition_key=tenant, raise_on_error=False, tags={"fleet/demo": "cycle"}
        )
        attempts, failure, retried = 0, None, []
        for record in instance.all_logs(result.run_id):
            event = record.dagster_event
            if event is None:
                continue
            if event.event_type_value in ("STEP_START", "STEP_RESTARTED"):
                attempts += 1
            elif event.event_type_value == "STEP_UP_FOR_RETRY" and event.step_retry_data.error:
                error = event.step_retry_data.error  # RetryRequestedFromPolicy, caused by the run's Failure
                while error.cause is not None:
                    error = error.cause
                retried.append(re.sub(r"^[\w.]+\.\w+: ", "", error.message.strip().splitlines()[-1]))
            elif event.event_type_value == "STEP_FAILURE":
                user = event.step_failure_data.user_failure_data
                failure = user.description if user else event.step_failure_data.error.message
    return Outcome(provider, tenant, result.success, attempts, failure, retried, time.monotonic() - started)


def cycle(env: dict[str, str], workers: int) -> list[Outcome]:
    """Every tenant's partition materialized, `workers` runs at a time, each in its own process (as a Dagster
    deployment runs each run in a process of its own)."""
    import dagster as dg
    from orchestrate.definitions import partitions_name
    from orchestrate.tenants import load_fleet

    fleet = load_fleet(TENANTS_FILE, ROOT / "meltano.yml")
    os.environ["DAGSTER_HOME"] = env["DAGSTER_HOME"]
    with dg.DagsterInstance.get() as instance:  # the partitions now (the fleet_tenants sensor would, in a tick)
        for provider in SCHEMAS:
            names = [run.name for run in fleet.of_provider(provider)]
            known = set(instance.get_dynamic_partitions(partitions_name(provider)))
            instance.add_dynamic_partitions(partitions_name(provider), [n for n in names if n not in known])
    context = multiprocessing.get_context("forkserver")
    outcomes = []
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
        futures = [pool.submit(materialize, env, run.tenant.provider, run.name) for run in fleet]
        for future in concurrent.futures.as_completed(futures):
            outcome = future.result()
            mark = f"{GREEN}✓{RESET}" if outcome.success else f"{RED}✗{RESET}"
            tries = f", {outcome.attempts} attempts" if outcome.attempts > 1 else ""
            log = (LOGS / f"{outcome.tenant}.log").relative_to(ROOT)
            print(f"    {mark} {outcome.tenant:<17} {outcome.seconds:5.0f} s{tries}  {DIM}{log}{RESET}", flush=True)
            outcomes.append(outcome)
    return outcomes


# ------------------------------------------------------------------------------------------------ summary
def rows_per_tenant() -> dict[tuple[str, str], dict[str, int]]:
    """(provider, tenant id) -> {stream: rows}, from the tenant column every record carries."""
    import duckdb

    found: dict[tuple[str, str], dict[str, int]] = {}
    if not WAREHOUSE.exists():
        return found
    with duckdb.connect(str(WAREHOUSE), read_only=True) as con:
        columns = con.sql(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns "
            "WHERE table_schema LIKE 'tap_%'"
        ).fetchall()
        for schema, table, column in sorted(columns):
            provider = schema.removeprefix("tap_")
            if column.lower() not in TENANT_COLUMNS:
                continue
            counts = con.sql(f'SELECT "{column}", COUNT(*) FROM "{schema}"."{table}" GROUP BY 1').fetchall()
            for tenant_id, count in counts:
                found.setdefault((provider, str(tenant_id)), {})[table] = count
    return found


def summary(outcomes: list[Outcome]) -> bool:
    from orchestrate.tenants import load_fleet

    fleet = load_fleet(TENANTS_FILE, ROOT / "meltano.yml")
    rows = rows_per_tenant()
    by_name = {outcome.tenant: outcome for outcome in outcomes}
    say(f"Rows per tenant in {WAREHOUSE.relative_to(ROOT)}")
    print(f"    {'tenant':<17} {'provider':<8} {'run':<13} {'rows':>6}  per stream")
    expected = True
    for run in fleet:
        tenant = run.tenant
        scope = tenant.organization_id or tenant.company_id or (tenant.company_codes or [""])[0]
        streams = rows.get((tenant.provider, scope), {})
        outcome = by_name.get(run.name)
        if outcome is None:
            state = "not run"
        elif outcome.success:
            state = "ok" + (f" (try {outcome.attempts})" if outcome.attempts > 1 else "")
        else:
            state = "failed"
        color = GREEN if outcome and outcome.success else RED
        detail = ", ".join(f"{stream} {n}" for stream, n in sorted(streams.items()))
        print(
            f"    {color}{run.name:<17}{RESET} {tenant.provider:<8} {state:<13} {sum(streams.values()):>6}  {DIM}{detail}{RESET}"
        )
        if run.name == BROKEN:
            expected &= outcome is not None and not outcome.success
        else:
            expected &= outcome is not None and outcome.success and bool(streams)
    for outcome in outcomes:
        for error in outcome.retried:
            print(f"    {YELLOW}retried{RESET} {error}")
    for outcome in outcomes:
        if not outcome.success:
            print(f"    {RED}failed{RESET} {outcome.failure}")
    return expected


# ------------------------------------------------------------------------------------------------ UI
def start_ui(env: dict[str, str], port: int, extra: list[str]) -> subprocess.Popen[bytes]:
    log = LOGS / "dagster.log"
    proc = demo.background([str(ROOT / "scripts" / "fleet"), "-p", str(port), *extra], log, env)
    deadline = time.monotonic() + UI_START_TIMEOUT
    while True:
        try:
            info = http_json(f"http://127.0.0.1:{port}/server_info")
            print(
                f"    {DIM}dagster-webserver {info.get('dagster_webserver_version')} (log: {log.relative_to(ROOT)}){RESET}"
            )
            return proc
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        if proc.poll() is not None:
            raise DemoError(
                f"dagster dev exited with code {proc.returncode}:\n{log.read_text(errors='replace')[-2000:]}"
            )
        if time.monotonic() > deadline:
            raise DemoError(f"the Dagster UI did not answer on port {port} within {UI_START_TIMEOUT:.0f}s ({log})")
        time.sleep(0.5)


def stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGINT)  # dagster dev stops its webserver and daemon on SIGINT
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)


# ------------------------------------------------------------------------------------------------ main
def main() -> int:
    parser = argparse.ArgumentParser(prog="./scripts/fleet-demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycle", action="store_true", help="one fleet cycle headless (no UI), then the summary")
    parser.add_argument("--no-cycle", action="store_true", help="UI mode: start the UI only; materialize in it")
    parser.add_argument("--exit", action="store_true", help="UI mode: stop once the cycle is done (a check)")
    parser.add_argument("-p", "--port", type=int, default=3000, help="the Dagster UI's port (default 3000)")
    parser.add_argument("--scale", type=int, default=20, help="sandbox records per stream (default 20)")
    parser.add_argument("--workers", type=int, default=4, help="runs at once in the cycle (default 4)")
    args = parser.parse_args()

    def on_signal(signum: int, _frame: t.Any) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    started = time.monotonic()
    say(f"Cleaning {OUTPUT.relative_to(ROOT)} and the fleet home {FLEET_HOME.relative_to(ROOT)}")
    clean()
    sandbox = Sandbox(args.scale)
    ui: subprocess.Popen[bytes] | None = None
    try:
        say(f"Starting the multi-tenant sandbox (sandbox serve --tenants 3 --scale {args.scale}, ports 8701-8704)")
        sandbox.start()
        env = fleet_environ(secrets(sandbox))
        names = sorted(k for k in env if k.startswith("FLEET_DEMO_"))
        print(f"    {DIM}secrets from GET /_sandbox/tenants into the Dagster process: {', '.join(names)}{RESET}")
        print(f"    {DIM}{BROKEN}: FLEET_DEMO_HANSE_PLEO_KEY holds a revoked key (fails alone, not retried){RESET}")
        sandbox.admin("candis", "/faults", {**FLAKY_FAULT, "times": FLAKY_TIMES})
        print(f"    {DIM}{FLAKY}: fault rule 503 x{FLAKY_TIMES} on {FLAKY_FAULT['path']} (retried by Dagster){RESET}")
        if not args.cycle:
            say(f"Starting the Dagster UI on the fleet (./scripts/fleet -p {args.port})")
            ui = start_ui(env, args.port, [])
            print(f"    {BOLD}http://127.0.0.1:{args.port}{RESET}  (Runs: the cycle's runs; Assets: fleet/<provider>)")
        if args.no_cycle:
            say("Materialize the partitions in the UI (Assets → fleet/candis → Materialize → all); Ctrl-C stops")
            ui.wait()
            return 0
        say(f"One fleet cycle: 12 tenants, {args.workers} runs at a time, every DuckDB load in turn")
        outcomes = cycle(env, args.workers)
        ok = summary(outcomes)
        say(f"Done in {time.monotonic() - started:.0f}s" + ("" if ok else f" {RED}(not as expected){RESET}"))
        print(
            f"    {DIM}state: MELTANO_DATABASE_URI=sqlite:///{SYSTEM_DB.relative_to(ROOT)} "
            f".venv/bin/meltano state get demo:tap-candis-to-target-duckdb:alpha-candis{RESET}"
        )
        if ui is not None and not args.exit:
            say(f"The Dagster UI stays up at http://127.0.0.1:{args.port} — Ctrl-C stops it and the sandbox")
            ui.wait()
        return 0 if ok else 1
    except DemoError as exc:
        print(f"{RED}fleet demo failed:{RESET} {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        stop(ui)
        sandbox.stop()


if __name__ == "__main__":
    sys.exit(main())
