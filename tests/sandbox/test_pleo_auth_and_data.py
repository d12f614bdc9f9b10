"""The Pleo emulator's authentication (API key as Basic user with an empty password; OAuth with rotating
refresh tokens whose reuse revokes the authorization), errors `{type, message}`, 429 with Retry-After,
accounting entries search, receipts and pre-signed files, reference data and the ground truth."""

from __future__ import annotations

from decimal import Decimal

import requests
from sandbox.pleo import API_KEY, CLIENT_ID, CLIENT_SECRET, DEFAULT_COMPANY_ID, INITIAL_REFRESH_TOKEN, TOKEN_PATH

COMPANY = DEFAULT_COMPANY_ID


def refresh(url: str, token: str) -> requests.Response:
    return requests.post(
        url + TOKEN_PATH,
        data={"grant_type": "refresh_token", "refresh_token": token},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=10,
    )


def test_api_key_is_the_basic_user_name_with_an_empty_password(pleo) -> None:
    ok = requests.get(pleo.url + "/v1/companies", auth=(API_KEY, ""), timeout=10)
    assert ok.status_code == 200 and len(ok.json()["data"]) == 3
    wrong = requests.get(pleo.url + "/v1/companies", auth=(API_KEY, "password"), timeout=10)
    assert wrong.status_code == 401 and set(wrong.json()) == {"type", "message"}
    assert requests.get(pleo.url + "/v1/companies", timeout=10).json()["type"] == "UNAUTHORIZED"


def test_every_refresh_rotates_both_tokens_and_reuse_revokes_the_authorization(pleo) -> None:
    first = refresh(pleo.url, INITIAL_REFRESH_TOKEN).json()
    second = refresh(pleo.url, first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"] and second["access_token"] != first["access_token"]
    bearer = {"Authorization": f"Bearer {second['access_token']}"}
    assert requests.get(pleo.url + "/v1/companies", headers=bearer, timeout=10).status_code == 200
    reuse = refresh(pleo.url, first["refresh_token"])
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    assert requests.get(pleo.url + "/v1/companies", headers=bearer, timeout=10).status_code == 401
    assert refresh(pleo.url, second["refresh_token"]).status_code == 400  # every token of it is revoked
    assert pleo.admin("GET", "/pleo/oauth")["revocations"] == 1


def test_token_endpoint_needs_basic_client_authentication(pleo) -> None:
    response = requests.post(
        pleo.url + TOKEN_PATH,
        data={
            "grant_type": "refresh_token",
            "refresh_token": INITIAL_REFRESH_TOKEN,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
        timeout=10,
    )
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_rate_limit_answers_429_with_retry_after(pleo_factory) -> None:
    pleo = pleo_factory(rate_limit=3)
    statuses = [requests.get(pleo.url + "/v1/companies", auth=(API_KEY, ""), timeout=10) for _ in range(4)]
    assert [r.status_code for r in statuses] == [200, 200, 200, 429]
    assert int(statuses[-1].headers["Retry-After"]) >= 1 and statuses[-1].json()["type"] == "TOO_MANY_REQUESTS"


def search(pleo, body=None, **params):
    return requests.post(
        pleo.url + "/v1/accounting-entries:search",
        params={"company_id": COMPANY, **params},
        json={"includeDeleted": False, **(body or {})},
        auth=(API_KEY, ""),
        timeout=10,
    )


def test_accounting_entries_page_by_cursor_in_performed_at_order_within_one_date_window(pleo) -> None:
    entries, after = [], None
    while True:
        body = search(
            pleo,
            {"performedAtStart": "2025-01-01T00:00:00Z"},
            limit=40,
            sorting_keys="performedAt",
            sorting_order="ASC",
            **({"after": after} if after else {}),
        ).json()
        entries += body["data"]
        if not body["pagination"]["hasNextPage"]:
            break
        after = body["pagination"]["endCursor"]
    performed = [e["performedAt"] for e in entries]
    assert performed == sorted(performed) and performed[0] >= "2025-01-01"
    assert len(entries) == len({e["id"] for e in entries}) == body["pagination"]["total"]
    two = search(pleo, {"performedAtStart": "2025-01-01T00:00:00Z", "settledAtStart": "2025-01-01T00:00:00Z"})
    assert two.status_code == 400
    assert search(pleo, limit=101).status_code == 400


def test_the_search_takes_the_published_request_and_refuses_what_it_refuses(pleo) -> None:
    ok = search(pleo, {"exportStatus": ["NOT_EXPORTED", "QUEUED"], "families": ["CARD_PURCHASE"]}, sorting_order="DESC")
    assert ok.status_code == 200 and ok.json()["data"]
    assert {e["family"] for e in ok.json()["data"]} == {"CARD_PURCHASE"}
    assert {e["exportStatus"] for e in ok.json()["data"]} <= {"NOT_EXPORTED", "QUEUED"}
    for body, params in (
        ({"exportStatus": ["not_exported"]}, {}),
        ({}, {"sorting_order": "asc"}),
        ({"families": ["card_purchase"]}, {}),
    ):
        refused = search(pleo, body, **params)
        assert refused.status_code == 400 and refused.json()["type"] == "INVALID_REQUEST", (body, params)
    without = requests.post(
        pleo.url + "/v1/accounting-entries:search",
        params={"company_id": COMPANY},
        json={},
        auth=(API_KEY, ""),
        timeout=10,
    )
    assert without.status_code == 400 and "includeDeleted" in without.json()["message"]


def test_accounting_entry_money_is_minors_and_splits_add_up(pleo) -> None:
    for entry in search(pleo, limit=100).json()["data"]:
        assert isinstance(entry["transactionValue"]["minors"], int)
        assert sum(s["transactionValue"]["minors"] for s in entry["splitItems"]) == entry["transactionValue"]["minors"]
        assert sum(s["totalBillValue"]["minors"] for s in entry["splitItems"]) == entry["totalBillValue"]["minors"]
        assert all(set(tag) == {"tagGroupId", "tagId"} for tag in entry["tags"])


def test_receipt_urls_are_presigned_and_refuse_api_credentials(pleo) -> None:
    entry = next(e for e in search(pleo, limit=50).json()["data"] if e["receiptIds"])
    receipts = requests.get(
        pleo.url + f"/v1/accounting-entries/{entry['id']}/receipts", auth=(API_KEY, ""), timeout=10
    ).json()["data"]
    assert [r["id"] for r in receipts] == entry["receiptIds"]
    url = receipts[0]["url"]
    pdf = requests.get(url, timeout=10)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and len(pdf.content) == receipts[0]["sizeInBytes"]
    assert requests.get(url, auth=(API_KEY, ""), timeout=10).status_code == 400
    assert requests.get(url.replace("Signature=", "Signature=0"), timeout=10).status_code == 403


def test_receipts_search_lists_the_receipts_of_the_given_entries_in_pages(pleo) -> None:
    entries = [e for e in search(pleo, limit=100).json()["data"] if e["receiptIds"]][:30]
    wanted = [receipt for e in entries for receipt in e["receiptIds"]]
    body = {"accountingEntryIds": [e["id"] for e in entries], "includeDeleted": False, "fileType": "ORIGINAL"}
    found, after = [], None
    while True:
        params = {"company_id": COMPANY, "limit": 7, **({"after": after} if after else {})}
        page = requests.post(
            pleo.url + "/v1/accounting-entries/receipts:search",
            params=params,
            json=body,
            auth=(API_KEY, ""),
            timeout=10,
        ).json()
        found += page["data"]
        after = page["pagination"]["endCursor"] if page["pagination"]["hasNextPage"] else None
        if after is None:
            break
    assert [r["id"] for r in found] == wanted and len(wanted) > 7  # several pages, entry by entry
    first = entries[0]
    one = requests.get(pleo.url + f"/v1/accounting-entries/{first['id']}/receipts", auth=(API_KEY, ""), timeout=10)
    assert [r for r in found if r["accountingEntryId"] == first["id"]] == one.json()["data"]  # the same models
    refused = requests.post(
        pleo.url + "/v1/accounting-entries/receipts:search",
        params={"company_id": COMPANY},
        json={**body, "source": ["USER"]},
        auth=(API_KEY, ""),
        timeout=10,
    )
    assert refused.status_code == 400 and "source" in refused.json()["message"]  # not emulated: refused, not ignored


def test_reference_endpoints_answer_per_company(pleo) -> None:
    auth = (API_KEY, "")
    assert requests.get(pleo.url + "/v2/employees", params={"companyId": COMPANY}, auth=auth, timeout=10).json()["data"]
    assert (
        requests.get(pleo.url + "/v2/employees", params={"company_id": COMPANY}, auth=auth, timeout=10).status_code
        == 400
    )
    groups = requests.get(pleo.url + "/v0/tag-groups", params={"company_id": COMPANY}, auth=auth, timeout=10).json()[
        "data"
    ]
    tags = requests.get(pleo.url + f"/v0/tag-groups/{groups[0]['id']}/tags", auth=auth, timeout=10).json()["data"]
    assert tags and all(t["groupId"] == groups[0]["id"] for t in tags)
    for path in ("/v0/tax-codes:search", "/v1/vendors:search"):
        response = requests.post(pleo.url + path, params={"company_id": COMPANY}, json={}, auth=auth, timeout=10)
        assert response.status_code == 200 and response.json()["data"], path
    # the chart of accounts takes the company and two flags in the body, no company parameter
    accounts = requests.post(
        pleo.url + "/v1/chart-of-accounts:search",
        json={"companyId": COMPANY, "excludeIfAssignedToCategory": False, "excludeIfAssignedToContraAccount": False},
        auth=auth,
        timeout=10,
    )
    assert accounts.status_code == 200 and accounts.json()["data"]
    refused = requests.post(
        pleo.url + "/v1/chart-of-accounts:search", params={"company_id": COMPANY}, json={}, auth=auth, timeout=10
    )
    assert refused.status_code == 400 and "companyId" in refused.json()["message"]


def test_ground_truth_totals_equal_the_sum_of_what_the_api_serves(pleo) -> None:
    truth = pleo.ground_truth()
    totals: dict[str, int] = {}
    count, after = 0, None
    while True:
        body = search(pleo, limit=100, **({"after": after} if after else {})).json()
        for entry in body["data"]:
            count += 1
            value = entry["transactionValue"]
            totals[value["currency"]] = totals.get(value["currency"], 0) + value["minors"]
        if not body["pagination"]["hasNextPage"]:
            break
        after = body["pagination"]["endCursor"]
    assert count == truth["accounting_entries"]["count"]
    expected = truth["accounting_entries"]["money"]["transactionValue.value"]
    assert {c: Decimal(v) / 100 for c, v in totals.items()} == {c: Decimal(v) for c, v in expected.items()}
