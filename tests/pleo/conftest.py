"""tap-pleo fixtures: a config pointing at the Pleo sandbox, with private token store and manifest dir."""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
from sandbox.pleo import API_KEY, CLIENT_ID, CLIENT_SECRET, DEFAULT_COMPANY_ID, INITIAL_REFRESH_TOKEN, TOKEN_PATH

from tests.helpers import Sandbox, command_fixture, tap_fixture


def pleo_config(sandbox: Sandbox, tmp: Path, *, oauth: bool = False, **overrides: t.Any) -> dict:
    config: dict[str, t.Any] = {
        "api_url": sandbox.url,
        "company_id": DEFAULT_COMPANY_ID,
        "manifest_dir": str(tmp / "manifests"),
        "max_retries": 3,
        "max_requests_per_minute": 0,
    }
    if oauth:
        config |= {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": INITIAL_REFRESH_TOKEN,
            "token_url": sandbox.url + TOKEN_PATH,
            "token_store_dir": str(tmp / "tokens"),
        }
    else:
        config["api_key"] = API_KEY
    config.update(overrides)
    return {k: v for k, v in config.items() if v is not None}


@pytest.fixture
def config(pleo: Sandbox, tmp_path: Path) -> dict:
    return pleo_config(pleo, tmp_path)


tap = tap_fixture("tap-pleo")


ack = command_fixture("ack", "tap-pleo-ack")


def unique(records: list[dict], *keys: str) -> dict:
    return {tuple(r[k] for k in keys): r for r in records}


def open_job_id(sandbox: Sandbox, company: str = DEFAULT_COMPANY_ID) -> str:
    import requests

    body = requests.get(
        sandbox.url + "/v3/export-jobs",
        params={"company_id": company, "statuses": ["pending", "in_progress"]},
        auth=(API_KEY, ""),
        timeout=10,
    ).json()
    (job,) = body["data"]
    return job["id"]
