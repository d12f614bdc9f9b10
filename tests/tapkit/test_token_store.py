"""tapkit.token_store: the rotated refresh token survives runs, until the config brings a new authorization."""

from __future__ import annotations

from tapkit.token_store import RefreshTokenStore


def test_token_store_prefers_rotated_token_unless_config_has_a_new_authorization(tmp_path) -> None:
    store = RefreshTokenStore(tmp_path, token_url="https://id/token", client_id="c")
    assert store.load("first") == "first"
    store.save("rotated-1", "first")
    assert store.load("first") == "rotated-1"
    assert store.load("re-authorized") == "re-authorized"
    assert oct(store.path.stat().st_mode & 0o777) == "0o600"
    assert not list(tmp_path.glob(".tok-*"))
