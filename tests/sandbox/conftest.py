"""Fixtures for the sandbox's own tests: real HTTP against emulators served on free loopback ports."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from sandbox.candis import (
    CLIENT_ID,
    CLIENT_SECRET,
    INITIAL_REFRESH_TOKEN,
    ORGANIZATION_ID,
    TOKEN_PATH,
    CandisConfig,
    create_app,
)
from sandbox.framework.server import serve_in_thread

DEFAULT_RUNTIME = {
    "token_lifetime": 1209600,
    "refresh_lifetime": 15551995,
    "export_delay": 2.0,
    "rate_limit": 500,
    "refresh_token_reuse": False,
}


class Clock:
    """An injectable clock: ``CandisConfig(clock=clock)``; ``clock.advance(seconds)`` moves time on."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class CandisClient:
    """A thin test client: token handling, org-relative paths, admin calls, paging everything."""

    def __init__(self, base_url: str, session: requests.Session) -> None:
        self.base_url = base_url
        self.http = session
        self.refresh_token = INITIAL_REFRESH_TOKEN
        self.access_token: str | None = None

    # -- oauth
    def token_request(self, refresh_token: str | None = None, *, basic: bool = True, **form: str) -> requests.Response:
        data = {"grant_type": "refresh_token", "refresh_token": refresh_token or self.refresh_token, **form}
        if basic:
            return self.http.post(self.base_url + TOKEN_PATH, data=data, auth=(CLIENT_ID, CLIENT_SECRET), timeout=10)
        data.update(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
        return self.http.post(self.base_url + TOKEN_PATH, data=data, timeout=10)

    def login(self) -> CandisClient:
        response = self.token_request()
        assert response.status_code == 200, response.text
        body = response.json()
        self.refresh_token = body["refresh_token"]
        self.access_token = body["access_token"]
        return self

    @property
    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"} if self.access_token else {}

    # -- API
    def url(self, path: str) -> str:
        if path.startswith("http"):
            return path
        if path.startswith("/"):
            return self.base_url + path
        return f"{self.base_url}/v1/organizations/{ORGANIZATION_ID}/{path}"

    def get(self, path: str, params: Any = None, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return self.http.get(self.url(path), params=params, headers=self.auth_headers, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return self.http.post(self.url(path), json=json, headers=self.auth_headers, **kwargs)

    def fetch_all(self, path: str, list_key: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Page with offset/limit the way the docs say: next offset = offset + pageSize until totalCount."""
        out: list[dict[str, Any]] = []
        offset = 0
        while True:
            response = self.get(path, params={**(params or {}), "offset": offset, "limit": 50})
            assert response.status_code == 200, response.text
            body = response.json()
            out.extend(body[list_key])
            offset += body["pagination"]["pageSize"]
            if offset >= body["pagination"]["totalCount"]:
                return out

    # -- admin
    def admin(self, method: str, path: str, json: Any = None) -> Any:
        response = self.http.request(method, f"{self.base_url}/_sandbox{path}", json=json, timeout=60)
        assert response.status_code < 300, response.text
        return response.json()


@pytest.fixture(scope="module")
def candis_server() -> Iterator[str]:
    """One Candis emulator (seed 42, scale 200) per test module; ``candis`` resets it before each test."""
    with serve_in_thread(create_app(CandisConfig(seed=42, scale=200))) as base_url:
        yield base_url


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture
def candis(candis_server: str, http: requests.Session) -> CandisClient:
    client = CandisClient(candis_server, http)
    client.admin("POST", "/reset", {"seed": 42, "scale": 200})
    client.admin("POST", "/config", DEFAULT_RUNTIME)
    return client


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_candis(http: requests.Session) -> Iterator[Any]:
    """``make_candis(**config) -> CandisClient`` on a dedicated server (for an injected clock etc.)."""
    with contextlib.ExitStack() as stack:

        def make(**config: Any) -> CandisClient:
            return CandisClient(stack.enter_context(serve_in_thread(create_app(CandisConfig(**config)))), http)

        yield make
