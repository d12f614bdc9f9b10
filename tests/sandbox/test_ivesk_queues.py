"""Įvesk emulator: the `digitized` and `exported` queues — `from`, pages of ~100, `next`, ties, documents."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
import requests
from sandbox.framework.timeutil import parse_iso8601

from tests.ivesk.api import IveskApi


@pytest.fixture
def api(ivesk) -> IveskApi:
    return IveskApi(ivesk)


@pytest.mark.parametrize("queue,key", [("exported", "exportedat"), ("digitized", "digitizedat")])
def test_queue_pages_ascend_by_queue_timestamp_and_next_is_the_last_documents(api, queue, key):
    body = api.get(f"/{queue}").json()
    assert body["$schema"] == "https://app.ivesk.lt/api/schema/jsonexport.json"
    docs = body["documents"]
    assert 100 <= len(docs) <= 110  # "pages of ~100": a page never ends inside a group of equal timestamps
    stamps = [parse_iso8601(d[key]) for d in docs]
    assert stamps == sorted(stamps)
    assert body["next"] == docs[-1][key]


@pytest.mark.parametrize("queue", ["exported", "digitized"])
def test_following_next_reaches_every_document_once_and_the_last_page_has_no_next(api, ivesk, queue):
    docs = api.queue(queue)
    truth = ivesk.admin("GET", f"/ivesk/ground-truth?queue={queue}")
    assert len(docs) == truth["streams"]["documents"]["count"] == len({d["id"] for d in docs})
    last = api.get(f"/{queue}", **{"from": docs[-1]["exportedat" if queue == "exported" else "digitizedat"]}).json()
    assert last["documents"] == [] and "next" not in last


def test_exported_is_a_subset_of_digitized(api):
    exported = {d["id"] for d in api.queue("exported")}
    digitized = {d["id"] for d in api.queue("digitized")}
    assert exported < digitized


def test_from_is_exclusive_and_documents_sharing_a_timestamp_stay_on_one_page(api):
    docs = api.queue("exported")
    counts = Counter(d["exportedat"] for d in docs)
    tied = [ts for ts, n in counts.items() if n > 1]
    assert tied, "the seeded history has export sessions with several documents"
    body = api.get("/exported", **{"from": tied[0]}).json()
    assert all(parse_iso8601(d["exportedat"]) > parse_iso8601(tied[0]) for d in body["documents"])
    first = api.get("/exported").json()
    following = api.get("/exported", **{"from": first["next"]}).json()["documents"]
    assert not {d["id"] for d in following} & {d["id"] for d in first["documents"]}


def test_money_is_exact_and_lines_add_up_to_the_document(api):
    for doc in api.get("/exported").json()["documents"]:
        assert Decimal(str(doc["subtotal"])) + Decimal(str(doc["vat"])) == Decimal(str(doc["total"]))
        if doc["lines"]:
            assert sum(Decimal(str(line["total"])) for line in doc["lines"]) == Decimal(str(doc["total"]))
            assert sum(Decimal(str(line["vat"])) for line in doc["lines"]) == Decimal(str(doc["vat"]))


def test_documents_carry_lithuanian_parties_and_the_documented_fields(api):
    docs = api.get("/exported").json()["documents"]
    doc = docs[0]
    for field in (
        "id",
        "url",
        "doctype",
        "date",
        "docnum",
        "sellerisfavorite",
        "buyerisfavorite",
        "sellernameascii",
        "buyernameascii",
        "subtotal",
        "vat",
        "total",
        "currency",
        "sellervat",
        "buyercode",
        "lines",
        "companycode",
        "digitizedat",
        "exportedat",
    ):
        assert field in doc, field
    assert all(d["buyervat"].startswith("LT") and len(d["companycode"]) == 9 for d in docs)
    assert {line["vatclass"] for d in docs for line in d["lines"]} <= {"PVM1", "PVM2", "PVM3", "PVM5"}
    assert Counter(d["currency"] for d in docs).most_common(1)[0][0] == "EUR"


def test_doctype_filter_can_make_a_short_page_while_next_says_there_is_more(api):
    body = api.get("/exported", doctype="receipt").json()
    assert body["documents"] and len(body["documents"]) < 100 and "next" in body
    assert {d["doctype"] for d in body["documents"]} == {"receipt"}


def test_document_url_is_a_presigned_pdf_that_needs_no_api_key_and_expires(api, ivesk):
    doc = api.get("/exported").json()["documents"][0]
    pdf = requests.get(doc["url"], timeout=30)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    tampered = requests.get(doc["url"].replace("X-Amz-Expires=3600", "X-Amz-Expires=99999"), timeout=30)
    assert tampered.status_code == 403 and b"SignatureDoesNotMatch" in tampered.content
    ivesk.configure(pdf_url_lifetime=0)
    expired = api.get("/exported").json()["documents"][0]["url"]
    ivesk.configure(pdf_url_lifetime=3600)
    # signed "now" for 0 seconds: expired as soon as the clock moves on by a second
    from urllib.parse import parse_qsl, urlparse

    from sandbox.ivesk.presign import check_pdf

    parsed = urlparse(expired)
    assert check_pdf(parsed.path, dict(parse_qsl(parsed.query)), 10**10) is not None


def test_bad_from_and_missing_or_wrong_key_answer_with_a_message(api, ivesk):
    bad = api.get("/exported", **{"from": "yesterday"})
    assert bad.status_code == 400 and "from" in bad.json()["message"]
    assert IveskApi(ivesk, key=None).get("/exported").status_code == 401
    wrong = IveskApi(ivesk, key="dp_wrong").get("/exported")
    assert wrong.status_code == 403 and wrong.json() == {"message": "Forbidden"}


def test_export_click_moves_waiting_documents_into_the_exported_queue_with_one_timestamp(api, ivesk):
    before = {d["id"] for d in api.queue("exported")}
    result = ivesk.admin("POST", "/ivesk/export", {"count": 7})
    after = api.queue("exported")
    new = [d for d in after if d["id"] not in before]
    assert len(new) == 7 == result["exported"]
    assert {d["exportedat"] for d in new} == {result["exportedat"]}
    assert after[-7:] == new  # the newest at the end of the queue


def test_reexport_fault_moves_seen_documents_to_the_end_of_the_queue(api, ivesk):
    first = api.get("/exported").json()
    ivesk.faults({"path": "^/exported$", "kind": "mutate", "action": "reexport", "count": 3})
    docs = api.queue("exported", **{"from": first["next"]})
    moved = {d["id"] for d in first["documents"][:3]}
    assert moved <= {d["id"] for d in docs[-3:]}


def test_ground_truth_counts_and_totals_match_the_queue(api, ivesk):
    docs = api.queue("exported")
    truth = ivesk.ground_truth()["documents"]
    totals: dict[str, Decimal] = {}
    for d in docs:
        totals[d["currency"]] = totals.get(d["currency"], Decimal(0)) + Decimal(str(d["total"]))
    assert truth["count"] == len(docs)
    assert {c: Decimal(v) for c, v in truth["money"]["total"].items()} == totals


def test_data_is_deterministic_for_a_seed(ivesk_factory):
    a = IveskApi(ivesk_factory(seed=7)).get("/exported").json()["documents"]
    b = IveskApi(ivesk_factory(seed=7)).get("/exported").json()["documents"]
    strip = lambda docs: [{k: v for k, v in d.items() if k != "url"} for d in docs]  # noqa: E731
    assert strip(a) == strip(b)


def test_a_large_account_pages_quickly(ivesk_factory):
    api = IveskApi(ivesk_factory(scale=100_000))
    body = api.get("/exported", **{"from": "2026-01-01T00:00:00Z"}).json()
    assert len(body["documents"]) >= 100 and body["next"] > "2026-01-01"
