"""`webhooks drain` and `webhooks events` from the command line (a stand-in meltano: only the CLI is tested)."""

from __future__ import annotations

import subprocess
import sys

from webhooks.store import Event, EventStore

from tests.helpers import ROOT
from tests.webhooks.conftest import Setup


def webhooks(setup: Setup, *args: str) -> subprocess.CompletedProcess[str]:
    where = ["--project-root", str(ROOT), "--tenants-file", str(setup.tenants_file), "--store", str(setup.store_path)]
    command = [sys.executable, "-m", "webhooks", args[0], *where, *args[1:]]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False, env=setup.environ)


def test_drain_runs_the_pending_tenants_meltano_and_leaves_failed_events_pending(setup, tmp_path):
    with EventStore.open(str(setup.store_path)) as store:
        store.add(Event("findity", "e1", "norrsken-findity", "export", {"exportId": "e1"}))
        store.add(Event("pleo", "msg_1", "nordic-pleo", "v1.export-job.created", {}))
    failing = webhooks(setup, "drain", "--meltano", "/bin/false", "--tenant", "norrsken-findity")
    assert failing.returncode == 1 and "meltano run exited 1" in failing.stderr
    fake = tmp_path / "meltano"
    fake.write_text('#!/bin/sh\necho "$@" >> "$0.calls"\n', encoding="utf-8")
    fake.chmod(0o755)
    done = webhooks(setup, "drain", "--meltano", str(fake))
    assert done.returncode == 0, done.stderr
    calls = (tmp_path / "meltano.calls").read_text().splitlines()
    assert calls == [
        "--environment=test run --state-id-suffix=norrsken-findity tap-findity target-duckdb",
        "--environment=test run --state-id-suffix=nordic-pleo tap-pleo target-duckdb",
    ]
    listed = webhooks(setup, "events", "--json")
    assert listed.returncode == 0 and listed.stdout.count('"status": "done"') == 2
    assert webhooks(setup, "drain", "--meltano", "/bin/false").returncode == 0  # nothing pending: nothing run
