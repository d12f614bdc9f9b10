"""Exact money: amounts are integer minor units (cents) everywhere inside the emulators.

They only become JSON numbers at the edge (:func:`number`), rendered the way a JavaScript backend prints
them (``100``, ``27.84``, never ``10.100000001``), and ground-truth totals are exact decimal strings.
"""

from __future__ import annotations

import random
from collections import defaultdict


def number(minor: int, precision: int = 2) -> int | float:
    """Minor units -> a JSON number with at most ``precision`` decimals.

    Whole amounts become ints (``100``). Otherwise the float nearest to ``minor / 10**precision``: Python's
    shortest-repr float printing renders it as exactly that decimal (at most ``precision`` decimals) for
    any amount below ~10**13, so the JSON text is exact even though the Python value is a float.
    """
    scale = 10**precision
    if minor % scale == 0:
        return minor // scale
    return minor / scale


def decimal_str(minor: int, precision: int = 2) -> str:
    """Minor units -> exact decimal string (``-12.30``); integer arithmetic only."""
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**precision)
    return f"{sign}{whole}.{frac:0{precision}d}" if precision else f"{sign}{whole}"


def split(total: int, parts: int, rng: random.Random, min_part: int = 1) -> list[int]:
    """Split ``total`` minor units into ``parts`` non-zero pieces that sum exactly to ``total``.

    Works on the absolute value and restores the sign, so credit notes split the same way. Fewer parts are
    returned when the amount is too small for ``parts`` pieces of ``min_part``.
    """
    sign = -1 if total < 0 else 1
    remaining = abs(total)
    parts = max(1, min(parts, remaining // max(min_part, 1) or 1))
    weights = [rng.random() + 0.25 for _ in range(parts)]
    wsum = sum(weights)
    pieces = []
    for w in weights[:-1]:
        piece = max(min_part, int(abs(total) * w / wsum))
        piece = min(piece, remaining - min_part * (parts - len(pieces) - 1))
        pieces.append(piece)
        remaining -= piece
    pieces.append(remaining)
    return [sign * p for p in pieces]


def apply_rate(minor: int, rate_e4: int) -> int:
    """``minor * rate`` where ``rate = rate_e4 / 10_000``, rounded half away from zero, in integers."""
    sign = -1 if minor < 0 else 1
    return sign * ((abs(minor) * rate_e4 + 5_000) // 10_000)


def net_and_tax(gross: int, vat_percent: int) -> tuple[int, int]:
    """Gross minor units -> (net, tax) with net + tax == gross exactly (net rounded half up)."""
    sign = -1 if gross < 0 else 1
    g = abs(gross)
    net = (g * 100 * 2 + (100 + vat_percent)) // (2 * (100 + vat_percent))
    return sign * net, sign * (g - net)


def tax_on_net(net: int, vat_percent: int) -> int:
    sign = -1 if net < 0 else 1
    return sign * ((abs(net) * vat_percent + 50) // 100)


class Totals:
    """Per-currency exact sums of minor units."""

    __slots__ = ("_sums",)

    def __init__(self) -> None:
        self._sums: dict[str, int] = defaultdict(int)

    def add(self, currency: str, minor: int) -> None:
        self._sums[currency] += minor

    def merge(self, other: Totals, sign: int = 1) -> None:
        for cur, v in other._sums.items():
            self._sums[cur] += sign * v

    def copy(self) -> Totals:
        t = Totals()
        t.merge(self)
        return t

    def as_strings(self, precision: int = 2) -> dict[str, str]:
        return {cur: decimal_str(v, precision) for cur, v in sorted(self._sums.items())}
