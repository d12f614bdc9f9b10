"""The demo (run by ./scripts/demo after setup): a fresh sandbox, `meltano run <tap> target-duckdb` for
every extractor of meltano.yml that the sandbox emulates, `meltano run dbt-duckdb:build` (the accounting
journal of transform/ over what was loaded, with its dbt tests), and a summary of what landed in DuckDB and
of the journal next to the sandbox's ground truth, with whether every dbt test passed.

Every run starts clean, because the sandbox does: the demo warehouse (output/demo.duckdb), the demo's
Meltano state (state ids `demo:*`) and the demo token store (.meltano/run/demo) are wiped first.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml
from warehouse_summary import DuckDBWarehouse, Line, Report, compare, compare_journal

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
OUTPUT = ROOT / "output"
WAREHOUSE = OUTPUT / "demo.duckdb"
LOGS = OUTPUT / "demo-logs"
RUN_DIR = ROOT / ".meltano" / "run" / "demo"  # token store (meltano.yml) and the sandbox's port file
ENVIRONMENT = "demo"
LOADER = "target-duckdb"
DBT = "dbt-duckdb"  # the journal (transform/): `meltano run dbt-duckdb:build` after the loads
DBT_TARGET = ROOT / "transform" / "target" / "duckdb"  # the utility's target_path (meltano.yml)
JOURNAL_SCHEMA = "journal"
SANDBOX_START_TIMEOUT = 120.0
EXAMPLE = (
    """.venv/bin/python -c "import duckdb; print(duckdb.connect('output/demo.duckdb', read_only=True).sql("""
    """'SELECT amount__currencycode AS currency, SUM(amount__valueminor) AS cents FROM tap_candis.postings """
    """GROUP BY 1 ORDER BY 1'))\""""
)
# Candis allows 500 requests/minute; downloading every attachment at that pace makes the demo wait a
# minute for nothing. The demo's sandbox allows more, and the demo environment lets the tap use it.
SANDBOX_ARGS = ["--rate-limit", "6000"]

COLOR = sys.stdout.isatty() and os.environ.get("NO_COLOR") is None
BOLD, DIM, GREEN, RED, RESET = ("\033[1m", "\033[2m", "\033[32m", "\033[31m", "\033[0m") if COLOR else ("",) * 5


class DemoError(Exception):
    """A step failed; the message says which and where its log is."""


def say(message: str) -> None:
    print(f"{BOLD}==>{RESET} {message}", flush=True)


def meltano_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(MELTANO_SEND_ANONYMOUS_USAGE_STATS="false", MELTANO_CLI_DISABLE_VERSION_CHECK="true")
    env.pop("MELTANO_ENVIRONMENT", None)
    return env


def meltano(*args: str, log: Path | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    command = [str(BIN / "meltano"), f"--environment={ENVIRONMENT}", *args]
    if log is None:
        proc = subprocess.run(command, cwd=ROOT, env=meltano_env(), capture_output=True, text=True, check=False)
        output = proc.stderr
    else:
        with log.open("w", encoding="utf-8") as out:
            proc = subprocess.run(
                command, cwd=ROOT, env=meltano_env(), stdout=out, stderr=subprocess.STDOUT, text=True, check=False
            )
        output = log.read_text(encoding="utf-8", errors="replace")
    if check and proc.returncode != 0:
        tail = "\n".join(output.splitlines()[-40:])
        where = f" (full log: {log.relative_to(ROOT)})" if log else ""
        raise DemoError(f"`meltano {' '.join(args)}` failed with exit code {proc.returncode}{where}:\n{tail}")
    return proc


# ------------------------------------------------------------------------------------------------ project
def extractors() -> list[dict[str, Any]]:
    """Extractors of meltano.yml with their demo-environment config merged in."""
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    demo_config: dict[str, dict[str, Any]] = {}
    for environment in project.get("environments") or []:
        if environment.get("name") == ENVIRONMENT:
            for plugin in ((environment.get("config") or {}).get("plugins") or {}).get("extractors") or []:
                demo_config[plugin["name"]] = plugin.get("config") or {}
    # Write-back utilities (`<provider>-writeback` with an `ack` command) close the provider's export workflow
    # after the load: `meltano run tap-x target-duckdb x-writeback:ack`.
    acks = {
        plugin["name"].removesuffix("-writeback"): f"{plugin['name']}:ack"
        for plugin in (project.get("plugins") or {}).get("utilities") or []
        if plugin["name"].endswith("-writeback") and "ack" in (plugin.get("commands") or {})
    }
    found = []
    for plugin in (project.get("plugins") or {}).get("extractors") or []:
        name = plugin["name"]
        provider = name.removeprefix("tap-")
        found.append(
            {
                "name": name,
                "provider": provider,
                "schema": plugin.get("namespace") or name.replace("-", "_"),
                "config": demo_config.get(name, {}),
                "after": [acks[provider]] if provider in acks else [],
            }
        )
    return found


def clean() -> None:
    """The sandbox starts fresh, so does everything the demo wrote last time."""
    for path in (WAREHOUSE, WAREHOUSE.with_name(WAREHOUSE.name + ".wal"), DBT_TARGET / "run_results.json"):
        path.unlink(missing_ok=True)
    for directory in (LOGS, RUN_DIR, OUTPUT / "demo-jsonl", OUTPUT / "demo-files"):
        shutil.rmtree(directory, ignore_errors=True)
    LOGS.mkdir(parents=True)
    RUN_DIR.mkdir(parents=True)
    listed = meltano("state", "list", "--pattern", f"{ENVIRONMENT}:*").stdout.split()
    for state_id in listed:
        meltano("state", "clear", "--force", state_id)


# ------------------------------------------------------------------------------------------------ sandbox
def background(command: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start `command` in the project root in its own session (so it can be stopped with its children), its
    output going to `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


class Sandbox:
    """`sandbox serve` in the background; stopped (its whole process group) on exit."""

    def __init__(self) -> None:
        self.port_file = RUN_DIR / "sandbox-ports.json"
        self.log = LOGS / "sandbox.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.urls: dict[str, str] = {}

    def start(self) -> dict[str, str]:
        self.port_file.unlink(missing_ok=True)
        self.proc = background(
            [str(BIN / "sandbox"), "serve", "--port-file", str(self.port_file), *SANDBOX_ARGS], self.log
        )
        deadline = time.monotonic() + SANDBOX_START_TIMEOUT
        while True:  # the CLI writes the port file once every emulator accepts connections
            ports = self._read_port_file()
            if ports:
                break
            if self.proc.poll() is not None:
                raise DemoError(f"the sandbox exited with code {self.proc.returncode}:\n{self._log_tail()}")
            if time.monotonic() > deadline:
                raise DemoError(
                    f"the sandbox wrote no port file within {SANDBOX_START_TIMEOUT:.0f}s:\n{self._log_tail()}"
                )
            time.sleep(0.05)  # polling the port file, not waiting for a guess
        self.urls = ports
        for provider, url in ports.items():
            health = http_json(f"{url}/_sandbox/health")
            if health.get("status") != "ok":
                raise DemoError(f"sandbox {provider} at {url} is not healthy: {health}")
        return ports

    def _read_port_file(self) -> dict[str, str]:
        try:
            data = json.loads(self.port_file.read_text())
        except (OSError, ValueError):
            return {}
        # {"candis": 8701, ...}, {"candis": "http://127.0.0.1:8701"} or {"candis": {"url"|"port": ...}}
        urls = {}
        for provider, value in (data.get("providers", data) if isinstance(data, dict) else {}).items():
            if isinstance(value, dict):
                value = value.get("url") or value.get("base_url") or value.get("port")
            if isinstance(value, int):
                value = f"http://127.0.0.1:{value}"
            if isinstance(value, str):
                urls[provider] = value.rstrip("/")
        return urls

    def _log_tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=15)


def http_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=60) as response:
        from decimal import Decimal

        return json.loads(response.read(), parse_float=Decimal)


# ------------------------------------------------------------------------------------------------ journal
def journal_report(truths: dict[str, Any]) -> Report:
    """The journal's rows and money per provider and currency next to the ground truth."""
    try:
        with DuckDBWarehouse(WAREHOUSE, schema=JOURNAL_SCHEMA) as warehouse:
            return compare_journal(truths, warehouse, schema=JOURNAL_SCHEMA)
    except Exception as exc:  # noqa: BLE001 (no journal, e.g. the build failed: one failing line says so)
        return Report("journal", str(WAREHOUSE), [Line("journal", "rows", "missing", "built", False, str(exc))])


def dbt_summary() -> tuple[bool, str]:
    """Whether every seed, model and test of the last dbt build passed (its run_results.json), in a line."""
    path = DBT_TARGET / "run_results.json"
    try:
        results = json.loads(path.read_text())["results"]
    except (OSError, ValueError, KeyError):
        return False, f"{RED}✗ dbt build: no results in {path.relative_to(ROOT)}{RESET}"
    counts = dict.fromkeys(("seed", "model", "test"), 0)
    failed = []
    for result in results:
        kind = result["unique_id"].split(".")[0]
        counts[kind] = counts.get(kind, 0) + 1
        if result["status"] not in ("pass", "success"):
            failed.append(f"{result['unique_id'].split('.')[-1]} ({result['status']})")
    ran = ", ".join(f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in counts.items() if n)
    if failed:
        return False, f"{RED}✗ dbt build: {len(failed)} of {len(results)} failed: {', '.join(failed)}{RESET}"
    return True, f"{GREEN}✓ dbt build: {ran}: every dbt test passed{RESET} {DIM}({path.relative_to(ROOT)}){RESET}"


# ------------------------------------------------------------------------------------------------ main
def main() -> int:
    started = time.monotonic()
    taps = extractors()
    say(f"Cleaning the demo warehouse, state and token store ({', '.join(t['name'] for t in taps)})")
    clean()

    sandbox = Sandbox()
    truths: dict[str, Any] = {}
    failures: list[str] = []
    ran: list[dict[str, Any]] = []

    def on_signal(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    try:
        say("Starting the sandbox (sandbox serve)")
        urls = sandbox.start()
        print(f"    {DIM}" + ", ".join(f"{p} {u}" for p, u in sorted(urls.items())) + f"{RESET}")
        for tap in taps:
            url = urls.get(tap["provider"])
            if url is None:
                print(f"    {DIM}{tap['name']}: no {tap['provider']} emulator in the sandbox yet; skipped{RESET}")
                continue
            configured = str(tap["config"].get("api_url", ""))
            if not configured.startswith(url):
                raise DemoError(
                    f"meltano.yml's demo environment points {tap['name']} at {configured or 'nothing'}, "
                    f"but the sandbox serves {tap['provider']} at {url}"
                )
            log = LOGS / f"{tap['name']}.log"
            steps = [tap["name"], LOADER, *tap["after"]]
            say(f"meltano --environment={ENVIRONMENT} run {' '.join(steps)}")
            t0 = time.monotonic()
            try:
                meltano("run", *steps, log=log)
            except DemoError as exc:
                failures.append(tap["name"])
                print(f"    {RED}failed{RESET}: {exc}")
                continue
            print(f"    {GREEN}done{RESET} in {time.monotonic() - t0:.1f}s {DIM}(log: {log.relative_to(ROOT)}){RESET}")
            truth = http_json(f"{url}/_sandbox/ground-truth")
            (LOGS / f"ground-truth-{tap['provider']}.json").write_text(json.dumps(truth, indent=2, default=str))
            truths[tap["name"]] = truth
            ran.append(tap)
        if ran:
            log = LOGS / f"{DBT}.log"
            say(f"meltano --environment={ENVIRONMENT} run {DBT}:build  (the journal: transform/)")
            t0 = time.monotonic()
            try:
                meltano("run", f"{DBT}:build", log=log)
                print(
                    f"    {GREEN}done{RESET} in {time.monotonic() - t0:.1f}s {DIM}(log: {log.relative_to(ROOT)}){RESET}"
                )
            except DemoError as exc:
                failures.append(f"{DBT}:build")
                print(f"    {RED}failed{RESET}: {exc}")
    except DemoError as exc:
        print(f"{RED}demo failed{RESET}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{RED}interrupted{RESET}", file=sys.stderr)
        return 130
    finally:
        sandbox.stop()

    ok = not failures
    checks = differ = 0
    if ran:
        print()
        say(f"What landed in {WAREHOUSE.relative_to(ROOT)}, next to what the sandbox holds")
        with DuckDBWarehouse(WAREHOUSE, schema=ran[0]["schema"]) as warehouse:
            for tap in ran:
                warehouse.schema = tap["schema"]
                warehouse.description = f"DuckDB {WAREHOUSE.relative_to(ROOT)} (schema {tap['schema']})"
                report = compare(truths[tap["name"]], warehouse, title=tap["name"])
                print(report.render(color=COLOR))
                print()
                ok = ok and report.ok
                checks += len(report.lines)
                differ += len(report.failures)
        report = journal_report({tap["provider"]: truths[tap["name"]] for tap in ran})
        print(report.render(color=COLOR))
        dbt_ok, dbt_line = dbt_summary()
        print(dbt_line)
        print()
        ok = ok and report.ok and dbt_ok
        checks += len(report.lines) + 1
        differ += len(report.failures) + (not dbt_ok)
    if ran and not differ:
        print(
            f"{GREEN}{BOLD}✓ {len(ran)} tap(s), {checks} checks: everything the sandbox holds arrived, to the cent.{RESET}"
        )
    elif ran:
        print(f"{RED}{BOLD}✗ {differ} of {checks} checks differ{RESET} (logs in {LOGS.relative_to(ROOT)})")
    if failures:
        print(f"{RED}failed: {', '.join(failures)}{RESET} (logs in {LOGS.relative_to(ROOT)})")
    if not ran:
        print(f"{RED}no extractor ran{RESET}")
        ok = False
    print(f"Done in {time.monotonic() - started:.0f}s. Money is exact in the integer minor-unit columns, e.g.")
    print(f"  {EXAMPLE}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
