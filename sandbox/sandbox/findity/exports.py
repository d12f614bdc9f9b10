"""Exports: which reports an admin's bulk send packaged, in which format, and their processing status.

Report lifecycle here: READY_TO_SEND -> (bulk send) TRANSFER -> (updatestatus SUCCESS) SENT, or back to
READY_TO_SEND when a voucher holding it is reported FAILED (or the webhook was not answered 200); a
report sent back goes first into the next bulk send. Export status: UNPROCESSED (in the list) until every
voucher got a status update, then PROCESSED (all SUCCESS) or FAILED; WITHDRAWN when the webhook failed.
"""

from __future__ import annotations

from array import array
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .expenses import ExpenseData, hex_id
from .vouchers import VoucherSpec, voucher_specs

UNPROCESSED, PROCESSED, FAILED, WITHDRAWN = "UNPROCESSED", "PROCESSED", "FAILED", "WITHDRAWN"


@dataclass
class Export:
    id: str
    seq: int
    created_ms: int
    fmt: str
    reports: array
    voucher_prefix: str
    status: str = UNPROCESSED
    updates: dict[int, dict[str, Any]] = field(default_factory=dict)  # voucher position -> last update
    content: tuple[bytes, str, str] | None = None  # (bytes, content type, file name)
    processed_ms: int | None = None
    _specs: list[VoucherSpec] | None = None

    def specs(self, data: ExpenseData) -> list[VoucherSpec]:
        if self._specs is None:
            self._specs = voucher_specs(data, self.reports, self.fmt)
        return self._specs

    def voucher_id(self, position: int) -> str:
        return f"{self.voucher_prefix}{position:010x}"


class ExportBook:
    def __init__(self, data: ExpenseData) -> None:
        self.data = data
        self.exports: list[Export] = []
        self.by_id: dict[str, Export] = {}
        self.by_prefix: dict[str, Export] = {}
        self.next_fresh = 0  # reports below this index were sent at least once
        self.returned: deque[int] = deque()  # sent back to READY_TO_SEND, first in the next bulk send
        self.status: dict[int, str] = {}  # report index -> TRANSFER | SENT | READY_TO_SEND (touched reports)
        self.voucher_numbers: set[int] = set()

    def bulk_send(self, count: int, fmt: str, now_ms: int) -> Export | None:
        picked: list[int] = []
        while self.returned and len(picked) < count:
            picked.append(self.returned.popleft())
        take = min(count - len(picked), self.data.reports - self.next_fresh)
        picked.extend(range(self.next_fresh, self.next_fresh + take))
        self.next_fresh += take
        if not picked:
            return None
        seq = len(self.exports)
        export_id = hex_id(self.data.seed, "export", seq)
        export = Export(
            export_id, seq, now_ms, fmt, array("l", picked), hex_id(self.data.seed, "voucher", export_id)[:22]
        )
        for r in picked:
            self.status[r] = "TRANSFER"
        self.exports.append(export)
        self.by_id[export_id] = export
        self.by_prefix[export.voucher_prefix] = export
        return export

    def unprocessed(self) -> list[Export]:
        return [e for e in self.exports if e.status == UNPROCESSED]

    def voucher(self, voucher_id: str) -> tuple[Export, int] | None:
        export = self.by_prefix.get(voucher_id[:22])
        if export is None or len(voucher_id) != 32:
            return None
        try:
            position = int(voucher_id[22:], 16)
        except ValueError:
            return None
        if position >= len(export.specs(self.data)):
            return None
        return export, position

    def send_back(self, export: Export, reports: list[int]) -> None:
        for r in reports:
            self.status[r] = "READY_TO_SEND"
            self.returned.append(r)

    def withdraw(self, export: Export) -> None:
        """The webhook was not answered 200: the reports go back to READY_TO_SEND."""
        export.status = WITHDRAWN
        self.send_back(export, list(export.reports))

    def finish(self, export: Export, now_ms: int) -> None:
        """Every voucher has a status: SENT / back to READY_TO_SEND per report, and the export leaves the list."""
        specs = export.specs(self.data)
        failed: set[int] = set()
        for position, spec in enumerate(specs):
            if export.updates[position]["status"] == "FAILED":
                failed.update(spec.reports)
        for r in export.reports:
            if r not in failed:
                self.status[r] = "SENT"
        self.send_back(export, [r for r in export.reports if r in failed])
        export.status = FAILED if failed else PROCESSED
        export.processed_ms = now_ms

    def report_counts(self) -> dict[str, int]:
        counts = {"READY_TO_SEND": self.data.reports - self.next_fresh, "TRANSFER": 0, "SENT": 0}
        for status in self.status.values():
            counts[status] = counts.get(status, 0) + 1
        return counts
