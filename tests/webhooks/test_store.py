"""The event store, on SQLite and on PostgreSQL: one row per (provider, event id), pending until done."""

from __future__ import annotations

import typing as t

import pytest
from webhooks.store import Event, EventStore

from tests.e2e.conftest import PostgresServer
from tests.e2e.conftest import postgres_server as postgres_server  # the e2e tests' private PostgreSQL server
from tests.webhooks.conftest import FINDITY_SECRET, Setup


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, setup: Setup) -> str:
    if request.param == "sqlite":
        return str(setup.store_path)
    server: PostgresServer = request.getfixturevalue("postgres_server")
    database = server.create_database(f"webhooks_{abs(hash(request.node.name)) % 10**8}")
    return f"postgresql://{server.user}:unused@{server.host}:{server.port}/{database}"


def test_an_event_is_stored_once_and_is_pending_until_done(location: str) -> None:
    event = Event("findity", "dfa30e2e70fc40da8a445abccff0db1e", "norrsken-findity", "export", {"exportId": "dfa3"})
    with EventStore.open(location) as store:
        assert store.add(event) and not store.add(event)
        assert store.mark_requested([event.key], "dfa30e2e70fc40da8a445abccff0db1e") == 1
        assert store.mark_failed([event.key], "meltano run exited 1") == 1
    with EventStore.open(location) as store:  # durable: another connection, later
        (pending,) = store.pending()
        assert (pending.attempts, pending.last_error, pending.requested_key) == (1, "meltano run exited 1", None)
        assert pending.ref == {"exportId": "dfa3"}
        store.mark_done([event.key], "drain")
        assert store.pending() == [] and store.counts() == {"done": 1}
        assert store.get("findity", event.event_id).done_by == "drain"


def test_the_receiver_stores_in_postgresql_and_hides_the_password(setup: Setup, location: str) -> None:
    hooks = setup.receiver(store=EventStore.open(location))
    body: dict[str, t.Any] = {"exportId": "e" * 32, "organizationId": "8ab28c4f8499e01c01849e2631a107a9"}
    assert hooks.post(f"/findity/{FINDITY_SECRET}", body).json()["status"] == "accepted"
    assert hooks.post(f"/findity/{FINDITY_SECRET}", body).json()["status"] == "duplicate"
    assert [e.event_id for e in hooks.store.events()] == ["e" * 32]
    assert "unused" not in hooks.store.describe()
