"""Candis emulator: the ground-truth view, determinism, reset and run-time configuration."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal

import pytest

MONEY = {
    "postings": ("amount.value", lambda r: (r["amount"]["currencyCode"], Decimal(str(r["amount"]["value"])))),
    "reimbursement_items": (
        "totalAmount.amount",
        lambda r: (r["totalAmount"]["currency"], Decimal(str(r["totalAmount"]["amount"]))),
    ),
    "invoices": ("amount.value", lambda r: (r["amount"]["currencyCode"], Decimal(str(r["amount"]["value"])))),
    "purchase_requests": (
        "grossAmount.value",
        lambda r: (r["grossAmount"]["currencyCode"], Decimal(str(r["grossAmount"]["value"]))),
    ),
}


def totals(records, stream):
    out: dict[str, Decimal] = defaultdict(Decimal)
    for record in records:
        currency, value = MONEY[stream][1](record)
        out[currency] += value
    return dict(out)


def everything_through_the_api(api):
    exports = api.fetch_all("exports", "exports")
    postings, failed, files = [], [], {}
    for export in exports:
        if export["status"] == "EXPORTING":
            continue
        body = api.get(f"exports/{export['id']}/postings").json()
        postings += body["successfulPostings"]
        failed += body["failedPostings"]
        for posting in body["successfulPostings"]:
            for f in posting["files"]:
                files[f["id"]] = len(api.get(f["url"]).content)
    return {
        "exports": exports,
        "postings": postings,
        "failed_postings": failed,
        "reimbursement_items": api.fetch_all(
            "reimbursement-items", "reimbursementItems", {"status": "APPROVED,EXPORTED"}
        ),
        "invoices": api.fetch_all("invoices", "invoices"),
        "purchase_requests": api.fetch_all("purchase-requests", "purchaseRequests"),
        "files": files,
    }


def test_ground_truth_equals_what_paging_through_the_api_returns(candis):
    api = candis.login()
    # make the state interesting: modified records (one changes an amount), a finished and a running export
    api.admin("POST", "/candis/modify", {"stream": "invoices", "count": 7})
    api.admin("POST", "/candis/modify", {"stream": "reimbursement_items", "count": 3})
    done = api.post("exports").json()
    api.admin("POST", f"/candis/exports/{done['id']}/complete")
    api.admin("POST", "/candis/exportable", {"entityType": "REIMBURSEMENT_ITEM", "count": 4})
    running = api.post("exports", json={"entityType": "REIMBURSEMENT_ITEM"}).json()
    assert running["status"] == "EXPORTING"

    truth = api.admin("GET", "/ground-truth")
    assert truth["provider"] == "candis"
    streams = truth["streams"]
    got = everything_through_the_api(api)
    assert streams["exports"]["count"] == len(got["exports"])
    assert streams["postings"]["count"] == len(got["postings"]) == 200 + 12
    assert streams["failed_postings"]["count"] == len(got["failed_postings"]) > 0
    assert streams["files"]["count"] == len(got["files"])
    assert streams["files"]["bytes"] == sum(got["files"].values())
    for stream, (path, _) in MONEY.items():
        assert streams[stream]["count"] == len(got[stream]), stream
        expected = {cur: Decimal(v) for cur, v in streams[stream]["money"][path].items()}
        assert expected == totals(got[stream], stream), stream
        assert all(len(v.split(".")[1]) == 2 for v in streams[stream]["money"][path].values())

    api.admin("POST", f"/candis/exports/{running['id']}/complete")
    after = api.admin("GET", "/ground-truth")["streams"]
    assert after["postings"]["count"] == streams["postings"]["count"] + 4


def test_ground_truth_counts_every_seeded_record(make_candis):
    api = make_candis(scale=321)
    streams = api.admin("GET", "/ground-truth")["streams"]
    for stream in ("postings", "reimbursement_items", "invoices", "purchase_requests"):
        assert streams[stream]["count"] == 321
    assert streams["exports"]["count"] >= 4


def _snapshot(api):
    """Everything a tap can read, with the server's own base URL taken out of file links."""
    api.login()
    pages = {}
    for path, params in (
        ("exports", {"limit": 50}),
        ("invoices", {"offset": 100}),
        ("purchase-requests", {}),
        ("reimbursement-items", {"status": "APPROVED,EXPORTED", "offset": 50}),
    ):
        pages[path] = api.get(path, params=params).text
    export_id = json.loads(pages["exports"])["exports"][-1]["id"]
    postings = api.get(f"exports/{export_id}/postings").text
    pages["postings"] = postings.replace(api.base_url, "BASE")
    file_url = json.loads(postings)["successfulPostings"][0]["files"][0]["url"]
    pages["file"] = api.get(file_url).content.hex()
    pages["truth"] = json.dumps(api.admin("GET", "/ground-truth"), sort_keys=True)
    return pages


def test_same_seed_gives_byte_identical_data_on_two_instances(make_candis):
    first = _snapshot(make_candis(seed=7, scale=300))
    second = _snapshot(make_candis(seed=7, scale=300))
    assert first == second
    other = _snapshot(make_candis(seed=8, scale=300))
    assert all(other[key] != first[key] for key in first)


def test_reset_regenerates_with_a_new_seed_and_scale(candis):
    api = candis.login()
    before = api.get("invoices", params={"limit": 1}).json()["invoices"][0]["id"]
    view = api.admin("POST", "/reset", {"seed": 5, "scale": 60})
    assert view["seed"] == 5 and view["scale"] == 60
    api.refresh_token = "sandbox-refresh-token"  # tokens are reset too
    api.login()
    body = api.get("invoices", params={"limit": 1}).json()
    assert body["pagination"]["totalCount"] == 60 and body["invoices"][0]["id"] != before
    assert api.admin("GET", "/ground-truth")["streams"]["invoices"]["count"] == 60


@pytest.mark.parametrize(
    "body",
    [
        {"seed": 1},
        {"scale": 10},
        {"rate_limit": -1},
        {"export_delay": "soon"},
        {"refresh_token_reuse": "yes"},
        {"unknown": 1},
    ],
)
def test_config_rejects_bad_or_data_changing_settings(candis, body):
    response = candis.http.post(candis.base_url + "/_sandbox/config", json=body)
    assert response.status_code == 400 and response.json()["error"]


def test_config_changes_are_applied_and_reported(candis):
    view = candis.admin("POST", "/config", {"export_delay": 0, "rate_limit": 10, "token_lifetime": 5})
    assert (view["export_delay"], view["rate_limit"], view["token_lifetime"]) == (0.0, 10, 5)
    assert candis.admin("GET", "/config")["rate_limit"] == 10
    api = candis.login()
    created = api.post("exports").json()
    assert created["status"] == "EXPORTING"  # the POST answer always is
    assert api.get(f"exports/{created['id']}").json()["status"] == "EXPORTED"  # no delay any more
