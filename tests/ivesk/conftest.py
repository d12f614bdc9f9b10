"""tap-ivesk fixtures: a config pointing at the sandbox, and a tap runner with a fresh work dir per run."""

from __future__ import annotations

import typing as t

import pytest
from sandbox.ivesk import API_KEY

from tests.helpers import Sandbox, tap_fixture


def ivesk_config(sandbox: Sandbox, **overrides: t.Any) -> dict:
    config = {"api_url": sandbox.url, "api_key": API_KEY, "max_retries": 3}
    return config | overrides


@pytest.fixture
def config(ivesk: Sandbox) -> dict:
    return ivesk_config(ivesk)


tap = tap_fixture("tap-ivesk")
