"""What the multi-tenant tests share: the tenants' ground truths add up to the provider's."""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def assert_streams_add_up(total: dict[str, Any], per: list[dict[str, Any]]) -> None:
    """Every stream of ``total`` is the sum of the tenants' ``per``: count, bytes and money per currency."""
    for name, stream in total["streams"].items():
        assert stream["count"] == sum(t["streams"][name]["count"] for t in per), name
        if "bytes" in stream:
            assert stream["bytes"] == sum(t["streams"][name]["bytes"] for t in per), name
        for path, money in stream["money"].items():
            for currency, value in money.items():
                parts = [Decimal(t["streams"][name]["money"][path].get(currency, "0")) for t in per]
                assert Decimal(value) == sum(parts), (name, path, currency)
