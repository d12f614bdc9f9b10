"""Offset paging over a large generated stream without materialising it.

Model: records ``0..n-1`` whose time keys never decrease with the index (see
:class:`~sandbox.framework.data.MonotonicSchedule`), a cheap categorical ``group`` per record (status, type)
for filters, and a small overlay of *modified* records whose mutable key (``updatedAt``) was moved to a new
value. A query (group filter, ranges on immutable keys, a range on the mutable key, sort by index order or
by the mutable key, ascending or descending, offset/limit) costs O(log n + overlay) per page:

* ranges on monotonic keys become an index interval by bisection;
* group filters use per-group sorted index arrays, built lazily once (one cheap pass over the stream);
* overlay records are removed from the base sequence and merged back at their rank.
"""

from __future__ import annotations

import heapq
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

KeyFn = Callable[[int], int]


@dataclass
class Query:
    groups: Sequence[int] | None = None  # allowed group codes; None = all
    ranges: list[tuple[KeyFn, int | None, int | None]] = field(default_factory=list)  # immutable keys, inclusive
    mutable_range: tuple[int | None, int | None] | None = None  # on the mutable key, inclusive
    sort_by_mutable: bool = False  # else index order (== order of every immutable key)
    descending: bool = False
    offset: int = 0
    limit: int = 50


@dataclass
class Page:
    total: int
    items: list[tuple[int, bool]]  # (record index, is_modified)


class _BaseSet:
    """Indices in [lo, hi) of the selected groups, minus ``excluded`` (sorted)."""

    def __init__(self, lo: int, hi: int, arrays: list[array] | None, excluded: list[int]) -> None:
        self.lo, self.hi = lo, hi
        self.arrays = arrays
        self.excluded = excluded
        self.starts = [bisect_left(a, lo) for a in arrays] if arrays is not None else []
        self.size = self.count_below(hi)

    def count_below(self, x: int) -> int:
        x = min(max(x, self.lo), self.hi)
        if self.arrays is None:
            count = x - self.lo
        else:
            count = 0
            for arr, start in zip(self.arrays, self.starts, strict=False):
                count += bisect_left(arr, x) - start
        return count - bisect_left(self.excluded, x)

    def select(self, rank: int) -> int:
        """Index of the element with ``rank`` (0-based); requires 0 <= rank < size."""
        if self.arrays is None and not self.excluded:
            return self.lo + rank
        if self.arrays is not None and len(self.arrays) == 1 and not self.excluded:
            return self.arrays[0][self.starts[0] + rank]
        lo, hi = self.lo, self.hi - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if self.count_below(mid + 1) > rank:
                hi = mid
            else:
                lo = mid + 1
        return lo

    def iter_from(self, x: int) -> Iterator[int]:
        excluded = set(self.excluded)
        if self.arrays is None:
            source: Iterator[int] = iter(range(x, self.hi))
        else:

            def run(arr: array) -> Iterator[int]:
                for k in range(bisect_left(arr, x), bisect_left(arr, self.hi)):
                    yield arr[k]

            source = heapq.merge(*(run(a) for a in self.arrays))
        for i in source:
            if i not in excluded:
                yield i


class IndexedStream:
    def __init__(
        self, n: int, mutable_key: KeyFn, group_of: Callable[[int], int] | None = None, groups: int = 1
    ) -> None:
        self.n = n
        self.mutable_key = mutable_key
        self.group_of = group_of
        self.group_count = groups
        self._arrays: list[array] | None = None

    def group_arrays(self) -> list[array]:
        if self._arrays is None:
            arrays = [array("l") for _ in range(self.group_count)]
            group_of = self.group_of
            assert group_of is not None
            appenders = [a.append for a in arrays]
            for i in range(self.n):
                appenders[group_of(i)](i)
            self._arrays = arrays
        return self._arrays

    def _first_at_least(self, key: KeyFn, value: int) -> int:
        return bisect_left(range(self.n), value, key=key)

    def _first_above(self, key: KeyFn, value: int) -> int:
        return bisect_right(range(self.n), value, key=key)

    def query(self, q: Query, overlay: dict[int, int]) -> Page:
        """``overlay``: {index: new mutable key} of modified records."""
        n = self.n
        lo, hi = 0, n
        for key, start, end in q.ranges:
            if start is not None:
                lo = max(lo, self._first_at_least(key, start))
            if end is not None:
                hi = min(hi, self._first_above(key, end))
        if lo >= hi:
            return Page(0, [])
        blo, bhi = lo, hi
        m_start = m_end = None
        if q.mutable_range is not None:
            m_start, m_end = q.mutable_range
            if m_start is not None:
                blo = max(blo, self._first_at_least(self.mutable_key, m_start))
            if m_end is not None:
                bhi = min(bhi, self._first_above(self.mutable_key, m_end))

        allowed = None if q.groups is None else set(q.groups)
        group_of = self.group_of
        arrays = None
        if allowed is not None:
            all_arrays = self.group_arrays()
            arrays = [all_arrays[g] for g in sorted(allowed)]

        excluded: list[int] = []
        modified: list[tuple[int, int]] = []  # (index, new key) of overlay records that pass the filters
        for index, new_key in overlay.items():
            if allowed is not None and group_of is not None and group_of(index) not in allowed:
                continue
            if blo <= index < bhi:
                excluded.append(index)
            if lo <= index < hi and (m_start is None or new_key >= m_start) and (m_end is None or new_key <= m_end):
                modified.append((index, new_key))
        excluded.sort()
        if blo >= bhi:
            blo = bhi = lo
        base = _BaseSet(blo, bhi, arrays, excluded)

        # Rank of each modified record among the base records (how many base records sort before it).
        ranked: list[tuple[int, int, int]] = []  # (rank, tiebreak, index)
        if q.sort_by_mutable:
            mkey = self.mutable_key
            newest_base = mkey(n - 1)
            for index, new_key in modified:
                if new_key > newest_base:  # the usual case: modified "now", after all seeded data
                    j = n
                else:
                    j = bisect_right(range(n), (new_key, index), key=lambda i: (mkey(i), i))
                ranked.append((base.count_below(j), new_key, index))
        else:
            for index, _ in modified:
                ranked.append((base.count_below(index), index, index))
        ranked.sort()

        total = base.size + len(ranked)
        if q.descending:
            start = max(total - q.offset - q.limit, 0)
            end = max(total - q.offset, 0)
        else:
            start = min(q.offset, total)
            end = min(q.offset + q.limit, total)
        items = self._materialise(base, ranked, start, end)
        if q.descending:
            items.reverse()
        return Page(total, items)

    @staticmethod
    def _materialise(
        base: _BaseSet, ranked: list[tuple[int, int, int]], start: int, end: int
    ) -> list[tuple[int, bool]]:
        if start >= end:
            return []
        # Modified record k sits at merged position rank_k + k; count those before ``start``.
        k = 0
        while k < len(ranked) and ranked[k][0] + k < start:
            k += 1
        b = start - k  # base records before ``start``
        base_iter = base.iter_from(base.select(b)) if b < base.size else iter(())
        next_base = next(base_iter, None)
        out: list[tuple[int, bool]] = []
        while len(out) < end - start:
            if k < len(ranked) and (next_base is None or ranked[k][0] <= b):
                out.append((ranked[k][2], True))
                k += 1
            elif next_base is not None:
                out.append((next_base, False))
                b += 1
                next_base = next(base_iter, None)
            else:
                break
        return out
