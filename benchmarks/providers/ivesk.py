"""tap-ivesk benchmark definition (see providers/__init__.py)."""

from __future__ import annotations

import json
import typing as t
from pathlib import Path

import requests

PROVIDER = "ivesk"
TAP = "tap-ivesk"
STREAMS = ("documents",)
API_KEY = "dp_sandbox_8f3a1c5e9b7d4f20"


def config(url: str, workdir: Path) -> dict:
    return {"api_url": url, "api_key": API_KEY}


def selected(stream: str) -> set[str]:
    return {stream}


def baseline(url: str, stream: str, out: t.TextIO) -> tuple[int, int]:
    """The vendor's documented loop: GET /exported?from=<next> until a response has no `next`."""
    session = requests.Session()
    session.headers["x-api-key"] = API_KEY
    records = calls = 0
    params: dict[str, str] = {}
    while True:
        body = session.get(f"{url}/exported", params=params, timeout=60).json()
        calls += 1
        for document in body["documents"]:
            out.write(json.dumps(document) + "\n")
            records += 1
        if "next" not in body:
            return records, calls
        params = {"from": body["next"]}
