"""Run manifests: what a tap run extracted, for the write-back command that Meltano runs AFTER the loader.

`meltano run tap-x target-y tap-x:ack` only reaches `tap-x:ack` when the tap and the target both succeeded,
so a manifest written by the tap at the end of its run describes data the target has stored. The tap
replaces the manifest at the end of every complete run (a killed run leaves the previous one); the ack command
reads it, acts on the entries not yet acknowledged and marks each one as it succeeds — so running it twice
is harmless. Items the provider keeps open (unconfirmed jobs/exports) are extracted again by the next run,
so a failed load never loses an acknowledgement.

Default location: ``$XDG_STATE_HOME/<tap-name>/manifests`` (or ``~/.local/state/...``); the taps expose a
``manifest_dir`` setting to move it. One file per scope (e.g. API URL + company/organization id).

While it runs, the tap tells the manifest about each unit of work (a Pleo export job, a Findity export):
``begin`` when it starts reading one, ``note`` for every item read, ``complete`` when all its items were read,
``abandon`` when it closed on the provider's side while being read. ``commit`` writes the completed units.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import tempfile
import typing as t
from pathlib import Path


def default_manifest_dir(tap_name: str) -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / tap_name / "manifests"


def _atomic_write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".manifest-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, sort_keys=True, default=str)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class _Unit:
    __slots__ = ("abandoned", "complete", "items", "payload")

    def __init__(self, payload: dict, items: str) -> None:
        self.payload = {**payload, items: list(payload.get(items) or [])}
        self.items = items
        self.complete = False
        self.abandoned = False


class RunManifest:
    """`entries`: key -> {"payload": {...}, "acked": None | {"at": ts, "result": ...}}."""

    def __init__(self, directory: str | os.PathLike[str], tap_name: str, scope: str) -> None:
        digest = hashlib.sha256(scope.encode()).hexdigest()[:16]
        self.path = Path(directory).expanduser() / f"{tap_name}-{digest}.json"
        self._units: dict[str, _Unit] = {}

    # --- written by the tap ----------------------------------------------------------------------------
    def begin(self, key: str, payload: dict, *, items: str) -> None:
        """A unit of work starts being read; ``note`` appends its items to ``payload[items]``."""
        self._units[key] = _Unit(payload, items)

    def note(self, key: str, item: str, **flags: bool) -> None:
        """One item of the unit ``key`` was read; true ``flags`` are set in its payload (``derivedIds=True``)."""
        unit = self._units[key]
        unit.payload[unit.items].append(item)
        for name, value in flags.items():
            unit.payload[name] = bool(unit.payload.get(name)) or value

    def complete(self, key: str) -> None:
        """Every item of ``key`` was read: it goes into the manifest (unless abandoned)."""
        self._units[key].complete = True

    def abandon(self, key: str) -> None:
        """``key`` closed on the provider's side while it was read: it is never acknowledged."""
        self._units[key].abandoned = True

    def commit(self) -> int:
        """Replace the manifest with this run's completed units (all unacknowledged: what the provider still
        shows open after an earlier acknowledgement must be acknowledged again); returns how many."""
        entries = {
            key: {"payload": unit.payload, "acked": None}
            for key, unit in self._units.items()
            if unit.complete and not unit.abandoned
        }
        now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        _atomic_write(self.path, {"written_at": now, "entries": entries})
        return len(entries)

    # --- read by the write-back command --------------------------------------------------------------
    def load(self) -> dict:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}

    def unacknowledged(self) -> dict[str, dict]:
        return {k: v["payload"] for k, v in self.load().get("entries", {}).items() if not v.get("acked")}

    def mark_acked(self, key: str, result: t.Any = None) -> None:
        data = self.load()
        entry = data.setdefault("entries", {}).get(key)
        if entry is None:
            return
        now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        entry["acked"] = {"at": now, "result": result}
        _atomic_write(self.path, data)
