"""tap-candis fixtures: a config pointing at the sandbox, with a private token store."""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest

from tests.helpers import Sandbox, oauth_config, tap_fixture

CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN = "sandbox-client", "sandbox-secret", "sandbox-refresh-token"


def candis_config(sandbox: Sandbox, tmp: Path, **overrides: t.Any) -> dict:
    token_url = f"{sandbox.url}/auth/realms/candis/protocol/openid-connect/token"
    settings = {"refresh_token": REFRESH_TOKEN, "token_store_dir": str(tmp / "tokens")}
    return oauth_config(sandbox.url, token_url, (CLIENT_ID, CLIENT_SECRET), **settings) | overrides


@pytest.fixture
def config(candis: Sandbox, tmp_path: Path) -> dict:
    return candis_config(candis, tmp_path)


tap = tap_fixture("tap-candis")
