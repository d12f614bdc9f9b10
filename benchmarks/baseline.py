"""The raw baseline: a bare `requests` + `json` loop over the same Candis endpoints the tap reads.

No retries, no schema, no Singer messages: the fastest a hand-written script could be. Prints one JSON line
`{"records": n, "requests": n}`. Run: python baseline.py URL STREAM
"""

from __future__ import annotations

import json
import sys

import requests

ORG = "alpha-organization"
LISTS = {
    "reimbursement_items": ("reimbursement-items", "reimbursementItems", {"status": "APPROVED,EXPORTED"}),
    "invoices": ("invoices", "invoices", {"status": "APPROVED,EXPORTED"}),
    "purchase_requests": ("purchase-requests", "purchaseRequests", {}),
}


def main(url: str, stream: str) -> None:
    session = requests.Session()
    token = session.post(
        f"{url}/auth/realms/candis/protocol/openid-connect/token",
        data={"grant_type": "refresh_token", "refresh_token": "sandbox-refresh-token"},
        auth=("sandbox-client", "sandbox-secret"), timeout=30,
    ).json()["access_token"]
    session.headers["Authorization"] = f"Bearer {token}"
    base = f"{url}/v1/organizations/{ORG}"
    records = requests_made = 0
    out = sys.stdout
    if stream == "postings":
        offset = 0
        while True:
            page = session.get(f"{base}/exports", params={"offset": offset, "limit": 50}, timeout=60).json()
            requests_made += 1
            for export in page["exports"]:
                body = session.get(f"{base}/exports/{export['id']}/postings", timeout=300).json()
                requests_made += 1
                for posting in body["successfulPostings"]:
                    out.write(json.dumps(posting) + "\n")
                    records += 1
            offset += len(page["exports"])
            if not page["exports"] or offset >= page["pagination"]["totalCount"]:
                break
    else:
        path, key, params = LISTS[stream]
        offset = 0
        while True:
            page = session.get(f"{base}/{path}", params={**params, "offset": offset, "limit": 50}, timeout=60).json()
            requests_made += 1
            for item in page[key]:
                out.write(json.dumps(item) + "\n")
                records += 1
            offset += len(page[key])
            if not page[key] or offset >= page["pagination"]["totalCount"]:
                break
    sys.stderr.write(json.dumps({"records": records, "requests": requests_made}) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
