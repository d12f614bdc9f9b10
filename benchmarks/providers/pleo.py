"""tap-pleo benchmark definition (see providers/__init__.py)."""

from __future__ import annotations

import json
import typing as t
from pathlib import Path

import requests

PROVIDER = "pleo"
TAP = "tap-pleo"
STREAMS = ("accounting_entries", "export_job_items")
API_KEY = "plp_sandbox_0rg4n1s4t10n_k3y"
COMPANY = "9b2f6a3c-1d4e-4f7a-8b9c-0a1b2c3d4e51"


def config(url: str, workdir: Path) -> dict:
    return {
        "api_url": url,
        "api_key": API_KEY,
        "company_id": COMPANY,
        "manifest_dir": str(workdir / "manifests"),
    }


def selected(stream: str) -> set[str]:
    return {stream, "export_jobs"} if stream in ("export_job_items", "export_items") else {stream}


def _pages(
    session: requests.Session, method: str, url: str, params: dict, body: t.Any = None
) -> t.Iterator[tuple[list, int]]:
    after = None
    while True:
        query = {**params, "limit": 100, **({"after": after} if after else {})}
        page = session.request(method, url, params=query, json=body, timeout=60).json()
        yield page["data"], 1
        if not page["pagination"]["hasNextPage"]:
            return
        after = page["pagination"]["endCursor"]


def baseline(url: str, stream: str, out: t.TextIO) -> tuple[int, int]:
    session = requests.Session()
    session.auth = (API_KEY, "")
    records = calls = 0
    if stream == "accounting_entries":
        pages = _pages(
            session,
            "POST",
            f"{url}/v1/accounting-entries:search",
            {"company_id": COMPANY, "sorting_keys": "performedAt", "sorting_order": "ASC"},
            {"includeDeleted": False},
        )
        for data, n in pages:
            calls += n
            for record in data:
                out.write(json.dumps(record) + "\n")
                records += 1
        return records, calls
    for jobs, n in _pages(session, "GET", f"{url}/v3/export-jobs", {"company_id": COMPANY}):
        calls += n
        for job in jobs:
            path = (
                f"{url}/v3/export-jobs/{job['id']}/items" if stream == "export_job_items" else f"{url}/v3/export-items"
            )
            if stream == "export_items" and job["status"] not in ("pending", "in_progress"):
                continue
            params = {} if stream == "export_job_items" else {"job_id": job["id"]}
            for data, m in _pages(session, "GET", path, params):
                calls += m
                for record in data:
                    out.write(json.dumps(record) + "\n")
                    records += 1
    return records, calls
