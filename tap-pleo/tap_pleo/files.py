"""`files`: receipts, streamed to `files_dir` (local path or fsspec URL) during the run — Pleo's file URLs are
pre-signed and expire after 24 h, so they cannot be fetched later. Two owners:

- **export_items**: the `files[]` of each export item (the receipts of the entries an accountant is exporting);
  the URLs come with the item.
- **accounting_entries**: the receipts of each entry with `receiptIds`, listed (fresh URLs) by
  `POST /v1/accounting-entries/receipts:search` with `accountingEntryIds`: with parallel downloads, once for all
  the entries of a page that have a receipt not stored yet (a request per 100 receipts instead of one per
  entry, each counted against the rate limit), else for the one entry. Receipts are immutable by id, so an
  entry whose receipts are all stored already costs no request: its records are rebuilt from storage.

Both store a receipt under `pleo/<company>/<accountingEntryId>/<receipt>.<ext>`, so a receipt reached through
both owners is downloaded once. The URLs point at Pleo's storage host and carry their own signature: they
are fetched WITHOUT the Pleo credentials.
"""

from __future__ import annotations

import functools
import threading
import typing as t
from urllib.parse import urlparse

from singer_sdk import typing as th
from tapkit.files import FileSink, no_auth, owner_properties, safe_name, store_file, stored_file_properties
from tapkit.http import ProviderClientError
from tapkit.schema import String
from tapkit.streams import OncePerParentChild
from tapkit.timeutil import to_utc_iso

from tap_pleo.client import COMPANY, PleoStream
from tap_pleo.schemas import COMPANY_ID
from tap_pleo.streams_entries import AccountingEntriesStream
from tap_pleo.streams_export import ExportItemsStream

EXTENSIONS = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/heic": "heic",
    "image/webp": "webp",
    "image/gif": "gif",
    "text/xml": "xml",
    "application/xml": "xml",
}
#: accounting entries per receipts:search (its `accountingEntryIds`; pages of MAX_PAGE receipts)
RECEIPT_SEARCH_ENTRIES = 100


class FilesStream(OncePerParentChild, PleoStream):
    """One record per stored receipt; a receipt already stored is not fetched again."""

    name = "files"
    parent_stream_type = ExportItemsStream
    also_child_of = (AccountingEntriesStream,)  # wired by tapkit's ProviderTap.streams
    primary_keys = ("id",)
    company_param = None
    path = ""
    schema = th.PropertiesList(
        th.Property(
            "id",
            String,
            required=True,
            description="`<accountingEntryId>/<receipt id>` (for export-item files: the last segment of "
            "the file URL, which is the receipt id).",
        ),
        COMPANY_ID,
        *owner_properties("export_items or accounting_entries", "the accountingEntryId of that export item or entry"),
        th.Property("exportJobId", String, description="Export job of the owning export item (export_items only)."),
        th.Property("name", String, description="Stored file name."),
        th.Property("contentType", String, description="MIME type Pleo gives (`type` / `mimeType`)."),
        th.Property("source", String, description="How the receipt reached Pleo (accounting_entries only)."),
        th.Property("createdAt", th.DateTimeType, description="When Pleo received it (accounting_entries only)."),
        *stored_file_properties(sha256="Hex SHA-256."),
    ).to_dict()

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._receipts = EntryReceipts()

    @property
    def authenticator(self) -> t.Any:
        return no_auth  # pre-signed URLs: never send the Pleo credentials to the storage host

    def page_arrived(self, parent: t.Any, records: list[dict], context: t.Any) -> None:
        """A page of accounting entries arrived (tapkit.prefetch, parallel downloads): their receipts are listed
        together when the first of them needs its list."""
        if parent.name == "accounting_entries" and self.selected and context:
            self._receipts.expect(context[COMPANY], [r["id"] for r in records if r.get("id") and r.get("receiptIds")])

    def get_records(self, context: t.Any) -> t.Iterable[dict]:
        sink = FileSink(self.config["files_dir"])
        if context.get("ownerStream") == "accounting_entries":
            yield from self._entry_receipts(sink, context)
        else:
            yield from self._export_item_files(sink, context)

    def _export_item_files(self, sink: FileSink, context: dict) -> t.Iterable[dict]:
        owner = context["ownerId"]
        for position, file in enumerate(context["files"]):
            url = str(file.get("url") or "")
            segment = urlparse(url).path.rstrip("/").rsplit("/", 1)[-1] or f"file-{position}"
            name = segment if "." in segment else f"{segment}.{extension(file.get('type'))}"
            record = {
                "id": f"{owner}/{segment}",
                "ownerStream": "export_items",
                "ownerId": owner,
                "exportJobId": context.get("exportJobId"),
                "name": name,
            }
            stored = self._store(sink, url, (context[COMPANY], owner, name), file.get("type"))
            if stored is not None:
                yield {**record, **stored}

    def _entry_receipts(self, sink: FileSink, context: dict) -> t.Iterable[dict]:
        owner = context["ownerId"]
        by_stem = {name.split(".", 1)[0]: name for name in sink.names_in("pleo", context[COMPANY], owner)}
        wanted = [str(r) for r in context["receiptIds"]]
        if all(safe_name(r) in by_stem for r in wanted):
            self._receipts.forget(context[COMPANY], owner)
            receipts: list[dict] = [{"id": r, "stored_as": by_stem[safe_name(r)]} for r in wanted]
        else:  # something new: list the receipts for fresh pre-signed URLs (24 h)
            entries = self._tap.streams["accounting_entries"]  # authenticated, unlike this stream
            receipts = self._receipts.of(context[COMPANY], owner, functools.partial(search_receipts, entries))
        for receipt in receipts:
            receipt_id = str(receipt["id"])
            mime = receipt.get("mimeType")
            name = receipt.get("stored_as") or f"{receipt_id}.{extension(mime, receipt.get('fileType'))}"
            record = {
                "id": f"{owner}/{receipt_id}",
                "ownerStream": "accounting_entries",
                "ownerId": owner,
                "exportJobId": None,
                "name": name,
                "source": receipt.get("source"),
                "createdAt": receipt.get("createdAt"),
            }
            stored = self._store(sink, receipt.get("url"), (context[COMPANY], owner, name), mime)
            if stored is not None:
                yield {**record, **stored}

    def _store(self, sink: FileSink, url: str | None, where: tuple[str, str, str], mime: t.Any) -> dict | None:
        """Store a receipt at `pleo/<company>/<owner>/<name>` (`where`: company, owner, name)."""
        _, owner, name = where
        try:
            return store_file(self, sink, url, ("pleo", *where), mime or None)
        except ProviderClientError as exc:
            if exc.status not in (403, 404):
                raise
            self.logger.warning(
                "Receipt %s of accounting entry %s cannot be downloaded (%s): its URL may have "
                "expired; it is fetched again when its owner is read again with a fresh URL",
                name,
                owner,
                exc.status,
            )
            return None

    def post_process(self, row: dict, context: t.Any = None) -> dict | None:
        row["createdAt"] = to_utc_iso(row.get("createdAt"))
        return super().post_process(row, context)


class EntryReceipts:
    """The receipts of the accounting entries of the pages being read, listed a batch at a time: the first entry
    whose list is asked for lists those of the entries expected with it (up to RECEIPT_SEARCH_ENTRIES), under a
    lock, so the download workers of one page wait for one search instead of each sending its own."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._expected: dict[str, dict[str, None]] = {}  # company -> entry ids (ordered) not yet listed
        self._listed: dict[str, list[dict]] = {}  # entry id -> its receipts, until its files are stored

    def expect(self, company: str, entry_ids: list[str]) -> None:
        with self._lock:
            self._expected.setdefault(company, {}).update(dict.fromkeys(e for e in entry_ids if e not in self._listed))

    def forget(self, company: str, entry_id: str) -> None:
        with self._lock:
            self._expected.get(company, {}).pop(entry_id, None)
            self._listed.pop(entry_id, None)

    def of(self, company: str, entry_id: str, search: t.Callable[[str, list[str]], t.Iterable[dict]]) -> list[dict]:
        """The entry's receipts: listed already, or by `search(company, entry ids)` of it and of the entries
        expected next."""
        with self._lock:
            if entry_id not in self._listed:
                expected = self._expected.setdefault(company, {})
                expected.pop(entry_id, None)
                batch = [entry_id, *list(expected)[: RECEIPT_SEARCH_ENTRIES - 1]]
                for other in batch[1:]:
                    del expected[other]
                found: dict[str, list[dict]] = {e: [] for e in batch}
                for receipt in search(company, batch):
                    if isinstance(receipt, dict) and receipt.get("id") and receipt.get("accountingEntryId") in found:
                        found[receipt["accountingEntryId"]].append(receipt)
                self._listed.update(found)
            return self._listed.pop(entry_id)


def search_receipts(entries: t.Any, company: str, entry_ids: list[str]) -> t.Iterator[dict]:
    """`POST /v1/accounting-entries/receipts:search?company_id=` for the entries' receipts, every page (through
    the authenticated `accounting_entries` stream's policy)."""
    body = {"accountingEntryIds": entry_ids, "includeDeleted": False}
    return entries.list_all("/v1/accounting-entries/receipts:search", {"company_id": company}, method="POST", json=body)


def extension(mime: t.Any, file_type: t.Any = None) -> str:
    if mime in EXTENSIONS:
        return EXTENSIONS[mime]
    return safe_name(str(file_type), "bin").lower() if file_type else "bin"
