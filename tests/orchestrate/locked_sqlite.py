"""The test instance's event log on SQLite, with pool slots claimed and freed one process at a time.

Dagster claims a pool slot by selecting a free slot row `FOR UPDATE SKIP LOCKED` and then updating it by id.
PostgreSQL and MySQL lock the row, so two runs never take the same slot; SQLite has no row locks, and two
worker processes starting at the same instant both take the one free slot (seen in CI: 3 runs of a pool of 2).
A production fleet keeps its instance on PostgreSQL (orchestrate/README.md), so the test instance gets the
same guarantee here from an exclusive file lock around each claim and free, and the pool under test is
Dagster's own logic, not SQLite's lack of locking.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import typing as t

from dagster._core.storage.event_log import SqliteEventLogStorage


class LockedSqliteEventLogStorage(SqliteEventLogStorage):
    @classmethod
    def from_config_value(cls, inst_data: t.Any, config_value: t.Any) -> LockedSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    @contextlib.contextmanager
    def _slots_locked(self) -> t.Iterator[None]:
        with open(os.path.join(self._base_dir, "concurrency-slots.lock"), "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def claim_concurrency_slot(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        with self._slots_locked():
            return super().claim_concurrency_slot(*args, **kwargs)

    def free_concurrency_slot_for_step(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        with self._slots_locked():
            return super().free_concurrency_slot_for_step(*args, **kwargs)

    def free_concurrency_slots_for_run(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        with self._slots_locked():
            return super().free_concurrency_slots_for_run(*args, **kwargs)


def instance_overrides(base_dir: str) -> dict[str, t.Any]:
    """`instance_for_test` overrides: the instance's event log is this storage under `base_dir`."""
    return {
        "event_log_storage": {
            "module": __name__,
            "class": LockedSqliteEventLogStorage.__name__,
            "config": {"base_dir": base_dir},
        }
    }
