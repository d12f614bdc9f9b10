"""`accounting_entries`: `POST /v1/accounting-entries:search`, which has no updatedAt filter.

Incremental strategy (two passes per run, both sorted by `performedAt` ascending and cursor-paged):

1. **The open export queue** — `exportStatus` in `accounting_entries_open_statuses` (default: every
   `ExportStatus` but `EXPORTED`), from `start_date`, keeping only the entries performed before the window
   (pass 2 delivers the others). Catches entries created late with an old `performedAt` (new entries always
   start in the queue) and every change to an entry still in the queue.
2. **Look-back window on `performedAt`** — `performedAtStart = bookmark − accounting_entries_lookback_days`
   (or `start_date` on the first run). Catches new entries and every change to an entry performed within
   the window.

Why nothing is missed: an entry is new or changing only while it is in the queue or recent; an entry that
is outside the window AND already exported is settled and exported, which Pleo locks. Its last change — the
export itself — is delivered by `export_job_items` (status `successful`, externalId, exportedAt). A rerun
with no changes reads the queue and the window, not the history. On the first run (no bookmark) pass 2
alone reads the whole history, which holds the queue.

STATE while reading, and resuming a killed run: the queue pass comes first, so the stream as emitted is
sorted by `performedAt` (queue entries are older than the window); the SDK moves the bookmark with each
entry (`is_sorted`) and the stream writes a STATE after every page. Beside the bookmark, while a run is
incomplete, the state holds `resume`: the window of that run (`windowStart`) and its position (the
`performedAt` of the last entry emitted and the ids emitted at exactly it, see `EntryPosition`). A run
started from such a state continues the interrupted one — the same window, the pass it was in, from one
millisecond before the position, skipping the entries behind it — so a kill costs at most one page of
re-reading. A complete run removes `resume`; its bookmark is the highest `performedAt` of the window (at
least the window start).
"""

from __future__ import annotations

import datetime
import typing as t

from singer_sdk import typing as th
from tapkit.errors import TapError
from tapkit.schema import DateTime, String, obj, opt, opts, req, reqs
from tapkit.timeutil import to_api_ms, to_utc_iso

from tap_pleo import money
from tap_pleo.client import COMPANY, PleoStream
from tap_pleo.pagination import EntryPosition
from tap_pleo.schemas import COMPANY_ID_IN_BODY, ENTRY_TAG, MINORS

if t.TYPE_CHECKING:
    import requests

#: Pleo's `ExportStatus` values; the export queue is every one but EXPORTED
EXPORT_STATUSES = ("CREATED", "EXPORTED", "EXPORTING", "NOT_CREATED", "NOT_EXPORTED", "QUEUED")
OPEN_STATUSES = [s for s in EXPORT_STATUSES if s != "EXPORTED"]
LOOKBACK_DAYS = 30  # default of `accounting_entries_lookback_days`
RESUME = "resume"  # the stream-state key of an incomplete run (see the module docstring)
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
    #: the queue pass (older entries) comes before the window pass, each sorted ascending: the SDK moves the
    #: bookmark with each entry. Not check_sorted: the queue pass starts below the previous run's bookmark;
    #: the order within each pass is checked by `_pass` instead.
    is_sorted = True
    check_sorted = False
    schema = th.PropertiesList(  # AccountingEntryV1
        req("id", String),
        COMPANY_ID_IN_BODY,
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

    def _resume_point(self, context: t.Any) -> tuple[str | None, EntryPosition]:
        """(window start, position): those of the interrupted run the state describes, or a new run's."""
        state = self.get_context_state(context)
        resume = state.get(RESUME)
        if resume is None:
            return self._window_start(context), EntryPosition()
        where = f"the {RESUME} of stream {self.name}"
        if not isinstance(resume, dict):
            msg = f"state: {where} is {resume!r}, not an object: remove it"
            raise TapError(msg)
        try:
            window_start = to_utc_iso(resume.get("windowStart"))
        except (TypeError, ValueError):
            msg = f"state: {where} has windowStart {resume.get('windowStart')!r}, not a date-time: remove it"
            raise TapError(msg) from None
        position = EntryPosition.from_state(resume, where)
        self.logger.info(
            "Continuing the accounting entries of an interrupted run (window from %s) after performedAt %s",
            window_start or "the beginning",
            position.moment or "(none yet)",
        )
        return window_start, position

    def get_records(self, context: t.Any) -> t.Iterable[dict]:
        state = self.get_context_state(context)
        window_start, position = self._resume_point(context)
        resume = state[RESUME] = {"windowStart": window_start, **position.to_state()}
        start = to_utc_iso(self.config.get("start_date"))
        # pass 1, the queue: only when there is a window to look outside of (not on the first run), and not
        # when the interrupted run was in the window already
        has_queue = window_start is not None and (start is None or window_start > start)
        if has_queue and (position.moment is None or position.moment < window_start):
            statuses = open_statuses(self.config.get("accounting_entries_open_statuses"))
            lower = position.request_from(start)
            queue = {"exportStatus": statuses, **({"performedAtStart": to_api_ms(lower)} if lower else {})}
            yield from self._pass(context, queue, position, resume, below=window_start)
        # pass 2, the window
        lower = position.request_from(window_start)
        yield from self._pass(context, {"performedAtStart": to_api_ms(lower)} if lower else {}, position, resume)
        # complete: the next run starts a new one from the bookmark
        del state[RESUME]
        bookmark = to_utc_iso(state.get("replication_key_value"))
        if window_start is not None and (bookmark is None or bookmark < window_start):
            state["replication_key"], state["replication_key_value"] = self.replication_key, window_start

    def _pass(
        self, context: t.Any, search: dict, position: EntryPosition, resume: dict, *, below: str | None = None
    ) -> t.Iterator[dict]:
        """The company's entries of one search (`below`: only those performed before it) that are not behind
        the position, in `performedAt` order; the position (in the state's `resume`) follows each emitted one."""
        previous: str | None = None
        for entry in self.request_records({**context, "filter": search}):
            moment = position.moment_of(entry)
            if moment is not None:
                if previous is not None and moment < previous:
                    msg = (
                        f"POST {self.path}: performedAt {moment} came after {previous} although the search asked "
                        "for performedAt ascending; resuming from a position would skip entries"
                    )
                    raise TapError(msg)
                previous = moment
            if (below is not None and moment is not None and moment >= below) or position.behind(entry):
                continue  # pass 2 delivers it / emitted already
            yield entry  # the SDK writes it (and moves the bookmark) before asking for the next one
            position.advance(entry)
            resume.update(position.to_state())

    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        yield from super().parse_response(response)
        # the page's entries have all been written and are behind the position: one STATE per page (the SDK
        # writes one only every STATE_MSG_FREQUENCY records and when the stream ends)
        self._write_state_message()

    def post_process(self, row: dict, context: t.Any = None) -> dict | None:
        for key in ("createdAt", "updatedAt", "performedAt", "settledAt", "bookkeepingDate"):
            if row.get(key):
                row[key] = to_utc_iso(row[key])
        money.add_entry_money(row)
        return super().post_process(row, context)

    def generate_child_contexts(self, record: dict, context: t.Any) -> t.Iterable[dict]:
        if self.child_streams and record.get("receiptIds"):  # child: `files`, when files_dir is set
            yield {
                COMPANY: context[COMPANY],
                "ownerStream": "accounting_entries",
                "ownerId": record["id"],
                "receiptIds": record["receiptIds"],
            }
