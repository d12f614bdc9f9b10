"""A thin Įvesk API client for tests: the vendor's documented calls, with the sandbox key."""

from __future__ import annotations

import base64
import json
import typing as t

import requests
from sandbox.ivesk import API_KEY

from tests.helpers import Sandbox


def sourcedata(doc_id: str, customdata: str | None = None) -> str:
    payload: dict[str, t.Any] = {"id": doc_id}
    if customdata is not None:
        payload["customdata"] = customdata
    return base64.b64encode(json.dumps(payload).encode()).decode()


class IveskApi:
    def __init__(self, sandbox: Sandbox, key: str | None = API_KEY) -> None:
        self.sandbox = sandbox
        self.url = sandbox.url
        self.http = requests.Session()
        if key is not None:
            self.http.headers["x-api-key"] = key

    def get(self, path: str, **params: t.Any) -> requests.Response:
        return self.http.get(self.url + path, params=params, timeout=30)

    def post(self, path: str, body: t.Any) -> requests.Response:
        return self.http.post(self.url + path, json=body, timeout=30)

    def queue(self, name: str, **params: t.Any) -> list[dict]:
        """Every document of a queue, following `next` the way the vendor documents it."""
        out: list[dict] = []
        while True:
            response = self.get(f"/{name}", **params)
            assert response.status_code == 200, response.text
            body = response.json()
            out.extend(body["documents"])
            if "next" not in body:
                return out
            params["from"] = body["next"]

    def upload(self, name: str, content: bytes, **params: t.Any) -> dict:
        """GET /uploadlocation then PUT the file to the presigned URL (no API key there)."""
        location = self.get(f"/uploadlocation/{name}", **params)
        assert location.status_code == 200, location.text
        body = location.json()
        put = requests.put(
            body["url"],
            data=content,
            timeout=30,
            headers={"Content-Type": body["Content-Type"], "Content-Disposition": body["Content-Disposition"]},
        )
        assert put.status_code == 200, put.text
        return body

    def admin(self, method: str, path: str, body: t.Any = None) -> t.Any:
        return self.sandbox.admin(method, path, body)
