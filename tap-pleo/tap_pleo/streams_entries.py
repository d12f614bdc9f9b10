"""`accounting_entries`: `POST /v1/accounting-entries:search`, which has no updatedAt filter.

Incremental strategy (two passes per run; pass 2 skips what pass 1 delivered, by `performedAt`):

1. **Look-back window on `performedAt`** — `performedAtStart = bookmark − accounting_entries_lookback_days`
   (or `start_date` on the first run), sorted by `performedAt` ascending, cursor-paged. Catches new entries
   and every change to an entry performed within the window.
2. **The open export queue** — `exportStatus` in `accounting_entries_open_statuses` (default: every
   `ExportStatus` but `EXPORTED`), any date (from `start_date`). Catches entries created late with an old `performedAt`
   (new entries always start in the queue) and every change to an entry still in the queue.

Why nothing is missed: an entry is new or changing only while it is in the queue or recent; an entry that
is outside the window AND already exported is settled and exported, which Pleo locks. Its last change — the
export itself — is delivered by `export_job_items` (status `successful`, externalId, exportedAt). The
bookmark is the highest `performedAt` emitted, and is only advanced at the end of the stream (`is_sorted`
is false because pass 2 is not in `performedAt` order), so a killed run restarts from the previous bookmark.
A rerun with no changes reads the window and the queue, not the history.
"""

from __future__ import annotations

import datetime
import typing as t

from singer_sdk import typing as th
from tapkit.errors import TapError
from tapkit.schema import DateTime, String, obj, opt, opts, req, reqs
from tapkit.timeutil import to_api_ms, to_utc_iso

from tap_pleo import money
from tap_pleo.client import PleoStream
from tap_pleo.schemas import ENTRY_TAG, MINORS

#: Pleo's `ExportStatus` values; the export queue is every one but EXPORTED
EXPORT_STATUSES = ("CREATED", "EXPORTED", "EXPORTING", "NOT_CREATED", "NOT_EXPORTED", "QUEUED")
OPEN_STATUSES = [s for s in EXPORT_STATUSES if s != "EXPORTED"]
LOOKBACK_DAYS = 30  # default of `accounting_entries_lookback_days`
#: the lower-case names this tap took before it followed the published enum
LEGACY_STATUSES = {"not_exported": ["NOT_EXPORTED"], "in_progress": ["QUEUED", "EXPORTING"], "exported": ["EXPORTED"]}


def open_statuses(configured: t.Sequence[str] | None) -> list[str]:
    """`accounting_entries_open_statuses` as `ExportStatus` values (legacy lower-case names mapped)."""
    out: list[str] = []
    for value in configured or OPEN_STATUSES:
        for status in LEGACY_STATUSES.get(str(value), [str(value).upper()]):
            if status not in EXPORT_STATUSES:
                msg = (
                    f"accounting_entries_open_statuses: {value!r} is not a Pleo export status "
                    f"(one of {', '.join(EXPORT_STATUSES)})"
                )
                raise TapError(msg)
            if status not in out:
                out.append(status)
    return out


class AccountingEntriesStream(PleoStream):
    """History of accounting entries, independent of export jobs (money as `{currency, minors}`)."""

    name = "accounting_entries"
    path = "/v1/accounting-entries:search"
    http_method = "POST"
    primary_keys = ("id",)
    replication_key = "performedAt"
    is_sorted = False
    schema = th.PropertiesList(  # AccountingEntryV1
        *reqs(String, "id", "companyId"),
        # `deletedAt` is left out: the tap searches with includeDeleted=false, so it never comes
        *reqs(DateTime, "createdAt", "updatedAt"),
        req("performedAt", DateTime, "When the spend happened (UTC); the replication key."),
        *opts(DateTime, "settledAt", "bookkeepingDate"),
        req(
            "exportStatus", String, "ExportStatus: NOT_EXPORTED | QUEUED | EXPORTING | EXPORTED | CREATED | NOT_CREATED"
        ),
        req("family", String, "AccountingEntryFamily, e.g. CARD_PURCHASE, OUT_OF_POCKET, BILL_INVOICE"),
        opt("subFamily", String, "AccountingEntrySubFamily, e.g. ONLINE, IN_STORE, ATM"),
        req("reviewStatus", String),
        req("status", String, "AccountingEntryStatus, e.g. COMPLETED"),
        *opts(String, "employeeId", "teamId", "note", "accountId", "accountCode", "taxCodeId", "foreignExtensionId"),
        req("receiptIds", th.ArrayType(String)),
        req("transactionValue", MINORS, "In the currency the payment was made in."),
        opt("totalBillValue", MINORS, "In the company's currency, fees included."),
        req(
            "splitItems",
            th.ArrayType(
                obj(
                    req("id", String),
                    *reqs(DateTime, "createdAt", "updatedAt"),
                    *opts(String, "accountId", "accountCode", "taxCodeId"),
                    req("tags", th.ArrayType(ENTRY_TAG)),
                    opt("transactionValue", MINORS, "This split in the currency the payment was made in."),
                    opt("totalBillValue", MINORS, "This split in the company's currency."),
                )
            ),
        ),
        req("tags", th.ArrayType(ENTRY_TAG)),
        req("attendees", th.ArrayType(obj(*reqs(String, "id", "attendableId", "attendableType")))),
        opt(
            "supplier",
            obj(*opts(String, "cif", "documentNumber", "documentType", "externalAccountNumber", "externalSupplierId")),
        ),
    ).to_dict()

    def get_url_params(self, context: t.Any, next_page_token: t.Any) -> dict[str, t.Any]:
        params = super().get_url_params(context, next_page_token)
        params.update({"sorting_keys": "performedAt", "sorting_order": "ASC"})  # PageOrder
        return params

    def prepare_request_payload(self, context: t.Any, next_page_token: t.Any) -> dict:
        # the pass's filter comes in the request context (see get_records); AccountingEntryBaseSearchRequest
        # requires includeDeleted
        return {"includeDeleted": False, **context["filter"]}

    def _window_start(self, context: t.Any) -> str | None:
        bookmark = to_utc_iso(self.get_starting_replication_key_value(context))
        start = to_utc_iso(self.config.get("start_date"))
        if bookmark:
            days = int(self.config.get("accounting_entries_lookback_days", LOOKBACK_DAYS))
            back = datetime.datetime.fromisoformat(bookmark) - datetime.timedelta(days=days)
            back_iso = back.isoformat(timespec="microseconds")
            return max(back_iso, start) if start else back_iso
        return start

    def get_records(self, context: t.Any) -> t.Iterable[dict]:
        window_start = self._window_start(context)
        window = {"performedAtStart": to_api_ms(window_start)} if window_start else {}
        yield from self.request_records({"filter": window})
        if window_start is None:
            return  # pass 1 read the whole history: the queue is in it
        start = to_utc_iso(self.config.get("start_date"))
        statuses = open_statuses(self.config.get("accounting_entries_open_statuses"))
        queue = {"exportStatus": statuses, **({"performedAtStart": to_api_ms(start)} if start else {})}
        for entry in self.request_records({"filter": queue}):
            # pass 1 already delivered everything performed since window_start: dedupe without a set
            if (to_utc_iso(entry.get("performedAt")) or "") < window_start:
                yield entry

    def post_process(self, row: dict, context: t.Any = None) -> dict | None:
        for key in ("createdAt", "updatedAt", "performedAt", "settledAt", "bookkeepingDate"):
            if row.get(key):
                row[key] = to_utc_iso(row[key])
        money.add_entry_money(row)
        return row

    def generate_child_contexts(self, record: dict, context: t.Any) -> t.Iterable[dict]:
        if self.child_streams and record.get("receiptIds"):  # child: `files`, when files_dir is set
            yield {"ownerStream": "accounting_entries", "ownerId": record["id"], "receiptIds": record["receiptIds"]}
