"""Export jobs of one company: the seeded history, the open jobs and the state machine.

Job states ([I], from the spec and the how-tos): ``pending`` --started--> ``in_progress`` -->
``completed`` | ``completed_with_errors`` | ``failed``; ``failed`` is also reachable from ``pending``. A job
expires ``expiresIn`` seconds after its last action (creation, an event, an item update) and is then
``failed`` with ``failureReasonType=job_expired``; reads are not actions. Expiry is evaluated lazily, on
every access, against the provider's clock.

Items: ``pending`` (job pending) -> ``in_progress`` (job started) -> ``successful`` | ``failed`` (PUT by the
integration); items still open when the job finishes become ``abandoned``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..framework.data import Draws, stream_key
from ..framework.timeutil import DAY_MS, MINUTE_MS, SECOND_MS, iso_ms
from . import ids

OPEN = ("pending", "in_progress")
FINISHED = ("completed", "completed_with_errors", "failed")
JOB_STATUSES = OPEN + FINISHED
ITEM_STATUSES = ("pending", "in_progress", "failed", "successful", "abandoned")
EVENTS = ("started", "failed", "completed", "completed_with_errors")
# event -> (allowed from, new status)
TRANSITIONS = {
    "started": (("pending",), "in_progress"),
    "completed": (("in_progress",), "completed"),
    "completed_with_errors": (("in_progress",), "completed_with_errors"),
    "failed": (("pending", "in_progress"), "failed"),
}
HISTORY_SHARE = 0.7  # the oldest 70 % of entries were exported by earlier jobs


class TransitionError(Exception):
    pass


@dataclass
class ItemState:
    status: str
    exported_ms: int | None = None
    external_id: str | None = None
    external_url: str | None = None
    failure_reason: str | None = None
    failure_reason_type: str | None = None

    def view(self, entry_id: str, job_id: str) -> dict[str, Any]:
        return {
            "accountingEntryId": entry_id,
            "exportJobId": job_id,
            "status": self.status,
            "exportedAt": iso_ms(self.exported_ms) if self.exported_ms is not None else None,
            "externalId": self.external_id,
            "externalUrl": self.external_url,
            "failureReason": self.failure_reason,
            # a string, not nullable (ExportJobItemV3): absent while there is no failure
            **({"failureReasonType": self.failure_reason_type} if self.failure_reason_type else {}),
        }


@dataclass
class ExportJob:
    seq: int  # position in the company's job list (creation order)
    id: str
    company_id: str
    entries: list[int] | range  # accounting-entry indices, ascending
    created_ms: int
    expires_in: int
    is_interactive: bool = False
    vendor_based: bool = False
    created_by: str | None = None
    status: str = "pending"
    started_ms: int | None = None
    completed_ms: int | None = None
    expired_ms: int | None = None
    last_action_ms: int = 0
    failure_reason: str | None = None
    failure_reason_type: str | None = None
    items: dict[int, ItemState] = field(default_factory=dict)  # only for jobs created in this sandbox
    history: bool = False

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "companyId": self.company_id,
            "status": self.status,
            "createdAt": iso_ms(self.created_ms),
            "expiresIn": self.expires_in,
            "isInteractive": self.is_interactive,
            "numberOfItems": len(self.entries),
            "vendorBasedBookkeeping": self.vendor_based,
            "createdBy": self.created_by,
            "startedAt": iso_ms(self.started_ms) if self.started_ms is not None else None,
            "completedAt": iso_ms(self.completed_ms) if self.completed_ms is not None else None,
            "expiredAt": iso_ms(self.expired_ms) if self.expired_ms is not None else None,
            "lastUpdatedAt": iso_ms(self.last_action_ms),
            "failureReason": self.failure_reason,
            # a string, not nullable (ExportJobV3): absent while there is no failure
            **({"failureReasonType": self.failure_reason_type} if self.failure_reason_type else {}),
        }


class JobBook:
    """All export jobs of one company. History jobs are described by a few numbers each; items of history
    jobs are derived, items of jobs created here are stored."""

    def __init__(self, seed: int, company_index: int, company_id: str, n_entries: int, created_by: str) -> None:
        self.seed = seed
        self.company_index = company_index
        self.company_id = company_id
        self.created_by = created_by
        self.key = stream_key(seed, f"pleo:jobs:{company_index}")
        self.history_end = int(n_entries * HISTORY_SHARE)
        self.starts: list[int] = []
        start, j = 0, 0
        while start < self.history_end:
            self.starts.append(start)
            start += Draws(self.key, j).between(1, 8, 40)
            j += 1
        self.jobs: list[ExportJob] = []
        self._by_id: dict[str, ExportJob] = {}
        self.entry_job: dict[int, ExportJob] = {}  # entries in jobs created here (latest job wins)

    # -- history ---------------------------------------------------------------------------------------
    def history_outcome(self, j: int) -> str:
        if j % 9 == 2:
            return "failed"
        if j % 4 == 1:
            return "completed_with_errors"
        return "completed"

    def history_failed_positions(self, j: int, size: int) -> set[int]:
        outcome = self.history_outcome(j)
        if outcome == "failed":
            return set(range(size))
        if outcome == "completed_with_errors":
            return {Draws(self.key, j).below(2, size), Draws(self.key, j).below(3, size)}
        return set()

    def history_job_of(self, index: int) -> int | None:
        if index >= self.history_end:
            return None
        return bisect_right(self.starts, index) - 1

    def history_range(self, j: int) -> range:
        end = self.starts[j + 1] if j + 1 < len(self.starts) else self.history_end
        return range(self.starts[j], end)

    def seed_history(self, performed_ms: Any, expires_in: int) -> None:
        for j in range(len(self.starts)):
            entries = self.history_range(j)
            created = performed_ms(entries[-1]) + DAY_MS + Draws(self.key, j).below(4, 5 * DAY_MS)
            job = ExportJob(
                seq=len(self.jobs),
                id=ids.make(self.seed, self.company_index, ids.HISTORY_JOB, j),
                company_id=self.company_id,
                entries=entries,
                created_ms=created,
                expires_in=expires_in,
                created_by=self.created_by,
                history=True,
                last_action_ms=created,
            )
            outcome = self.history_outcome(j)
            job.started_ms = created + 20 * SECOND_MS
            if outcome == "failed":
                job.status, job.failure_reason_type = "failed", "job_expired"
                job.failure_reason = "The export job expired before it was completed"
                job.expired_ms = job.completed_ms = created + expires_in * SECOND_MS
            else:
                job.status = outcome
                job.completed_ms = job.started_ms + Draws(self.key, j).between(5, 1, 240) * SECOND_MS
            job.last_action_ms = job.completed_ms or created
            self._add(job)

    def history_item(self, job: ExportJob, index: int) -> ItemState:
        j = self.history_job_of(index)
        assert j is not None
        position = index - job.entries[0]
        if position in self.history_failed_positions(j, len(job.entries)):
            if self.history_outcome(j) == "failed":
                return ItemState("abandoned")
            return ItemState(
                "failed", failure_reason="Account 9999 is missing in the ERP", failure_reason_type="account_unknown"
            )
        return ItemState(
            "successful",
            exported_ms=(job.completed_ms or job.created_ms) - SECOND_MS,
            external_id=f"ERP-{self.company_index}{index:08d}",
            external_url=f"https://erp.example.com/vouchers/{self.company_index}{index:08d}",
        )

    # -- jobs created in the sandbox ----------------------------------------------------------------------
    def _add(self, job: ExportJob) -> None:
        self.jobs.append(job)
        self._by_id[job.id] = job

    def get(self, job_id: str) -> ExportJob | None:
        return self._by_id.get(job_id)

    def open_job(self) -> ExportJob | None:
        for job in reversed(self.jobs):
            if job.is_open:
                return job
            if job.history:
                return None
        return None

    def create(
        self,
        entries: list[int],
        now_ms: int,
        expires_in: int,
        *,
        interactive: bool = False,
        vendor_based: bool = False,
        created_by: str | None = None,
    ) -> ExportJob:
        n = sum(1 for j in self.jobs if not j.history)
        job = ExportJob(
            seq=len(self.jobs),
            id=ids.make(self.seed, self.company_index, ids.CREATED_JOB, n),
            company_id=self.company_id,
            entries=sorted(entries),
            created_ms=now_ms,
            expires_in=expires_in,
            is_interactive=interactive,
            vendor_based=vendor_based,
            created_by=created_by or self.created_by,
            last_action_ms=now_ms,
        )
        job.items = {i: ItemState("pending") for i in job.entries}
        for i in job.entries:
            self.entry_job[i] = job
        self._add(job)
        return job

    def item(self, job: ExportJob, index: int) -> ItemState:
        return self.history_item(job, index) if job.history else job.items[index]

    # -- state machine -----------------------------------------------------------------------------------
    def refresh(self, job: ExportJob, now_ms: int) -> bool:
        """Apply expiry; True when the job changed."""
        if job.is_open and now_ms >= job.last_action_ms + job.expires_in * SECOND_MS:
            expired = job.last_action_ms + job.expires_in * SECOND_MS
            job.status = "failed"
            job.failure_reason = f"The export job expired: no action for {job.expires_in} seconds"
            job.failure_reason_type = "job_expired"
            job.expired_ms = job.completed_ms = expired
            job.last_action_ms = expired
            self._abandon_open_items(job)
            return True
        return False

    def _abandon_open_items(self, job: ExportJob) -> None:
        for state in job.items.values():
            if state.status in ("pending", "in_progress"):
                state.status = "abandoned"

    def apply_event(self, job: ExportJob, event: str, now_ms: int, reason: str | None, reason_type: str | None) -> None:
        allowed, new_status = TRANSITIONS[event]
        if job.status not in allowed:
            raise TransitionError(
                f"Cannot change the status of export job {job.id} from {job.status} with event {event}"
            )
        job.status = new_status
        job.last_action_ms = now_ms
        if event == "started":
            job.started_ms = now_ms
            for state in job.items.values():
                if state.status == "pending":
                    state.status = "in_progress"
            return
        job.completed_ms = now_ms
        if event == "failed":
            job.failure_reason = reason or "The export failed"
            job.failure_reason_type = reason_type  # ExportJobFailureReasonType, or none given
        elif reason or reason_type:
            job.failure_reason, job.failure_reason_type = reason, reason_type
        self._abandon_open_items(job)

    def update_items(
        self, job: ExportJob, updates: Iterable[dict[str, Any]], now_ms: int, entry_index: Any
    ) -> tuple[list, list]:
        data, errors = [], []
        for update in updates:
            entry_id = update.get("accountingEntryId") if isinstance(update, dict) else None
            if not isinstance(entry_id, str):
                errors.append(
                    {
                        "accountingEntryId": str(entry_id),
                        "message": "accountingEntryId is required",
                        "type": "INVALID_REQUEST",
                    }
                )
                continue
            index = entry_index(entry_id)
            state = job.items.get(index) if index is not None else None
            if state is None:
                errors.append(
                    {
                        "accountingEntryId": entry_id,
                        "message": f"Accounting entry {entry_id} is not part of export job {job.id}",
                        "type": "EXPORT_JOB_ITEM_NOT_FOUND",
                    }
                )
                continue
            status = update.get("status")
            if status not in ITEM_STATUSES:
                errors.append(
                    {
                        "accountingEntryId": entry_id,
                        "message": f"status must be one of {', '.join(ITEM_STATUSES)}",
                        "type": "INVALID_EXPORT_JOB_ITEM_STATUS",
                    }
                )
                continue
            if state.status == "abandoned":
                errors.append(
                    {
                        "accountingEntryId": entry_id,
                        "message": "The item was abandoned and cannot be updated",
                        "type": "INVALID_EXPORT_JOB_ITEM_STATUS_CHANGE",
                    }
                )
                continue
            state.status = status
            exported = update.get("exportedAt")
            if exported is not None:
                from ..framework.timeutil import parse_iso8601

                try:
                    state.exported_ms = parse_iso8601(exported)
                except ValueError:
                    errors.append(
                        {
                            "accountingEntryId": entry_id,
                            "message": "exportedAt must be an ISO 8601 date-time",
                            "type": "INVALID_REQUEST",
                        }
                    )
                    continue
            elif status == "successful" and state.exported_ms is None:
                state.exported_ms = now_ms
            for key, attr in (
                ("externalId", "external_id"),
                ("externalUrl", "external_url"),
                ("failureReason", "failure_reason"),
                ("failureReasonType", "failure_reason_type"),
            ):
                if key in update:
                    setattr(state, attr, update[key])
            data.append(state.view(entry_id, job.id))
        if data:
            job.last_action_ms = now_ms
        return data, errors


def minute(n: int) -> int:
    return n * MINUTE_MS
