"""The voucher package is parsed incrementally in every accepted shape, in package order, whatever the chunking."""

from __future__ import annotations

import decimal
import json

import ijson
import pytest
from tap_findity import package_reader
from tap_findity.package_reader import _vouchers


class _Body:
    """What `_vouchers` uses of a streamed `requests.Response`: the body in chunks."""

    def __init__(self, body: bytes, size: int) -> None:
        self.chunks = [body[i : i + size] for i in range(0, len(body), size)]

    def iter_content(self, chunk_size: int) -> list[bytes]:
        return self.chunks


VOUCHERS = [
    {"id": f"{n:032x}", "voucherRows": [{"amount": decimal.Decimal("12.30") * n, "rowNo": r} for r in range(3)]}
    for n in range(1, 40)
]
META = {"exportId": "e" * 32, "organizationRecipient": {"verificationListsType": "EXPENSE"}}


@pytest.mark.parametrize(
    "shape",
    [
        lambda v: {**META, "vouchers": v},
        lambda v: v,
        lambda v: {"data": v, "meta": {"total": len(v)}},
        lambda v: {"data": {**META, "vouchers": v}},
        lambda v: {"vouchers": v, **META},
    ],
    ids=["vouchers", "bare-array", "data-array", "data-vouchers", "vouchers-first"],
)
@pytest.mark.parametrize("chunk", [7, 100, 64 * 1024])
def test_every_accepted_shape_yields_every_voucher_in_order(shape, chunk):
    body = json.dumps(shape(VOUCHERS), default=str).encode()
    got = list(_vouchers(_Body(body, chunk)))
    assert [v["id"] for v in got] == [v["id"] for v in VOUCHERS]
    assert got[5]["voucherRows"][2] == {"amount": "73.80", "rowNo": 2}


def test_amounts_are_parsed_as_exact_decimals():
    body = b'{"vouchers": [{"id": "a", "voucherRows": [{"amount": 0.1, "taxAmount": 12, "x": 1e2}]}]}'
    row = next(_vouchers(_Body(body, 10)))["voucherRows"][0]
    assert row == {"amount": decimal.Decimal("0.1"), "taxAmount": 12, "x": decimal.Decimal("1E+2")}
    assert isinstance(row["amount"], decimal.Decimal) and isinstance(row["taxAmount"], int)


def test_an_empty_package_yields_nothing():
    assert list(_vouchers(_Body(b'{"exportId": "x", "vouchers": []}', 5))) == []


def test_a_body_without_vouchers_is_an_error():
    with pytest.raises(ValueError, match="lacks vouchers"):
        list(_vouchers(_Body(b'{"exportId": "x", "items": [{"id": 1}]}', 5)))


def test_a_body_cut_mid_voucher_raises_after_the_complete_vouchers():
    body = json.dumps({"vouchers": VOUCHERS}, default=str).encode()
    cut = body[: len(body) // 2]
    got = []
    with pytest.raises(ijson.JSONError):
        got.extend(_vouchers(_Body(cut, 50)))
    assert 0 < len(got) < len(VOUCHERS)
    assert [v["id"] for v in got] == [v["id"] for v in VOUCHERS[: len(got)]]


def test_vouchers_after_a_long_head_are_read_without_keeping_the_head(monkeypatch):
    monkeypatch.setattr(package_reader, "MAX_HEAD", 300)
    body = json.dumps({"note": "x" * 1000, **META, "vouchers": VOUCHERS}, default=str).encode()
    assert [v["id"] for v in _vouchers(_Body(body, 64))] == [v["id"] for v in VOUCHERS]


def test_a_body_cut_before_the_first_voucher_raises():
    with pytest.raises(ijson.JSONError):
        list(_vouchers(_Body(b'{"exportId": "x", "vouchers": [{"id": "a", "voucherRo', 10)))
