"""The durable event store: every accepted event is a row, written (committed) before the receiver answers 2xx.

One table, `webhook_events`, keyed by (provider, event id) — SNS `MessageId`, Pleo `webhook-id`, Findity
`exportId` — so a redelivery inserts nothing (`ON CONFLICT DO NOTHING`) and is answered 2xx as a duplicate.
An event is `pending` until a run of its tenant that started after the event was stored succeeds; then it is
`done` (with the run that covered it). A failed run leaves it pending, with the error and its attempts.

SQLite (the default: a file, WAL journal, `synchronous=FULL`, so a commit is on disk when it returns) or
PostgreSQL (`postgresql://...`, autocommit: each statement is its own durable transaction). Connections are
per thread: the receiver writes from a thread pool, the sensor and the drain read from their own thread.

Only what a run needs is stored (provider, event id, tenant, kind and a few ids such as the export id), never
the request's body or headers: an on_digitized message carries a whole invoice, a signature is no use later.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sqlite3
import threading
import time
import typing as t
from pathlib import Path

PENDING, DONE = "pending", "done"

_COLUMNS = (
    "provider, event_id, tenant, kind, ref, received_at, status, attempts, requested_key, requested_at, "
    "last_error, done_at, done_by"
)
_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS webhook_events (
        provider TEXT NOT NULL,
        event_id TEXT NOT NULL,
        tenant TEXT NOT NULL,
        kind TEXT NOT NULL,
        ref TEXT NOT NULL,
        received_at DOUBLE PRECISION NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        requested_key TEXT,
        requested_at DOUBLE PRECISION,
        last_error TEXT,
        done_at DOUBLE PRECISION,
        done_by TEXT,
        PRIMARY KEY (provider, event_id)
    )""",
    "CREATE INDEX IF NOT EXISTS webhook_events_status ON webhook_events (status, tenant, received_at)",
)

#: The errors of a store that cannot be read or written (the receiver answers 503 on them).
STORE_ERRORS: tuple[type[BaseException], ...] = (sqlite3.Error, OSError)
try:  # PostgreSQL is optional at import time (a SQLite-only install still works)
    import psycopg

    STORE_ERRORS = (*STORE_ERRORS, psycopg.Error)
except ImportError:  # pragma: no cover - psycopg is a dependency of the package
    psycopg = None  # type: ignore[assignment]


class StoreError(Exception):
    """The store cannot be opened, read or written."""


@dataclasses.dataclass(frozen=True)
class Event:
    """One accepted provider event."""

    provider: str
    event_id: str
    tenant: str
    kind: str
    #: The ids a run or a person needs (export id, company code, job id, ...): small, no secrets.
    ref: dict[str, t.Any]
    received_at: float = dataclasses.field(default_factory=time.time)

    @property
    def key(self) -> tuple[str, str]:
        return self.provider, self.event_id


@dataclasses.dataclass(frozen=True)
class StoredEvent(Event):
    status: str = PENDING
    attempts: int = 0
    requested_key: str | None = None
    requested_at: float | None = None
    last_error: str | None = None
    done_at: float | None = None
    done_by: str | None = None

    @classmethod
    def from_row(cls, row: t.Sequence[t.Any]) -> StoredEvent:
        values = dict(zip(_COLUMNS.split(", "), row, strict=True))
        values["ref"] = json.loads(values["ref"])
        values["attempts"] = int(values["attempts"])
        for name in ("received_at", "requested_at", "done_at"):
            values[name] = None if values[name] is None else float(values[name])
        return cls(**values)


class EventStore:
    """`EventStore.open(url_or_path)`: the SQLite or PostgreSQL store, its table created if missing."""

    placeholder = "?"

    def __init__(self, location: str) -> None:
        self.location = location
        self._local = threading.local()
        self._connections: list[t.Any] = []
        self._lock = threading.Lock()

    @staticmethod
    def open(location: str) -> EventStore:
        store: EventStore
        if location.startswith(("postgresql://", "postgres://")):
            store = PostgresStore(location)
        else:
            store = SqliteStore(location.removeprefix("sqlite:///"))
        try:
            with store._cursor() as cur:
                for statement in _SCHEMA:
                    cur.execute(statement)
        except STORE_ERRORS as exc:
            store.close()
            raise StoreError(f"cannot open the event store {store.describe()}: {exc}") from None
        return store

    # -- connections -----------------------------------------------------------------------------------
    def describe(self) -> str:
        return self.location

    def _connect(self) -> t.Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def _connection(self) -> t.Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def _forget(self) -> None:
        """Drop this thread's connection (after an error), so the next call reconnects."""
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            with self._lock, contextlib.suppress(ValueError):
                self._connections.remove(conn)
            with contextlib.suppress(*STORE_ERRORS):
                conn.close()

    @contextlib.contextmanager
    def _cursor(self) -> t.Iterator[t.Any]:
        try:
            cur = self._connection().cursor()
            try:
                yield cur
            finally:
                cur.close()
        except STORE_ERRORS:
            self._forget()
            raise

    def _sql(self, statement: str) -> str:
        return statement if self.placeholder == "?" else statement.replace("?", self.placeholder)

    def close(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            with contextlib.suppress(*STORE_ERRORS):
                conn.close()
        self._local = threading.local()

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- events ----------------------------------------------------------------------------------------
    def add(self, event: Event) -> bool:
        """Store `event` durably; False when an event with its (provider, event id) is already stored."""
        with self._cursor() as cur:
            cur.execute(
                self._sql(
                    "INSERT INTO webhook_events (provider, event_id, tenant, kind, ref, received_at) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (provider, event_id) DO NOTHING"
                ),
                (event.provider, event.event_id, event.tenant, event.kind, json.dumps(event.ref), event.received_at),
            )
            return cur.rowcount == 1

    def get(self, provider: str, event_id: str) -> StoredEvent | None:
        with self._cursor() as cur:
            cur.execute(
                self._sql(f"SELECT {_COLUMNS} FROM webhook_events WHERE provider = ? AND event_id = ?"),  # noqa: S608 - fixed column list
                (provider, event_id),
            )
            row = cur.fetchone()
        return None if row is None else StoredEvent.from_row(row)

    def events(self, status: str | None = None, tenant: str | None = None) -> list[StoredEvent]:
        """Events (oldest first), optionally of one status and/or tenant."""
        where, params = [], []
        if status is not None:
            where.append("status = ?")
            params.append(status)
        if tenant is not None:
            where.append("tenant = ?")
            params.append(tenant)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        with self._cursor() as cur:
            cur.execute(
                self._sql(f"SELECT {_COLUMNS} FROM webhook_events{clause} ORDER BY received_at, event_id"),  # noqa: S608 - fixed columns, placeholders
                params,
            )
            return [StoredEvent.from_row(row) for row in cur.fetchall()]

    def pending(self, tenant: str | None = None) -> list[StoredEvent]:
        return self.events(PENDING, tenant)

    def counts(self) -> dict[str, int]:
        with self._cursor() as cur:
            cur.execute("SELECT status, COUNT(*) FROM webhook_events GROUP BY status")
            return {status: int(n) for status, n in cur.fetchall()}

    def _update(self, keys: t.Iterable[tuple[str, str]], assignments: str, values: t.Sequence[t.Any]) -> int:
        changed = 0
        with self._cursor() as cur:
            for provider, event_id in keys:
                cur.execute(
                    self._sql(f"UPDATE webhook_events SET {assignments} WHERE provider = ? AND event_id = ?"),  # noqa: S608 - fixed assignments
                    (*values, provider, event_id),
                )
                changed += cur.rowcount
        return changed

    def mark_requested(self, keys: t.Iterable[tuple[str, str]], run_key: str, at: float | None = None) -> int:
        """A run was requested for these events (one more attempt each)."""
        return self._update(
            keys, "requested_key = ?, requested_at = ?, attempts = attempts + 1", (run_key, at or time.time())
        )

    def mark_failed(self, keys: t.Iterable[tuple[str, str]], error: str) -> int:
        """The run that was to cover these events failed: they stay pending, with the error."""
        return self._update(keys, "last_error = ?, requested_key = NULL", (error[:500],))

    def mark_done(self, keys: t.Iterable[tuple[str, str]], by: str, at: float | None = None) -> int:
        """A successful run covered these events."""
        return self._update(
            keys, "status = ?, done_at = ?, done_by = ?, last_error = NULL", (DONE, at or time.time(), by)
        )


class SqliteStore(EventStore):
    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)  # autocommit: one statement each
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")  # a commit is on disk before the 2xx
        return conn


class PostgresStore(EventStore):
    placeholder = "%s"

    def describe(self) -> str:
        """The URL without its password."""
        head, _, tail = self.location.rpartition("@")
        if not head:
            return self.location
        scheme, _, userinfo = head.partition("://")
        return f"{scheme}://{userinfo.split(':', 1)[0]}:***@{tail}"

    def _connect(self) -> t.Any:
        if psycopg is None:  # pragma: no cover
            raise StoreError("PostgreSQL store needs psycopg (pip install 'psycopg[binary]')")
        return psycopg.connect(self.location, autocommit=True, connect_timeout=10)
