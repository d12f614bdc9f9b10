"""tapkit.token_store: one entry per authorization — the chain of the configured refresh token, or the one
`authorize` stored for the tenant — found again by later runs, never taken over by another authorization."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os

import pytest
from tapkit.token_store import RefreshTokenStore

URL, CLIENT = "https://id/token", "c"


def _store(tmp_path, tenant: str | None = None) -> RefreshTokenStore:
    return RefreshTokenStore(tmp_path, token_url=URL, client_id=CLIENT, tenant=tenant)


def test_token_store_prefers_rotated_token_unless_config_has_a_new_authorization(tmp_path) -> None:
    store = _store(tmp_path)
    assert store.load("first") == "first"
    store.save("rotated-1", "first")
    assert store.load("first") == "rotated-1"
    assert store.load("re-authorized") == "re-authorized"
    path = store.path("first")
    assert path is not None and oct(path.stat().st_mode & 0o777) == "0o600"
    assert not list(tmp_path.glob(".tok-*"))


def test_two_authorizations_of_one_client_in_one_directory_keep_their_own_tokens(tmp_path) -> None:
    a, b = _store(tmp_path, "org-a"), _store(tmp_path, "org-b")
    a.save("a-1", "a-0")
    b.save("b-1", "b-0")
    a.save("a-2", "a-0")
    # a later run of each (a new store object, as a new process) continues its own chain
    assert _store(tmp_path, "org-a").load("a-0") == "a-2"
    assert _store(tmp_path, "org-b").load("b-0") == "b-1"
    assert len(list(tmp_path.glob("*.json"))) == 2


def test_the_entry_is_the_chain_not_the_tenant_setting(tmp_path) -> None:
    # One Pleo authorization may serve two companies: both runs continue ONE chain, whatever their company
    _store(tmp_path, "company-1").save("r-1", "r-0")
    assert _store(tmp_path, "company-2").load("r-0") == "r-1"
    # and a tenant that has no tenant setting at all (Candis discovers its organization) finds it too
    assert _store(tmp_path).load("r-0") == "r-1"


def test_authorize_stores_the_tenants_chain_which_a_run_without_refresh_token_continues(tmp_path) -> None:
    store = _store(tmp_path, "org-a")
    assert store.stored(None) is None
    path = store.start_chain("authorized-0")
    assert store.load(None) == "authorized-0"
    store.save("authorized-1", None)
    assert _store(tmp_path, "org-a").load(None) == "authorized-1"
    assert _store(tmp_path, "org-b").load(None) is None  # another tenant has no token
    assert _store(tmp_path).stored(None) is None  # no tenant, no configured token: nothing to find
    # the first token put into the config later (--print-refresh-token) continues the chain, never the spent one
    assert _store(tmp_path, "org-a").load("authorized-0") == "authorized-1"
    assert json.loads(path.read_text())["tenant"] == "org-a"


def test_a_new_authorize_replaces_the_tenants_chain(tmp_path) -> None:
    store = _store(tmp_path, "org-a")
    store.start_chain("first-0")
    store.save("first-1", None)
    store.start_chain("second-0")
    assert _store(tmp_path, "org-a").load(None) == "second-0"
    assert _store(tmp_path, "org-a").load("first-0") == "first-0"  # that older chain is not continued


def test_a_store_file_of_the_previous_version_is_found_and_moved_to_its_lineage(tmp_path) -> None:
    key = hashlib.sha256("\x1f".join((URL, CLIENT)).encode()).hexdigest()[:24]  # version 1: token URL, client id
    legacy = tmp_path / f"{key}.json"
    origin = hashlib.sha256(b"configured").hexdigest()
    legacy.write_text(json.dumps({"origin": origin, "refresh_token": "rotated-before-upgrade"}))
    assert _store(tmp_path, "org-a").load("another-authorization") == "another-authorization"
    assert legacy.exists()
    store = _store(tmp_path, "org-a")
    assert store.load("configured") == "rotated-before-upgrade"
    assert not legacy.exists()
    store.save("rotated-after-upgrade", "configured")
    assert _store(tmp_path).load("configured") == "rotated-after-upgrade"


def test_the_lock_is_held_per_authorization(tmp_path) -> None:
    store = _store(tmp_path, "org-a")

    def lock_is_free(path) -> bool:
        fd = os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        finally:
            os.close(fd)  # also releases a lock taken here
        return True

    with store.locked("a-0"):
        assert not lock_is_free(store.path("a-0"))
        assert lock_is_free(store.path("b-0"))  # another authorization never waits for this one
    assert lock_is_free(store.path("a-0"))


def test_an_unknown_tenant_without_refresh_token_has_nowhere_to_store(tmp_path) -> None:
    with pytest.raises(OSError, match="nowhere to store"):
        _store(tmp_path).save("t", None)
