"""tap-findity fixtures: a config pointing at the Findity sandbox, a tap runner and the write-back runner."""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
from sandbox.findity import CLIENT_ID, CLIENT_SECRET, ORGANIZATION_ID

from tests.helpers import Sandbox, command_fixture, oauth_config, tap_fixture


def findity_config(sandbox: Sandbox, tmp: Path, **overrides: t.Any) -> dict:
    settings = {"organization_id": ORGANIZATION_ID, "manifest_dir": str(tmp / "manifests")}
    client = (CLIENT_ID, CLIENT_SECRET)
    return oauth_config(f"{sandbox.url}/api", f"{sandbox.url}/oauth/token", client, **settings) | overrides


@pytest.fixture
def config(findity: Sandbox, tmp_path: Path) -> dict:
    return findity_config(findity, tmp_path)


tap = tap_fixture("tap-findity")


writeback = command_fixture("writeback", "tap-findity-writeback")


def exports_in_findity(sandbox: Sandbox) -> dict[str, dict]:
    return {e["id"]: e for e in sandbox.admin("GET", "/findity/exports")}
