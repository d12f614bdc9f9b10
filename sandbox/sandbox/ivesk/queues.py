"""The two queues, `digitized` and `exported`: documents in ascending queue-timestamp order, read in pages.

A page evaluates about ``page_size`` documents after ``from`` (exclusive: a document at exactly ``from`` was
the last one of the previous page), and never ends inside a group of documents sharing one timestamp (the
page grows to the end of that group), so ``from=next`` never skips a document. The ``doctype`` filter is
applied to the evaluated documents, so a filtered page can be short, even empty, while ``next`` says there is
more. ``next`` is the last evaluated document's timestamp, absent when the queue has nothing after it.

Seeded documents are a monotonic sequence (bisection, no list in memory); documents uploaded or exported while
the sandbox runs are a small sorted overlay merged in.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections.abc import Callable, Iterator
from typing import NamedTuple

Key = tuple[str, int]  # ("seed", index) | ("upload", index)


class Entry(NamedTuple):
    ts: int
    order: tuple[int, int]  # tiebreak: (0, seed index) before (1, overlay sequence)
    key: Key


class Page(NamedTuple):
    entries: list[Entry]
    next_ms: int | None


def seeded_entries(
    n: int, ts_of: Callable[[int], int], include: Callable[[int], bool], after_ms: int
) -> Iterator[Entry]:
    """Seeded documents with ``ts_of(i) > after_ms`` in order (``ts_of`` never decreases with ``i``)."""
    start = bisect_right(range(n), after_ms, key=ts_of)
    for i in range(start, n):
        if include(i):
            yield Entry(ts_of(i), (0, i), ("seed", i))


def read_page(sources: list[Iterator[Entry]], page_size: int, split_ties: bool = False) -> Page:
    merged = heapq.merge(*sources)
    entries: list[Entry] = []
    for entry in merged:
        if len(entries) >= page_size and (split_ties or entry.ts != entries[-1].ts):
            return Page(entries, entries[-1].ts)  # more follow: the client continues from the last timestamp
        entries.append(entry)
    return Page(entries, None)
