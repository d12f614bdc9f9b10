"""`webhooks drain`: the store's pending events turned into runs without Dagster.

For each tenant with pending events, one `meltano run` — the tenant's own command and environment from the
tenants file (orchestrate.tenants.TenantRun.command() / environ()) — covers every event pending when it starts
(they coalesce into that one run). Exit 0 marks them done; any other exit leaves them pending with the error,
for the next drain. Events that arrive while the run goes on stay pending too: the run may have read the
provider before they happened. One drain at a time per store (a lock file beside it, or in the project).
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import os
import shutil
import subprocess
import sys
import time
import typing as t
from pathlib import Path

from orchestrate.tenants import Fleet, TenantRunError

from webhooks.store import EventStore

Log = t.Callable[[str], None]


def default_meltano() -> str:
    """`meltano` beside this interpreter (the project's virtualenv), else the one on PATH."""
    beside = Path(sys.executable).parent / "meltano"
    return str(beside) if beside.exists() else (shutil.which("meltano") or "meltano")


@dataclasses.dataclass
class Drained:
    """What the drain did for one tenant."""

    tenant: str
    events: int
    exit_code: int | None  # None: the run could not start
    seconds: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


@contextlib.contextmanager
def drain_lock(path: Path) -> t.Iterator[None]:
    """Hold `path` exclusively, or raise RuntimeError when another drain holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeError(f"another `webhooks drain` holds {path}") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def drain_once(
    store: EventStore,
    fleet: Fleet,
    *,
    project_root: Path,
    meltano: str | None = None,
    environ: t.Mapping[str, str] | None = None,
    only: t.Collection[str] = (),
    log: Log = print,
    output: t.Any = None,
) -> list[Drained]:
    """One pass: a `meltano run` per tenant with pending events (oldest tenant first)."""
    env = dict(os.environ if environ is None else environ)
    by_tenant: dict[str, list[tuple[str, str]]] = {}
    for event in store.pending():
        if not only or event.tenant in only:
            by_tenant.setdefault(event.tenant, []).append(event.key)
    results = []
    for name, keys in by_tenant.items():
        run = fleet.runs.get(name)
        if run is None:
            log(f"webhooks drain: tenant {name} is not in {fleet.path}: its {len(keys)} event(s) stay pending")
            continue
        started = time.time()
        store.mark_requested(keys, f"drain:{int(started)}", started)
        try:
            extra = run.environ(env)
        except TenantRunError as exc:
            store.mark_failed(keys, str(exc))
            log(f"webhooks drain: {exc}")
            results.append(Drained(name, len(keys), None, 0.0, str(exc)))
            continue
        command = run.command(meltano or default_meltano())
        log(f"webhooks drain: tenant {name}: {len(keys)} event(s): {' '.join(command)}")
        try:
            # S603: the command is the tenants file's, built by orchestrate (a list, no shell)
            proc = subprocess.run(  # noqa: S603 - a fixed argument list, no shell
                command,
                cwd=project_root,
                env={**env, **extra},
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=output,
                check=False,
            )
        except OSError as exc:
            error = f"cannot start {command[0]}: {exc}"
            store.mark_failed(keys, error)
            log(f"webhooks drain: tenant {name}: {error}")
            results.append(Drained(name, len(keys), None, time.time() - started, error))
            continue
        seconds = time.time() - started
        if proc.returncode == 0:
            store.mark_done(keys, f"drain: meltano run ({seconds:.1f} s)")
            log(f"webhooks drain: tenant {name}: done in {seconds:.1f} s ({len(keys)} event(s))")
            results.append(Drained(name, len(keys), 0, seconds))
        else:
            error = f"meltano run exited {proc.returncode}"
            store.mark_failed(keys, error)
            log(f"webhooks drain: tenant {name}: {error}; its {len(keys)} event(s) stay pending")
            results.append(Drained(name, len(keys), proc.returncode, seconds, error))
    return results
