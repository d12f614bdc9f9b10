"""A thin Findity Connect API client for tests of the emulator itself (tokens, org-relative paths)."""

from __future__ import annotations

import decimal
import typing as t
from datetime import UTC, datetime, timedelta

import requests
from sandbox.findity import CLIENT_ID, CLIENT_SECRET, ORGANIZATION_ID

from tests.helpers import Sandbox


class Clock:
    """An injectable clock: ``FindityConfig(clock=clock)``; ``clock.advance(seconds)`` moves time on."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class FindityApi:
    def __init__(self, sandbox: Sandbox, organization: str = ORGANIZATION_ID) -> None:
        self.sandbox = sandbox
        self.base = f"{sandbox.url}/api/v1/connect/organizations/{organization}"
        self.http = requests.Session()
        self.token: dict | None = None

    def token_request(self, **form: str) -> requests.Response:
        data = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **form}
        return self.http.post(f"{self.sandbox.url}/oauth/token", data=data, timeout=10)

    def authorize(self) -> dict:
        response = self.token_request()
        response.raise_for_status()
        self.token = response.json()
        return self.token

    def call(self, method: str, path: str, **kwargs: t.Any) -> requests.Response:
        if self.token is None:
            self.authorize()
        assert self.token is not None
        headers = {"Authorization": f"Bearer {self.token['access_token']}", **kwargs.pop("headers", {})}
        return self.http.request(method, self.base + path, headers=headers, timeout=30, **kwargs)

    def json(self, method: str, path: str, **kwargs: t.Any) -> t.Any:
        response = self.call(method, path, **kwargs)
        assert response.status_code == 200, response.text
        return response.json(parse_float=decimal.Decimal)

    def exports(self) -> list[dict]:
        return self.json("GET", "/exports")

    def package(self, export_id: str) -> dict:
        return self.json("GET", f"/exports/{export_id}/export")

    def confirm(self, export_id: str, status: str = "SUCCESS", **extra: t.Any) -> requests.Response:
        ids = [v["id"] for v in self.package(export_id)["vouchers"]]
        return self.call(
            "PUT",
            f"/exports/{export_id}/updatestatus",
            json={"voucherUpdates": [{"id": i, "status": status, **extra} for i in ids]},
        )

    def bulk_send(self, **body: t.Any) -> dict:
        return self.sandbox.admin("POST", "/findity/bulk-send", body)
