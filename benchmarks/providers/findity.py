"""tap-findity benchmark definition (see providers/__init__.py).

The sandbox at scale N starts with 8 unprocessed exports (one per voucher format) holding 3N/4 reports; the
tap reads every package (vouchers streamed with ijson) and emits vouchers and voucher rows.
"""

from __future__ import annotations

import json
import typing as t
from pathlib import Path

import requests

PROVIDER = "findity"
TAP = "tap-findity"
STREAMS = ("voucher_rows", "vouchers")
CLIENT_ID, CLIENT_SECRET = "sandbox-findity-client", "sandbox-findity-secret"
ORG = "8ab28c4f8499e01c01849e2631a107a9"


def config(url: str, workdir: Path) -> dict:
    return {
        "api_url": f"{url}/api",
        "token_url": f"{url}/oauth/token",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "organization_id": ORG,
        "manifest_dir": str(workdir / "manifests"),
    }


def selected(stream: str) -> set[str]:
    return {"exports", "vouchers", stream}


def baseline(url: str, stream: str, out: t.TextIO) -> tuple[int, int]:
    session = requests.Session()
    token = session.post(
        f"{url}/oauth/token",
        timeout=30,
        data={
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
    ).json()["access_token"]
    session.headers["Authorization"] = f"Bearer {token}"
    base = f"{url}/api/v1/connect/organizations/{ORG}"
    exports = session.get(f"{base}/exports", timeout=60).json()
    calls, records = 1, 0
    for export in exports:
        package = session.get(f"{base}/exports/{export['id']}/export", timeout=600).json()
        calls += 1
        for voucher in package["vouchers"]:
            rows = voucher.pop("voucherRows")
            if stream == "vouchers":
                out.write(json.dumps(voucher) + "\n")
                records += 1
            else:
                for number, row in enumerate(rows, start=1):
                    out.write(json.dumps({**row, "voucherId": voucher["id"], "rowNumber": number}) + "\n")
                    records += 1
    return records, calls
