"""Everything the Pleo organization holds for one (seed, scale): companies, entries, jobs, tokens."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterator
from typing import Any

from ..framework.money import Totals
from ..framework.timeutil import SECOND_MS
from . import ids
from .auth import TokenStore
from .config import ORGANIZATION_ID, PleoConfig, company_api_key, pleo_companies
from .entries import EntryCore, EntryFactory
from .jobs import ExportJob, JobBook
from .reference import CompanyRefs, build_all


class CompanyData:
    def __init__(self, seed: int, index: int, refs: CompanyRefs, config: PleoConfig, now_ms: int) -> None:
        self.index = index
        self.refs = refs
        self.company = refs.company
        self.entries = EntryFactory(seed, index, refs, config.scale)
        owner = refs.employees[1]["id"]  # the bookkeeper
        self.jobs = JobBook(seed, index, self.company.id, config.scale, owner)
        self.jobs.seed_history(self.entries.performed_ms, config.job_expires_in)
        self.entry_updated: dict[int, int] = {}  # entries changed by the export workflow: index -> updatedAt ms
        self.next_candidate = self.jobs.history_end
        size = min(config.pending_job_size, config.scale - self.jobs.history_end)
        if size > 0:
            self.create_job(self.candidates(size), now_ms, config.job_expires_in)

    # -- entries -------------------------------------------------------------------------------------
    def entry_index(self, entry_id: str, seed: int) -> int | None:
        decoded = ids.decode(seed, entry_id, ids.ENTRY)
        if decoded is None or decoded[0] != self.index or decoded[1] >= self.entries.n:
            return None
        return decoded[1]

    def export_status(self, index: int) -> str:
        """The entry's ``ExportStatus``: NOT_EXPORTED in the queue, QUEUED in a pending job, EXPORTING in a
        job in progress, EXPORTED once its item succeeded. [I] CREATED / NOT_CREATED are not produced."""
        job = self.jobs.entry_job.get(index)
        if job is not None:
            if job.is_open:
                return "QUEUED" if job.status == "pending" else "EXPORTING"
            return "EXPORTED" if job.items[index].status == "successful" else "NOT_EXPORTED"
        j = self.jobs.history_job_of(index)
        if j is not None:
            return (
                "EXPORTED"
                if (index - self.jobs.starts[j])
                not in self.jobs.history_failed_positions(j, len(self.jobs.history_range(j)))
                else "NOT_EXPORTED"
            )
        return "NOT_EXPORTED"

    def updated_ms(self, index: int) -> int:
        return self.entry_updated.get(index) or self.entries.base_updated_ms(index)

    def candidates(self, count: int) -> list[int]:
        """The next ``count`` entries of the export queue (not exported, not in an open job)."""
        out = []
        i = self.next_candidate
        while len(out) < count and i < self.entries.n:
            if self.export_status(i) == "NOT_EXPORTED":
                out.append(i)
            i += 1
        return out

    def create_job(self, entries: list[int], now_ms: int, expires_in: int, **options: Any) -> ExportJob:
        job = self.jobs.create(entries, now_ms, expires_in, **options)
        for i in entries:
            self.entry_updated[i] = now_ms
        return job

    def touch_entries(self, job: ExportJob, ms: int) -> None:
        for i in job.entries:
            self.entry_updated[i] = ms


class PleoState:
    def __init__(self, config: PleoConfig, now_ms: Callable[[], int]) -> None:
        self.config = config
        self.seed = config.seed
        self.now_ms = now_ms
        now = now_ms()
        self.refs = build_all(config.seed, pleo_companies(config.companies))
        self.companies = [CompanyData(config.seed, i, refs, config, now) for i, refs in enumerate(self.refs)]
        self._by_id = {data.company.id: data for data in self.companies}
        self.tokens = TokenStore(config, now_ms)
        self.signing_key = hashlib.sha256(f"pleo-files:{config.seed}".encode()).digest()
        self._truth_base: dict[int, dict] = {}

    def company(self, company_id: str | None) -> CompanyData | None:
        return self._by_id.get(company_id or "")

    def companies_of(self, organization: str) -> tuple[CompanyData, ...]:
        """The companies of an organization (the sandbox holds one organization)."""
        return tuple(self.companies) if organization == ORGANIZATION_ID else ()

    def tick(self) -> None:
        """Expire open jobs whose time ran out (lazy expiry), before any request is answered."""
        now = self.now_ms()
        for data in self.companies:
            job = data.jobs.open_job()
            if job is not None and data.jobs.refresh(job, now):
                data.touch_entries(job, job.expired_ms or now)

    # -- files ---------------------------------------------------------------------------------------
    def file_signature(self, receipt_id: str, expires_s: int) -> str:
        return hmac.new(self.signing_key, f"{receipt_id}:{expires_s}".encode(), hashlib.sha256).hexdigest()

    def find_receipt(self, receipt_id: str) -> tuple[CompanyData, EntryCore, int] | None:
        decoded = ids.decode(self.seed, receipt_id, ids.RECEIPT)
        if decoded is None or decoded[0] >= len(self.companies):
            return None
        data = self.companies[decoded[0]]
        index, position = divmod(decoded[1], 4)
        if index >= data.entries.n:
            return None
        core = data.entries.core(index)
        return (data, core, position) if position < core.nfiles else None

    # -- ground truth ----------------------------------------------------------------------------------
    def _entries_truth(self, data: CompanyData) -> dict:
        if data.index not in self._truth_base:
            totals, wallet = Totals(), Totals()
            files = size = 0
            for i in range(data.entries.n):
                core = data.entries.core(i)
                totals.add(core.supplier_currency, core.supplier_minor)
                wallet.add(core.wallet_currency, core.wallet_minor)
                files += core.nfiles
                size += sum(data.entries.receipt_size(core, p) for p in range(core.nfiles))
            self._truth_base[data.index] = {
                "count": data.entries.n,
                "totals": totals,
                "wallet": wallet,
                "files": files,
                "bytes": size,
            }
        return self._truth_base[data.index]

    def open_job_items(self, data: CompanyData) -> Iterator[EntryCore]:
        for job in data.jobs.jobs:
            if not job.history:
                for i in job.entries:
                    yield data.entries.core(i)

    def tenants(self) -> list[dict[str, Any]]:
        """The companies, each with its company-scoped API key (the organization key reads them all)."""
        return [
            {
                "id": data.company.id,
                "name": data.company.name,
                "country": data.company.country,
                "currency": data.company.currency,
                "apiKey": company_api_key(data.company.id),
            }
            for data in self.companies
        ]

    def tenant_ground_truth(self, company_id: str) -> dict[str, Any]:
        return {**self.ground_truth(company_id), "tenant": company_id}

    def ground_truth(self, company_id: str | None = None) -> dict[str, Any]:
        """The ground truth of one company (default: the first)."""
        self.tick()
        data = self.company(company_id) if company_id else self.companies[0]
        assert data is not None
        refs = data.refs
        entries = self._entries_truth(data)
        supplier, wallet = Totals(), Totals()
        items = item_files = item_bytes = 0
        for core in self.open_job_items(data):
            items += 1
            supplier.add(core.supplier_currency, core.supplier_minor)
            wallet.add(core.wallet_currency, core.wallet_minor)
            item_files += core.nfiles
            item_bytes += sum(data.entries.receipt_size(core, p) for p in range(core.nfiles))
        jobs = data.jobs.jobs
        return {
            "provider": "pleo",
            "organization": ORGANIZATION_ID,
            "company": data.company.id,
            "seed": self.seed,
            "scale": self.config.scale,
            "notes": "export_items: the payload of every job opened in the sandbox (seeded pending job and jobs "
            "created since), which a tap reads while the job is open; files: every receipt of every "
            "accounting entry (export items' files are receipts of their entries; export_item_files "
            "counts those alone); money in major units",
            "export_item_files": {"count": item_files, "bytes": item_bytes},
            "streams": {
                "accounting_entries": {
                    "count": entries["count"],
                    "money": {
                        "transactionValue.value": entries["totals"].as_strings(2),
                        "totalBillValue.value": entries["wallet"].as_strings(2),
                    },
                },
                "export_jobs": {"count": len(jobs), "money": {}},
                "export_job_items": {"count": sum(len(j.entries) for j in jobs), "money": {}},
                "export_items": {
                    "count": items,
                    "money": {
                        "amount.inSupplierCurrency.value": supplier.as_strings(2),
                        "amount.inWalletCurrency.value": wallet.as_strings(2),
                    },
                },
                "files": {"count": entries["files"], "bytes": entries["bytes"], "money": {}},
                "companies": {"count": len(self.companies), "money": {}},
                "employees": {"count": len(refs.employees), "money": {}},
                "tax_codes": {"count": len(refs.tax_codes), "money": {}},
                "tag_groups": {"count": len(refs.tag_groups), "money": {}},
                "tags": {"count": len(refs.all_tags()), "money": {}},
                "accounts": {"count": len(refs.accounts), "money": {}},
                "vendors": {"count": len(refs.vendors), "money": {}},
            },
        }


def seconds(ms: int) -> int:
    return ms // SECOND_MS
