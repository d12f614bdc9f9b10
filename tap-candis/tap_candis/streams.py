"""Candis streams: exports and their postings, reimbursement items, invoices, purchase requests."""

from __future__ import annotations

import datetime
import time
import typing as t

from singer_sdk import typing as th
from tapkit.http import ProviderClientError
from tapkit.prefetch import Recording, read_body
from tapkit.schema import Boolean, DateTime, Decimal, String, obj, opt, opts, req, reqs
from tapkit.streams import OncePerParentChild
from tapkit.timeutil import to_api_ms, to_utc_iso

from tap_candis import money
from tap_candis.client import CandisListStream, CandisStream
from tap_candis.pagination import (
    MAX_PAGE,
    ExportsPaginator,
    UpdatedAtKeysetPaginator,
    UpdatedWindowPaginator,
    api_bound,
)
from tap_candis.postings_reader import FAILED, SUCCESS, read_postings
from tap_candis.schemas import (
    CODE,
    FILE,
    INVOICE_BOOKING,
    LOCALIZED,
    MONEY,
    ORGANIZATION_ID,
    ORGANIZATION_ID_IN_BODY,
    PLACE,
    POSTING_CONTACT,
    RATE,
    REIMBURSEMENT_AMOUNT,
    REIMBURSEMENT_BOOKING,
    SPLIT_POSTING,
    amount_object,
)

PENDING = "pending_exports"
NOTHING_TO_EXPORT = "EXPORTABLE_POSTINGS_NOT_FOUND"
CLOCK_SKEW = 300  # seconds the tap's clock may run ahead of Candis's without missing a change (invoices)
#: the statuses `GET /invoices` and `GET /reimbursement-items` take, and the default of both status settings
APPROVED_OR_EXPORTED = ("APPROVED", "EXPORTED")
DEFAULT_ENTITY_TYPES = ("DOCUMENT",)  # what `create_export` exports unless `export_entity_types` says otherwise
EXPORT_WAIT_TIMEOUT = 300  # seconds


class ExportsStream(CandisListStream):
    """`GET /exports` (+ `POST /exports` when `create_export` is on). Incremental on `createdAt`.

    Exports still EXPORTING are emitted (status EXPORTING) but their postings are not read yet; their ids are
    kept in this stream's state under `pending_exports` and re-checked first on every run until they finish,
    so a newer export moving the `createdAt` bookmark never loses them.
    """

    name = "exports"
    path = "/exports"
    records_key = "exports"
    primary_keys = ("id",)
    replication_key = "createdAt"
    is_sorted = False  # the list is newest-first
    schema = th.PropertiesList(
        req("id", String, "Export id (UUID)."),
        ORGANIZATION_ID,
        req("postingsCount", Decimal, "Number of postings in the export (a JSON number, as the OpenAPI types it)."),
        req("status", String, "EXPORTING | EXPORTED | FAILED | PARTIALLY_EXPORTED"),
        req("createdAt", DateTime, "When the export was created (normalised to UTC by the tap)."),
    ).to_dict()

    # --- creating exports --------------------------------------------------------------------------------
    def _pending(self) -> list[str]:
        return self.stream_state.setdefault(PENDING, [])

    def _create_exports(self) -> None:
        timeout = float(self.config.get("export_wait_timeout", EXPORT_WAIT_TIMEOUT))
        for entity_type in self.config.get("export_entity_types") or DEFAULT_ENTITY_TYPES:
            try:
                created = self.request_json("POST", "/exports", json={"entityType": entity_type}, required=("id",))
            except ProviderClientError as exc:
                if exc.code == NOTHING_TO_EXPORT:
                    self.logger.info("Candis has nothing exportable of type %s; no export created", entity_type)
                    continue
                raise
            export_id = created["id"]
            self.logger.info(
                "Created export %s (%s, %s postings)", export_id, entity_type, created.get("postingsCount")
            )
            if export_id not in self._pending():
                self._pending().append(export_id)
            self._wait_until_done(export_id, timeout)

    def _wait_until_done(self, export_id: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pause = 0.5
        while True:
            export = self.request_json("GET", f"/exports/{export_id}", required=("status",))
            if export["status"] != "EXPORTING":
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.logger.warning(
                    "Export %s still EXPORTING after %.0f s; its postings will be delivered by a later run",
                    export_id,
                    timeout,
                )
                return
            time.sleep(min(pause, remaining))
            pause = min(pause * 1.5, 10.0)

    # --- reading ------------------------------------------------------------------------------------------
    def get_records(self, context: t.Any) -> t.Iterable[dict]:
        if self.config.get("create_export"):
            self._create_exports()
        emitted: set[str] = set()
        for export_id in list(self._pending()):
            try:
                export = self.request_json("GET", f"/exports/{export_id}", required=("id", "status"))
            except ProviderClientError as exc:
                if exc.status != 404:
                    raise
                self.logger.warning("Pending export %s no longer exists in Candis; dropping it", export_id)
                self._pending().remove(export_id)
                continue
            yield from self._emit(export, emitted)

        bookmark = self._bookmark(context)
        for export in self.request_records(context):  # (the paginator stops at the bookmark)
            if bookmark and to_utc_iso(export["createdAt"]) <= bookmark:
                continue
            if export["id"] not in emitted:
                yield from self._emit(export, emitted)

    def _bookmark(self, context: t.Any) -> str | None:
        return to_utc_iso(self.get_starting_replication_key_value(context))

    def get_new_paginator(self) -> ExportsPaginator:
        return ExportsPaginator(self._bookmark(self.context))

    def _emit(self, export: dict, emitted: set[str]) -> t.Iterator[dict]:
        export_id = export["id"]
        emitted.add(export_id)
        running = export["status"] == "EXPORTING"
        if running and export_id not in self._pending():
            self._pending().append(export_id)
            self.logger.info("Export %s is still EXPORTING; its postings follow in a later run", export_id)
        yield export  # the SDK syncs postings/failed_postings (children) for it before resuming here
        if not running and export_id in self._pending():
            self._pending().remove(export_id)

    def post_process(self, row: dict, context: t.Any = None) -> dict | None:
        row["createdAt"] = to_utc_iso(row.get("createdAt"))
        return super().post_process(row, context)

    def generate_child_contexts(self, record: dict, context: t.Any) -> t.Iterable[dict]:
        if record.get("status") != "EXPORTING":
            yield {"exportId": record["id"]}

    def will_emit(self, record: dict, context: t.Any) -> bool:
        """Whether a listed export is emitted (newer than the bookmark): its postings are read ahead
        (tapkit.prefetch.ChildReads), those of older exports on the list's last page are not."""
        bookmark = self._bookmark(context)
        return not bookmark or (to_utc_iso(record.get("createdAt")) or "") > bookmark


class _ExportChild(OncePerParentChild, CandisStream):
    parent_stream_type = ExportsStream
    path = "/exports/{exportId}/postings"

    def prefetch_reads(self, context: t.Any) -> Recording | None:
        """The export's postings body, read ahead on a worker (tapkit.prefetch; the URL `read_postings` asks)."""
        return read_body(self, f"{self.url_base}/exports/{context['exportId']}/postings")


class PostingsStream(_ExportChild):
    """Successful postings of each finished export (`successfulPostings`), with `exportId` added."""

    name = "postings"
    primary_keys = ("id",)
    # The OpenAPI's posting is a `oneOf` of three variants; fields of one variant only are null in the others.
    # Alike other schemas line by line (one provider field a line): nothing to share.
    schema = th.PropertiesList(
        req("id", String, "Posting id."),
        ORGANIZATION_ID,
        opt("exportId", String, "Added by the tap: the export this posting came in."),
        req("entityGuid", String),
        req("type", String, "DOCUMENT | CARD_TRANSACTION | CARD_SETTLEMENT | REIMBURSEMENT_ITEM"),
        req("status", String, "EXPORTED"),
        req("amount", MONEY),
        req("invoiceId", String),
        req("invoiceDate", DateTime),
        req("url", String, "Link to the document in the Candis archive."),
        req("files", th.ArrayType(FILE)),
        req("splitPostings", th.ArrayType(SPLIT_POSTING)),
        # DOCUMENT and card variants
        opt("contact", POSTING_CONTACT, "DOCUMENT and card postings (required there)."),
        opt("purchaseOrder", obj(req("orderNumber", String))),
        opt("accountingArea", obj(req("name", String), req("description", String))),
        opt("deliveryDate", DateTime),
        opt("invoiceFormat", String, "REGULAR | XRECHNUNG | ZUGFERD (DOCUMENT and card postings)."),
        opt("dueDate", DateTime),
        opt(
            "paymentCondition",
            obj(opt("name", String), opt("discountPercentage", Decimal), opt("discountPaymentDate", DateTime)),
        ),
        opt("documentType", String, "Free text, often German (e.g. Eingangsrechnung)."),
        # card variant (CARD_TRANSACTION, CARD_SETTLEMENT)
        opt("creditCardSettings", obj(opt("bookingAccount", String), opt("transitAccount", String))),
        opt(
            "payment", obj(opt("method", String, "CARD_TRANSACTION in the OpenAPI, or null."), opt("paidAt", DateTime))
        ),
        # REIMBURSEMENT_ITEM variant
        opt("reason", String),
        opt("reimbursementType", String, "GENERAL_EXPENSE | HOSPITALITY_EXPENSE | PER_DIEM | MILEAGE"),
        opt("employee", obj(req("name", String), opt("accountsPayableNumber", String))),
        opt("reimbursementDate", DateTime),
        opt("reimbursementCase", obj(req("id", String), req("title", String))),
    ).to_dict()

    def get_records(self, context: t.Any) -> t.Iterable[dict]:
        export_id = context["exportId"]
        failed_wanted = self._tap.stream_wanted("failed_postings")
        kinds = {SUCCESS, FAILED} if failed_wanted else {SUCCESS}
        failed: list[dict] = []
        for kind, item in read_postings(self, export_id, kinds):
            if kind == FAILED:
                failed.append(item)
            else:
                item["exportId"] = export_id
                yield item
        if failed_wanted:
            self._tap.failed_postings_cache[export_id] = failed

    def post_process(self, row: dict, context: t.Any = None) -> dict | None:
        money.add_posting_minor_units(row)
        return super().post_process(row, context)

    def generate_child_contexts(self, record: dict, context: t.Any) -> t.Iterable[dict]:
        if self._tap.stream_wanted("files") and record.get("files"):
            yield {"exportId": record["exportId"], "ownerId": record["id"], "files": record["files"]}


class FailedPostingsStream(_ExportChild):
    """`failedPostings` of each finished export: entities Candis could not export, with the reason."""

    name = "failed_postings"
    primary_keys = ("exportId", "id")
    schema = th.PropertiesList(
        req("exportId", String, "Added by the tap: the export this failed posting belongs to."),
        req("id", String),
        ORGANIZATION_ID,
        opt("entityId", String),
        req("errorCode", String, "e.g. EXPORTABLE_ENTITY_NOT_FOUND"),
    ).to_dict()

    def prefetch_reads(self, context: t.Any) -> Recording | None:
        # with postings selected, their read keeps the failed postings for this stream: no request of its own
        return None if self._tap.stream_wanted("postings") else super().prefetch_reads(context)

    def get_records(self, context: t.Any) -> t.Iterable[dict]:
        export_id = context["exportId"]
        cached = self._tap.failed_postings_cache.pop(export_id, None)
        items = cached if cached is not None else (i for _, i in read_postings(self, export_id, {FAILED}))
        for item in items:
            yield {**item, "exportId": export_id}


class UpdatedAtStream(CandisStream):
    """Incremental on `updatedAt` (normalised to UTC); the subclass adds its exact minor units."""

    primary_keys = ("id",)
    replication_key = "updatedAt"
    is_sorted = True

    def add_minor_units(self, row: dict) -> None:
        raise NotImplementedError

    def post_process(self, row: dict, context: t.Any = None) -> dict | None:
        row["updatedAt"] = to_utc_iso(row.get("updatedAt"))
        row["createdAt"] = to_utc_iso(row.get("createdAt"))
        self.add_minor_units(row)
        return super().post_process(row, context)


class KeysetStream(UpdatedAtStream):
    """Sorted UPDATED_AT ascending and keyset-paged on `updatedAtFrom` (see pagination.py)."""

    status_setting: t.ClassVar[str]
    default_statuses: t.ClassVar[tuple[str, ...]] = ()

    def get_new_paginator(self) -> UpdatedAtKeysetPaginator:
        return UpdatedAtKeysetPaginator(self.get_starting_replication_key_value(self.context), self.records_key)

    def get_url_params(self, context: t.Any, next_page_token: t.Any) -> dict[str, t.Any]:
        token = next_page_token or {}
        params: dict[str, t.Any] = {
            "sortField": "UPDATED_AT",
            "sortDirection": "ASC",
            "offset": token.get("offset", 0),
            "limit": MAX_PAGE,
        }
        statuses = self.config.get(self.status_setting) or self.default_statuses
        if statuses:
            params["status"] = ",".join(statuses)
        if token.get("from"):
            params["updatedAtFrom"] = to_api_ms(token["from"])
        return params


class ReimbursementItemsStream(KeysetStream):
    """`GET /reimbursement-items` (beta). Without a status filter Candis returns only EXPORTED items."""

    name = "reimbursement_items"
    path = "/reimbursement-items"
    records_key = "reimbursementItems"
    status_setting = "reimbursement_item_statuses"
    default_statuses = APPROVED_OR_EXPORTED
    # The OpenAPI's item is a `oneOf` on `type`; fields of one type only are null for the others.
    schema = th.PropertiesList(
        req("id", String),
        ORGANIZATION_ID,
        req("type", String, "GENERAL_EXPENSE | HOSPITALITY_EXPENSE | PER_DIEM | MILEAGE"),
        req("status", String, "APPROVED | EXPORTED"),
        req("createdAt", DateTime, "Normalised to UTC by the tap."),
        req("updatedAt", DateTime, "Last change (normalised to UTC by the tap); the replication key."),
        *reqs(String, "title", "invoiceNumber", "expenseDate"),
        req("totalAmount", REIMBURSEMENT_AMOUNT),
        req("reimbursementCase", obj(req("id", String), req("title", String), req("submittedForReviewAt", String))),
        req(
            "contact",
            obj(
                *opts(String, "name", "accountsPayableNumber"),
                opt(
                    "paymentInfo",
                    obj(
                        req("iban", String),
                        *opts(String, "swiftCode", "bankAccountNumber", "accountHolder"),
                    ),
                ),
            ),
        ),
        req("bookings", th.ArrayType(REIMBURSEMENT_BOOKING)),
        # HOSPITALITY_EXPENSE
        opt("location", String),
        *opts(th.ArrayType(String), "internalGuests", "externalGuests"),
        opt("tipAmount", REIMBURSEMENT_AMOUNT),
        opt("receiptAmount", REIMBURSEMENT_AMOUNT, "HOSPITALITY_EXPENSE (required there)."),
        # PER_DIEM
        opt("segments", th.ArrayType(obj(req("startAt", String), req("endAt", String), req("location", PLACE)))),
        opt(
            "days",
            th.ArrayType(
                obj(
                    req("date", String),
                    req("numberOfMinutes", Decimal),
                    *reqs(RATE, "dayRate", "reimbursableRate"),
                    req("location", PLACE),
                    *reqs(Boolean, "providedBreakfast", "providedLunch", "providedDinner"),
                    opt("providedAccommodation", Boolean),
                )
            ),
        ),
        # MILEAGE
        opt("locations", th.ArrayType(LOCALIZED)),
        opt("applicableRate", RATE, "Rate per km (major units, as sent)."),
        opt("distanceOverride", obj(opt("enabled", Boolean), opt("distanceInKm", Decimal), opt("reason", String))),
        opt("vehicleType", String, "CAR | MOTORBIKE"),
        opt("calculatedDistanceInKm", Decimal),
        opt("isRoundTrip", Boolean),
    ).to_dict()

    def add_minor_units(self, row: dict) -> None:
        money.add_reimbursement_minor_units(row)


class PurchaseRequestsStream(KeysetStream):
    """`GET /purchase-requests` (beta); all statuses unless `purchase_request_statuses` is set."""

    name = "purchase_requests"
    path = "/purchase-requests"
    records_key = "purchaseRequests"
    status_setting = "purchase_request_statuses"
    schema = th.PropertiesList(
        req("id", String),
        ORGANIZATION_ID,
        req("status", String, "APPROVING | APPROVED | REJECTED | FULFILLED | PARTIALLY_FULFILLED | CANCELLED"),
        req("createdAt", DateTime, "Normalised to UTC by the tap."),
        req("updatedAt", DateTime, "Last change (normalised to UTC by the tap); the replication key."),
        opt(
            "supplier",
            obj(req("name", String), opt("accountPayableNumber", String), opt("accountReceivableNumber", String)),
        ),
        *opts(String, "title", "description", "requestNumber"),
        *opts(MONEY, "grossAmount", "netAmount", "outstandingNetAmount"),
        *opts(String, "deliveryDate", "notes"),
        *opts(CODE, "costCenter", "costObject", "generalLedgerAccount", "extraCostInfo"),
        opt("customCategory", obj(req("id", String), req("value", String))),
    ).to_dict()

    def add_minor_units(self, row: dict) -> None:
        money.add_money_minor_units(row, "grossAmount", "netAmount", "outstandingNetAmount")


class InvoicesStream(UpdatedAtStream):
    """`GET /invoices`: no sort parameter, so it is read in `updatedDateFrom/To` windows (see pagination.py)."""

    name = "invoices"
    path = "/invoices"
    records_key = "invoices"
    is_sorted = True  # each window is emitted sorted by the tap, windows ascend
    schema = th.PropertiesList(
        req("id", String),
        ORGANIZATION_ID_IN_BODY,
        req("status", String, "APPROVED | EXPORTED"),
        req("createdAt", DateTime, "Normalised to UTC by the tap."),
        opt("updatedAt", DateTime, "Last change (normalised to UTC by the tap); the replication key."),
        *opts(String, "requestedAt", "approvedAt"),
        opt("amount", amount_object(required=False)),
        opt("automaticPayment", Boolean),
        opt("bankAccount", obj(opt("iban", String), opt("swiftCode", String))),
        opt("bookings", th.ArrayType(INVOICE_BOOKING)),
        opt("category", obj(opt("documentType", String))),
        opt(
            "contact",
            obj(opt("name", String), opt("accountPayableNumber", String), opt("accountReceivableNumber", String)),
        ),
        *opts(String, "deliveryDate", "invoiceDate", "invoiceId"),
        opt(
            "payment",
            obj(opt("method", String, "CARD_TRANSACTION, or null (paid another way)."), opt("paidAt", DateTime)),
        ),
        *opts(String, "purchaseOrderNumber", "archiveUrl"),
    ).to_dict()

    def get_new_paginator(self) -> UpdatedWindowPaginator:
        # Windows are read up to a few minutes before the run's start, the rest by the final "chase" window: a
        # record changed during the run gets Candis's "now", which is past that point even if the tap's clock
        # runs ahead of Candis's by up to CLOCK_SKEW (otherwise it could land in a window already read).
        upper = datetime.datetime.fromtimestamp(self._tap.run_started_at - CLOCK_SKEW, tz=datetime.UTC)
        return UpdatedWindowPaginator(self.get_starting_replication_key_value(self.context), upper, self.records_key)

    def request_records(self, context: t.Any) -> t.Iterable[dict]:
        """The SDK's page loop, except that each response goes to the paginator, which says what to emit: a
        window's records only once the whole window was read (the SDK's loop parses a page before its
        paginator sees it, so it has no place for a paginator that decides what is emitted)."""
        paginator = self.get_new_paginator()
        send = self.request_decorator(self._request)
        with self.get_http_request_counter() as requests_sent:
            requests_sent.with_context(context)
            while not paginator.finished:
                response = send(self._prepare_request(context=context, page=paginator), context)
                requests_sent.increment()
                yield from paginator.take(response)
                paginator.advance(response)

    def get_url_params(self, context: t.Any, next_page_token: t.Any) -> dict[str, t.Any]:
        return {
            "status": ",".join(self.config.get("invoice_statuses") or APPROVED_OR_EXPORTED),
            "updatedDateFrom": api_bound(next_page_token["start"]),
            "updatedDateTo": api_bound(next_page_token["end"]),
            "offset": next_page_token["offset"],
            "limit": MAX_PAGE,
        }

    def add_minor_units(self, row: dict) -> None:
        money.add_money_minor_units(row, "amount")
        money.add_bookings_minor_units(row, (row.get("amount") or {}).get("currencyCode"))
