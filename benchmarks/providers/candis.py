"""tap-candis benchmark definition (see providers/__init__.py)."""

from __future__ import annotations

import json
import typing as t
from pathlib import Path

import requests

PROVIDER = "candis"
TAP = "tap-candis"
STREAMS = ("postings", "reimbursement_items", "invoices")
ORG = "alpha-organization"
# The tap and the baseline both start from the same refresh token: let the sandbox accept it twice.
SANDBOX_ARGS = ("--refresh-token-reuse",)
LISTS = {
    "reimbursement_items": ("reimbursement-items", "reimbursementItems", {"status": "APPROVED,EXPORTED"}),
    "invoices": ("invoices", "invoices", {"status": "APPROVED,EXPORTED"}),
    "purchase_requests": ("purchase-requests", "purchaseRequests", {}),
}


def config(url: str, workdir: Path) -> dict:
    return {
        "api_url": url,
        "token_url": f"{url}/auth/realms/candis/protocol/openid-connect/token",
        "client_id": "sandbox-client",
        "client_secret": "sandbox-secret",
        "refresh_token": "sandbox-refresh-token",
        "token_store_dir": str(workdir / "tokens"),
    }


def selected(stream: str) -> set[str]:
    return {stream, "exports"} if stream in ("postings", "failed_postings") else {stream}


def baseline(url: str, stream: str, out: t.TextIO) -> tuple[int, int]:
    session = requests.Session()
    token = session.post(
        f"{url}/auth/realms/candis/protocol/openid-connect/token",
        data={"grant_type": "refresh_token", "refresh_token": "sandbox-refresh-token"},
        auth=("sandbox-client", "sandbox-secret"),
        timeout=30,
    ).json()["access_token"]
    session.headers["Authorization"] = f"Bearer {token}"
    base = f"{url}/v1/organizations/{ORG}"
    records = calls = 0
    if stream == "postings":
        offset = 0
        while True:
            page = session.get(f"{base}/exports", params={"offset": offset, "limit": 50}, timeout=60).json()
            calls += 1
            for export in page["exports"]:
                if export["status"] == "EXPORTING":
                    continue
                body = session.get(f"{base}/exports/{export['id']}/postings", timeout=300).json()
                calls += 1
                for posting in body["successfulPostings"]:
                    out.write(json.dumps(posting) + "\n")
                    records += 1
            offset += len(page["exports"])
            if not page["exports"] or offset >= page["pagination"]["totalCount"]:
                return records, calls
    path, key, params = LISTS[stream]
    offset = 0
    while True:
        page = session.get(f"{base}/{path}", params={**params, "offset": offset, "limit": 50}, timeout=60).json()
        calls += 1
        for item in page[key]:
            out.write(json.dumps(item) + "\n")
            records += 1
        offset += len(page[key])
        if not page[key] or offset >= page["pagination"]["totalCount"]:
            return records, calls
