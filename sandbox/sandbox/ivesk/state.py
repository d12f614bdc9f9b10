"""Everything the Įvesk account holds for one (seed, scale): seeded history, uploads, exports done while the
sandbox runs, code-list changes, sync errors and webhook subscriptions."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..framework.money import Totals
from ..framework.timeutil import iso_ms
from .codelists import seeded_items
from .config import COLUMN_NAMES, IveskConfig
from .documents import CoreFactory, DocCore, SeedTimeline, document, seeded_pdf_size
from .parties import Party, client_companies
from .queues import Entry, Key, Page, read_page, seeded_entries

QUEUES = ("digitized", "exported")
MONEY_FIELDS = ("subtotal", "vat", "total")


@dataclass
class Upload:
    key: str  # the S3 object key in the presigned URL
    file_name: str
    content_type: str
    disposition: str
    options: dict[str, Any]
    sourcedata: Any
    userdata: str | None
    created_ms: int
    status: str = "awaiting_upload"  # -> digitizing -> digitized | rejected
    stored_ms: int | None = None
    digitize_at_ms: int | None = None
    content: bytes = b""
    sha256: str | None = None
    index: int | None = None  # document index in the "upload" space once stored
    reason: str | None = None

    def view(self, core_id: str | None) -> dict[str, Any]:
        return {
            "key": self.key,
            "fileName": self.file_name,
            "status": self.status,
            "contentType": self.content_type,
            "sourcedata": self.sourcedata,
            "userdata": self.userdata,
            "options": self.options,
            "size": len(self.content),
            "sha256": self.sha256,
            "documentId": core_id,
            "reason": self.reason,
            "storedAt": iso_ms(self.stored_ms) if self.stored_ms else None,
        }


@dataclass
class ColumnItem:
    code: str
    modifiedat_ms: int
    description: str | None = None


@dataclass
class CodeList:
    items: dict[str, ColumnItem] = field(default_factory=dict)  # by code

    def sorted_items(self) -> list[ColumnItem]:
        return [self.items[c] for c in sorted(self.items)]


class IveskState:
    def __init__(self, config: IveskConfig, now_ms: Callable[[], int]) -> None:
        self.config = config
        self.seed, self.scale = config.seed, config.scale
        self.now_ms = now_ms
        #: the account's client companies by company code (the tenants), in order
        self.companies: dict[str, Party] = {c.code: c for c in client_companies(config.companies)}
        self.company_codes = list(self.companies)
        self.cores = CoreFactory(config.seed, tuple(self.companies.values()))
        self.timeline = SeedTimeline(config.seed, config.scale)
        self.exported_overlay: dict[Key, tuple[int, int]] = {}  # key -> (exportedat ms, sequence)
        self._sequence = 0
        self.uploads: dict[str, Upload] = {}  # by S3 key
        self.upload_docs: list[Upload] = []  # stored uploads, by document index
        self.syncerrors: list[dict[str, Any]] = []
        self.subscriptions: list[dict[str, Any]] = []
        self.codelists: dict[tuple[str, str], CodeList] = {}
        self._ids: dict[str, Key] | None = None
        self.presigned_with_api_key = 0  # requests to presigned S3 URLs that carried x-api-key (a client leak)
        self._truth_base: dict | None = None

    # -- documents -----------------------------------------------------------------------------------
    def core(self, key: Key) -> DocCore:
        return self.cores.core(*key)

    def digitized_ms(self, key: Key) -> int | None:
        space, index = key
        if space == "seed":
            return self.timeline.digitized_ms(index)
        upload = self.upload_docs[index]
        self.refresh_upload(upload)
        return upload.digitize_at_ms if upload.status == "digitized" else None

    def exported_ms(self, key: Key) -> int | None:
        if key in self.exported_overlay:
            return self.exported_overlay[key][0]
        space, index = key
        if space == "seed" and self.timeline.is_exported(index):
            return self.timeline.export_candidate_ms(index)
        return None

    def document(self, key: Key) -> dict[str, Any]:
        upload = self.upload_docs[key[1]] if key[0] == "upload" else None
        view = None
        if upload is not None:
            view = {
                "fileName": upload.file_name,
                "options": upload.options,
                "sourcedata": upload.sourcedata,
                "userdata": upload.userdata,
            }
        digitized = self.digitized_ms(key)
        assert digitized is not None
        core = self.core(key)
        return document(core, self.companies[core.companycode], self.seed, digitized, self.exported_ms(key), view)

    def key_of(self, document_id: str) -> Key | None:
        if self._ids is None:
            self._ids = {self.cores.core("seed", i).id: ("seed", i) for i in range(self.scale)}
        key = self._ids.get(document_id)
        if key is None:
            for n, _upload in enumerate(self.upload_docs):
                if self.cores.core("upload", n).id == document_id:
                    return ("upload", n)
        return key

    def pdf(self, key: Key) -> tuple[bytes, str]:
        if key[0] == "upload":
            upload = self.upload_docs[key[1]]
            return upload.content, upload.content_type
        from .documents import seeded_pdf

        core = self.core(key)
        return seeded_pdf(core, self.companies[core.companycode]), "application/pdf"

    # -- uploads and digitization ---------------------------------------------------------------------
    def new_upload(
        self,
        file_name: str,
        content_type: str,
        disposition: str,
        options: dict[str, Any],
        sourcedata: Any,
        userdata: str | None,
    ) -> Upload:
        upload = Upload(
            str(uuid.uuid4()), file_name, content_type, disposition, options, sourcedata, userdata, self.now_ms()
        )
        self.uploads[upload.key] = upload
        return upload

    def store_upload(self, upload: Upload, content: bytes) -> None:
        now = self.now_ms()
        digest = hashlib.sha256(content).hexdigest()
        duplicate = any(u.sha256 == digest for u in self.upload_docs)
        upload.content, upload.sha256, upload.stored_ms = content, digest, now
        if upload.options.get("checkduplicates") and duplicate:
            upload.status, upload.reason = "rejected", "duplicate"
            return
        if upload.options.get("rejectnoninvoices") and not content.startswith((b"%PDF", b"\xff\xd8\xff", b"\x89PNG")):
            upload.status, upload.reason = "rejected", "not an invoice"
            return
        upload.status = "digitizing"
        upload.digitize_at_ms = now + int(self.config.digitize_delay * 1000)
        upload.index = len(self.upload_docs)
        self.upload_docs.append(upload)
        self.refresh_upload(upload)

    def refresh_upload(self, upload: Upload) -> None:
        if (
            upload.status == "digitizing"
            and upload.digitize_at_ms is not None
            and self.now_ms() >= upload.digitize_at_ms
        ):
            upload.status = "digitized"

    def finish_digitization(self, keys: list[str] | None = None) -> list[Upload]:
        """Digitization of the given uploads (all waiting ones by default) finishes now."""
        now = self.now_ms()
        done = []
        for upload in self.upload_docs:
            if upload.status == "digitizing" and (keys is None or upload.key in keys):
                upload.digitize_at_ms, upload.status = now, "digitized"
                done.append(upload)
        return done

    def newly_digitized(self) -> list[Upload]:
        out = []
        for upload in self.upload_docs:
            before = upload.status
            self.refresh_upload(upload)
            if before != upload.status:
                out.append(upload)
        return out

    # -- the accountant's Export ----------------------------------------------------------------------
    def waiting_for_export(self) -> Iterator[Key]:
        """Digitized documents not exported yet, oldest first."""
        for i in range(self.scale):
            if not self.timeline.is_exported(i) and ("seed", i) not in self.exported_overlay:
                yield ("seed", i)
        for n, upload in enumerate(self.upload_docs):
            self.refresh_upload(upload)
            if upload.status == "digitized" and ("upload", n) not in self.exported_overlay:
                yield ("upload", n)

    def export(self, keys: list[Key]) -> int:
        """One click on Export: every given document gets the same `exportedat` = now (again, if re-exported)."""
        now = self.now_ms()
        for key in keys:
            self._sequence += 1
            self.exported_overlay[key] = (now, self._sequence)
        return now

    def oldest_exported(self, count: int) -> list[Key]:
        page = self.queue_page("exported", -1, max(count, 1))
        return [e.key for e in page.entries[:count]]

    # -- queues ---------------------------------------------------------------------------------------
    def queue_page(
        self, queue: str, after_ms: int, page_size: int, *, inclusive: bool = False, split_ties: bool = False
    ) -> Page:
        if inclusive:
            after_ms -= 1
        overlay = self.exported_overlay
        n = self.scale
        if queue == "digitized":
            base = seeded_entries(n, self.timeline.digitized_ms, lambda i: True, after_ms)
            extra = []
            for k, upload in enumerate(self.upload_docs):
                self.refresh_upload(upload)
                if upload.status == "digitized" and upload.digitize_at_ms > after_ms:
                    extra.append(Entry(upload.digitize_at_ms, (1, k), ("upload", k)))
        else:
            timeline = self.timeline
            base = seeded_entries(
                n,
                timeline.export_candidate_ms,
                lambda i: timeline.is_exported(i) and ("seed", i) not in overlay,
                after_ms,
            )
            extra = [Entry(ts, (1, seq), key) for key, (ts, seq) in overlay.items() if ts > after_ms]
        extra.sort()
        return read_page([base, iter(extra)], page_size, split_ties)

    # -- code lists -----------------------------------------------------------------------------------
    def codelist(self, company: str, column: str) -> CodeList:
        key = (company, column)
        if key not in self.codelists:
            index = self.company_codes.index(company)
            items = {
                i["code"]: ColumnItem(i["code"], i["modifiedat_ms"], i.get("description"))
                for i in seeded_items(self.seed, index, column)
            }
            self.codelists[key] = CodeList(items)
        return self.codelists[key]

    def modify_codes(self, company: str, column: str, count: int, add: int) -> tuple[list[str], int]:
        """Change `count` codes and add `add`; return their codes and the `modifiedat` (ms) they got."""
        codelist = self.codelist(company, column)
        now = self.now_ms()
        changed = []
        for item in codelist.sorted_items()[:count]:
            item.description = f"{item.description or item.code} (pakeista)"
            item.modifiedat_ms = now
            changed.append(item.code)
        for _n in range(add):
            code = f"N{len(codelist.items) + 1:03d}"
            codelist.items[code] = ColumnItem(code, now, f"Naujas kodas {code}")
            changed.append(code)
        return changed, now

    # -- tenants and ground truth ---------------------------------------------------------------------
    def tenants(self) -> list[dict[str, Any]]:
        """The client companies; one API key reads them all (the tap's ``company_codes`` picks some)."""
        return [{"id": c.code, "name": c.name, "vat": c.vat} for c in self.companies.values()]

    def tenant_ground_truth(self, company: str, queue: str = "exported") -> dict[str, Any]:
        return {**self.ground_truth(queue, company), "tenant": company}

    def _base_truth(self) -> dict[str, dict[str, tuple[int, dict[str, Totals], int]]]:
        """Per queue and company: the seeded documents' count, money totals and PDF bytes."""
        if self._truth_base is None:
            out: dict[str, dict[str, tuple[int, dict[str, Totals], int]]] = {}
            for queue in QUEUES:
                per = {code: [0, {f: Totals() for f in MONEY_FIELDS}, 0] for code in self.companies}
                for i in range(self.scale):
                    if queue == "exported" and not self.timeline.is_exported(i):
                        continue
                    core = self.cores.core("seed", i)
                    sums = per[core.companycode]
                    sums[0] += 1
                    for f in MONEY_FIELDS:
                        sums[1][f].add(core.currency, getattr(core, f))
                    sums[2] += seeded_pdf_size(core, self.companies[core.companycode])
                out[queue] = {code: (c, totals, size) for code, (c, totals, size) in per.items()}
            self._truth_base = out
        return self._truth_base

    def queue_truth(self, queue: str, company: str | None = None) -> dict[str, Any]:
        """The documents and files of a queue: of every company, or of ``company``."""
        codes = [company] if company is not None else self.company_codes
        totals = {f: Totals() for f in MONEY_FIELDS}
        count = size = 0
        for code in codes:
            base_count, base_totals, base_size = self._base_truth()[queue][code]
            count, size = count + base_count, size + base_size
            for f in MONEY_FIELDS:
                totals[f].merge(base_totals[f])
        extra: list[Key] = []
        if queue == "exported":
            extra = [k for k in self.exported_overlay if not (k[0] == "seed" and self.timeline.is_exported(k[1]))]
        else:
            for k, upload in enumerate(self.upload_docs):
                self.refresh_upload(upload)
                if upload.status == "digitized":
                    extra.append(("upload", k))
        for key in extra:
            core = self.core(key)
            if core.companycode not in codes:
                continue
            count += 1
            for f in MONEY_FIELDS:
                totals[f].add(core.currency, getattr(core, f))
            if key[0] == "upload":
                size += len(self.upload_docs[key[1]].content)
            else:
                size += seeded_pdf_size(core, self.companies[core.companycode])
        money = {f: totals[f].as_strings(2) for f in MONEY_FIELDS}
        return {"documents": {"count": count, "money": money}, "files": {"count": count, "bytes": size, "money": {}}}

    def columns_truth(
        self, columns: tuple[str, ...] = ("allocation", "department"), company: str | None = None
    ) -> dict[str, Any]:
        per: dict[str, int] = {}
        for code in [company] if company is not None else self.company_codes:
            for column in columns:
                per[f"{code}/{column}"] = len(self.codelist(code, column).items)
        return {"count": sum(per.values()), "money": {}, "lists": per}

    def ground_truth(self, queue: str = "exported", company: str | None = None) -> dict[str, Any]:
        """What the account holds (for ``queue``), or one client company (``company``: its documents, files,
        code lists, sync errors and uploads; the webhook subscriptions and presigned-URL count are the
        account's)."""
        truth = self.queue_truth(queue, company)
        uploads = [
            u.view(self.cores.core("upload", u.index).id if u.index is not None else None)
            for u in self.uploads.values()
            if company is None or (u.index is not None and self.cores.core("upload", u.index).companycode == company)
        ]
        return {
            "provider": "ivesk",
            "seed": self.seed,
            "scale": self.scale,
            "queue": queue,
            "streams": {
                "documents": truth["documents"],
                "columns": self.columns_truth(company=company),
                "files": truth["files"],
            },
            "queues": {q: self.queue_truth(q, company)["documents"]["count"] for q in QUEUES},
            "company_codes": [company] if company is not None else list(self.company_codes),
            "column_names": list(COLUMN_NAMES),
            "syncerrors": [e for e in self.syncerrors if company is None or e["companycode"] == company],
            "presignedRequestsWithApiKey": self.presigned_with_api_key,
            "subscriptions": [{k: v for k, v in s.items() if k != "token"} for s in self.subscriptions],
            "uploads": uploads,
        }
