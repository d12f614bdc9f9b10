"""The multi-tenant mode's shared pieces: the data seed and size of each tenant, and sums of ground truths.

A tenant is one provider scope a tap reads with its own scope id (a Candis or Findity organization, a Pleo
company, an Įvesk company code). The first tenant of an emulator keeps the configured ``seed`` and ``scale``,
so the default single-tenant data stays exactly what it was; every other tenant gets its own seed and a size
around ``scale``, both derived from the tenant's id, so its ids, amounts and counts differ and the same id
always gets the same data, whatever the other tenants are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Generic, TypeVar

from .data import stream_key
from .errors import AdminError

T = TypeVar("T")

#: a tenant's size is between these shares of ``scale`` (the first tenant: exactly ``scale``)
SCALE_LOW, SCALE_HIGH = 0.6, 1.4


def tenant_seed(seed: int, provider: str, tenant: str) -> int:
    """The data seed of a tenant after the first (a 31-bit number from a keyed hash of seed, provider, id)."""
    return stream_key(seed, f"{provider}-tenant:{tenant}") % 2**31


def tenant_scale(scale: int, seed: int, provider: str, tenant: str) -> int:
    """Records per stream of a tenant after the first: between 60 % and 140 % of ``scale``."""
    share = stream_key(seed, f"{provider}-tenant-scale:{tenant}") / 2**64
    return round(scale * (SCALE_LOW + (SCALE_HIGH - SCALE_LOW) * share))


def seed_and_scale(seed: int, scale: int, provider: str, tenant: str, first: bool) -> tuple[int, int]:
    """The data seed and size of a tenant: the configured ones for the first, its own for every other."""
    if first:
        return seed, scale
    return tenant_seed(seed, provider, tenant), tenant_scale(scale, seed, provider, tenant)


class Organizations(Generic[T]):
    """The organizations of a multi-organization emulator state (Candis, Findity), by id, in config order."""

    organizations: dict[str, T]

    @property
    def default(self) -> T:
        """The first organization (the admin endpoints' default)."""
        return next(iter(self.organizations.values()))

    def organization(self, organization_id: str | None) -> T | None:
        return self.organizations.get(organization_id or "")


def sum_streams(truths: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The ``streams`` of several ground truths added up: counts, ``bytes`` and every money path per currency
    (exact decimal strings). Streams keep the order of the first truth; keys other than those are dropped."""
    out: dict[str, Any] = {}
    for truth in truths:
        for name, stream in truth["streams"].items():
            total = out.setdefault(name, {"count": 0, "money": {}})
            total["count"] += stream["count"]
            if "bytes" in stream:
                total["bytes"] = total.get("bytes", 0) + stream["bytes"]
            for path, per_currency in stream["money"].items():
                sums = total["money"].setdefault(path, {})
                for currency, value in per_currency.items():
                    sums[currency] = sums.get(currency, Decimal(0)) + Decimal(value)
    for stream in out.values():
        if "bytes" in stream:  # the order of the single-tenant truth: count, bytes, money
            stream["bytes"] = stream.pop("bytes")
            stream["money"] = stream.pop("money")
        stream["money"] = {
            path: {currency: str(value) for currency, value in sorted(sums.items())}
            for path, sums in stream["money"].items()
        }
    return out


def admin_tenant(value: Any, tenants: Mapping[str, T], key: str) -> T:
    """The tenant an admin request names by its id in ``key`` (the first tenant when absent), else AdminError."""
    if value is None:
        return next(iter(tenants.values()))
    if not isinstance(value, str) or value not in tenants:
        raise AdminError(f"'{key}' must be one of {', '.join(tenants)}")
    return tenants[value]
