"""Exports: the seeded export history, the pool of exportable entities, and exports created via POST.

History: exports whose successful postings add up to exactly ``scale`` (20–300 per export, the last one
takes the remainder), spread between 2024-01-01 and 2026-10-31, mostly EXPORTED, with PARTIALLY_EXPORTED
(successful + failed postings) and FAILED (failed postings only, ``postingsCount`` 0) ones. The layout is
a few hundred small tuples even at scale 100,000; postings themselves are generated on demand.

``postingsCount`` is the number of successful postings of an export ([I]: Candis does not say whether
failed ones count; this way it always equals ``len(successfulPostings)``).

Created exports snapshot the pool range ``[exported, added)`` of one entity type, stay EXPORTING for
``export_delay`` seconds (decided lazily from the clock when read) and then are EXPORTED.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

from ..framework.data import record_rng, stable_uuid
from ..framework.timeutil import iso_ms, ms_of
from .postings import ENTITY_TYPES, POOL_SPACES, SPACE_HISTORY

HISTORY_START = ms_of(2024, 1, 1)
HISTORY_END = ms_of(2026, 10, 31)
INITIAL_POOL = {"DOCUMENT": 12, "CARD_TRANSACTION": 0, "REIMBURSEMENT_ITEM": 0}
#: reference date for pool entities' invoice dates (they were approved shortly before "now")
POOL_REFERENCE_MS = ms_of(2026, 11, 1)


@dataclass
class Export:
    id: str
    ordinal: int  # creation order (history first); ties on createdAt sort by it
    created_ms: int
    entity_type: str
    space: int
    start: int  # first posting index in its space
    count: int  # successful postings
    failed: int  # failed postings
    final_status: str
    ready_ms: int | None = None  # created exports: when EXPORTING ends (None for history)
    forced_done: bool = False

    def status(self, now_ms: int) -> str:
        if self.ready_ms is not None and not self.forced_done and now_ms < self.ready_ms:
            return "EXPORTING"
        return self.final_status


def export_view(export: Export, now_ms: int) -> dict[str, Any]:
    """An export as the API answers it (``status`` at ``now_ms``)."""
    return {
        "id": export.id,
        "postingsCount": export.count,
        "status": export.status(now_ms),
        "createdAt": iso_ms(export.created_ms),
    }


def build_history(seed: int, scale: int) -> list[Export]:
    rng = record_rng(seed, "exports", "layout")
    plan: list[tuple[str, int, int, str]] = []  # (status, successful, failed, entity type)
    remaining = scale
    while remaining > 0:
        etype = (
            "DOCUMENT" if rng.random() < 0.75 else ("CARD_TRANSACTION" if rng.random() < 0.6 else "REIMBURSEMENT_ITEM")
        )
        if rng.random() < 0.03:
            plan.append(("FAILED", 0, rng.between(1, 4), etype))
            continue
        # 20–300 postings per export; smaller exports for small scales so a few hundred records still make
        # an export history with every status and entity type.
        size = min(rng.between(20, max(20, min(300, scale // 4))), remaining)
        remaining -= size
        if rng.random() < 0.06:
            plan.append(("PARTIALLY_EXPORTED", size, rng.between(1, 3), etype))
        else:
            plan.append(("EXPORTED", size, 0, etype))
    if scale >= 50:
        if not any(p[0] == "PARTIALLY_EXPORTED" for p in plan):
            status, size, _, etype = plan[0]
            plan[0] = ("PARTIALLY_EXPORTED", size, 2, etype)
        if not any(p[0] == "FAILED" for p in plan):
            plan.insert(min(1, len(plan)), ("FAILED", 0, 3, "DOCUMENT"))
        successful = [k for k, p in enumerate(plan) if p[1] > 0]
        for entity_type, slot in (("CARD_TRANSACTION", -1), ("REIMBURSEMENT_ITEM", -2)):
            if len(successful) >= 3 and not any(p[3] == entity_type for p in plan):
                k = successful[slot]
                plan[k] = (*plan[k][:3], entity_type)
    exports = []
    start = 0
    n = max(len(plan), 1)
    span = HISTORY_END - HISTORY_START
    for k, (status, size, failed, etype) in enumerate(plan):
        slot = span // n
        created = HISTORY_START + (k * span) // n + int(rng.random() * slot * 0.8)
        exports.append(
            Export(stable_uuid(seed, "export", k), k, created, etype, SPACE_HISTORY, start, size, failed, status)
        )
        start += size
    return exports


@dataclass
class ExportBook:
    """All exports of the organization plus the exportable pool."""

    seed: int
    history: list[Export]
    created: list[Export] = field(default_factory=list)
    pool_added: dict[str, int] = field(default_factory=lambda: dict(INITIAL_POOL))
    pool_exported: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ENTITY_TYPES, 0))

    def __post_init__(self) -> None:
        self._by_id = {e.id: e for e in self.history}
        self._history_starts = [e.start for e in self.history]
        self._sorted: list[Export] | None = None

    @classmethod
    def seeded(cls, seed: int, scale: int) -> ExportBook:
        return cls(seed, build_history(seed, scale))

    def get(self, export_id: str) -> Export | None:
        return self._by_id.get(export_id)

    def newest_first(self) -> list[Export]:
        # Candis does not document the order ([I]); newest createdAt first, as export history UIs show it.
        if self._sorted is None:
            self._sorted = sorted(self.history + self.created, key=lambda e: (e.created_ms, e.ordinal), reverse=True)
        return self._sorted

    def all(self) -> list[Export]:
        return self.history + self.created

    def history_export_of(self, posting_index: int) -> Export | None:
        k = bisect.bisect_right(self._history_starts, posting_index) - 1
        while k >= 0 and self.history[k].count == 0:
            k -= 1
        if k < 0:
            return None
        e = self.history[k]
        return e if e.start <= posting_index < e.start + e.count else None

    def exportable(self, entity_type: str) -> int:
        return self.pool_added[entity_type] - self.pool_exported[entity_type]

    def add_exportable(self, entity_type: str, count: int) -> None:
        self.pool_added[entity_type] += count

    def create(self, entity_type: str, now_ms: int, delay_s: float) -> Export | None:
        start = self.pool_exported[entity_type]
        count = self.pool_added[entity_type] - start
        if count <= 0:
            return None
        seq = len(self.created)
        rng = record_rng(self.seed, "created-exports", seq)
        export = Export(
            id=rng.uuid(),
            ordinal=len(self.history) + seq,
            created_ms=now_ms,
            entity_type=entity_type,
            space=POOL_SPACES[entity_type],
            start=start,
            count=count,
            failed=0,
            final_status="EXPORTED",
            ready_ms=now_ms + round(delay_s * 1000),
        )
        self.pool_exported[entity_type] += count
        self.created.append(export)
        self._by_id[export.id] = export
        self._sorted = None
        return export
