"""Candis streams: exports and their postings, reimbursement items, invoices, purchase requests."""

from __future__ import annotations

import datetime
import time
import typing as t

from singer_sdk import typing as th

from tap_candis import money
from tap_candis.client import CandisListStream, CandisStream, api_time, to_utc_iso
from tap_candis.pagination import UpdatedAtKeysetPaginator, UpdatedWindowPaginator, api_bound
from tap_candis.postings_reader import FAILED, SUCCESS, read_postings
from tap_candis.schema_objects import (
    CODE, DT, FILE, I, LOCALIZED, MONEY, REIMBURSEMENT_AMOUNT, BOOKING, SPLIT_POSTING,
    SUPPLIER_CONTACT, B, D, S, obj,
)
from tapkit.http import ProviderClientError, parsed_json

if t.TYPE_CHECKING:
    import requests

PENDING = "pending_exports"
NOTHING_TO_EXPORT = "EXPORTABLE_POSTINGS_NOT_FOUND"
CLOCK_SKEW = 300  # seconds the tap's clock may run ahead of Candis's without missing a change (invoices)

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
        th.Property("id", S, required=True, description="Export id (UUID)."),
        th.Property("postingsCount", I, description="Number of postings in the export."),
        th.Property("status", S, description="EXPORTING | EXPORTED | FAILED | PARTIALLY_EXPORTED"),
        th.Property("createdAt", DT, description="When the export was created (UTC)."),
    ).to_dict()

    # --- creating exports --------------------------------------------------------------------------------
    def _pending(self) -> list[str]:
        return self.stream_state.setdefault(PENDING, [])

    def _create_exports(self) -> None:
        timeout = float(self.config.get("export_wait_timeout", 300))
        for entity_type in self.config.get("export_entity_types") or ["DOCUMENT"]:
            try:
                created = self.request_json("POST", "/exports", json={"entityType": entity_type}, required=("id",))
            except ProviderClientError as exc:
                if exc.code == NOTHING_TO_EXPORT:
                    self.logger.info("Candis has nothing exportable of type %s; no export created", entity_type)
                    continue
                raise
            export_id = created["id"]
            self.logger.info("Created export %s (%s, %s postings)", export_id, entity_type, created.get("postingsCount"))
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
                    export_id, timeout,
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

        bookmark = to_utc_iso(self.get_starting_replication_key_value(context))
        first_page = True
        newest_first = False
        for export in self._pages(context):
            if isinstance(export, tuple):  # page boundary marker: (first_created, last_created)
                if first_page:
                    newest_first = export[0] >= export[1]
                    first_page = False
                continue
            created = to_utc_iso(export["createdAt"])
            if bookmark and created <= bookmark:
                if newest_first:
                    break
                continue
            if export["id"] not in emitted:
                yield from self._emit(export, emitted)

    def _pages(self, context: t.Any) -> t.Iterator[dict | tuple[str, str]]:
        """Records of the list, each page preceded by (first createdAt, last createdAt) to detect the order."""
        yield from self.request_records(context)

    def parse_response(self, response: requests.Response) -> t.Iterable[t.Any]:
        items = parsed_json(response).get(self.records_key) or []
        if items:
            yield (to_utc_iso(items[0]["createdAt"]), to_utc_iso(items[-1]["createdAt"]))
        yield from items

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
        return row

    def generate_child_contexts(self, record: dict, context: t.Any) -> t.Iterable[dict]:
        if record.get("status") != "EXPORTING":
            yield {"exportId": record["id"]}


class _ExportChild(CandisStream):
    parent_stream_type = ExportsStream
    state_partitioning_keys: t.ClassVar[list[str]] = []  # no per-export state: it would grow forever
    path = "/exports/{exportId}/postings"

    @property
    def emit_activate_version_messages(self) -> bool:
        return False  # one sync per export: a new table version each time would delete the other exports' rows


class PostingsStream(_ExportChild):
    """Successful postings of each finished export (`successfulPostings`), with `exportId` added."""

    name = "postings"
    primary_keys = ("id",)
    schema = th.PropertiesList(
        th.Property("id", S, required=True, description="Posting id."),
        th.Property("exportId", S, description="Added by the tap: the export this posting came in."),
        th.Property("entityGuid", S),
        th.Property("type", S, description="DOCUMENT | CARD_TRANSACTION | CARD_SETTLEMENT | REIMBURSEMENT_ITEM"),
        th.Property("status", S),
        th.Property("amount", MONEY),
        th.Property("invoiceId", S),
        th.Property("invoiceDate", S),
        th.Property("url", S, description="Link to the document in the Candis archive."),
        th.Property("files", th.ArrayType(FILE)),
        th.Property("splitPostings", th.ArrayType(SPLIT_POSTING)),
        # DOCUMENT and card variants
        th.Property("contact", SUPPLIER_CONTACT),
        th.Property("purchaseOrder", obj(th.Property("orderNumber", S))),
        th.Property("accountingArea", obj(th.Property("name", S), th.Property("description", S))),
        th.Property("deliveryDate", S),
        th.Property("dueDate", S),
        th.Property("invoiceFormat", S, description="REGULAR | XRECHNUNG | ZUGFERD"),
        th.Property("paymentCondition", obj(
            th.Property("name", S), th.Property("discountPercentage", D), th.Property("discountPaymentDate", S))),
        th.Property("documentType", S, description="Free text, often German (e.g. Eingangsrechnung)."),
        th.Property("creditCardSettings", obj(th.Property("bookingAccount", S), th.Property("transitAccount", S))),
        th.Property("payment", obj(th.Property("method", S), th.Property("paidAt", S))),
        # REIMBURSEMENT_ITEM variant
        th.Property("reason", S),
        th.Property("reimbursementType", S),
        th.Property("employee", obj(th.Property("name", S), th.Property("accountsPayableNumber", S))),
        th.Property("reimbursementDate", S),
        th.Property("reimbursementCase", obj(th.Property("id", S), th.Property("title", S))),
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
        return row

    def generate_child_contexts(self, record: dict, context: t.Any) -> t.Iterable[dict]:
        if self._tap.stream_wanted("files") and record.get("files"):
            yield {"exportId": record["exportId"], "ownerId": record["id"], "files": record["files"]}


class FailedPostingsStream(_ExportChild):
    """`failedPostings` of each finished export: entities Candis could not export, with the reason."""

    name = "failed_postings"
    primary_keys = ("exportId", "id")
    schema = th.PropertiesList(
        th.Property("exportId", S, required=True, description="Added by the tap."),
        th.Property("id", S, required=True),
        th.Property("entityId", S),
        th.Property("invoiceId", S),
        th.Property("errorCode", S, description="e.g. EXPORTABLE_ENTITY_NOT_FOUND"),
    ).to_dict()

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
        return row


class KeysetStream(UpdatedAtStream):
    """Sorted UPDATED_AT ascending and keyset-paged on `updatedAtFrom` (see pagination.py)."""

    status_setting: t.ClassVar[str]
    default_statuses: t.ClassVar[list[str] | None] = None

    def get_new_paginator(self) -> UpdatedAtKeysetPaginator:
        return UpdatedAtKeysetPaginator(self.get_starting_replication_key_value(self.context), self.records_key)

    def get_url_params(self, context: t.Any, next_page_token: t.Any) -> dict[str, t.Any]:
        token = next_page_token or {}
        params: dict[str, t.Any] = {
            "sortField": "UPDATED_AT", "sortDirection": "ASC", "offset": token.get("offset", 0), "limit": 50,
        }
        statuses = self.config.get(self.status_setting) or self.default_statuses
        if statuses:
            params["status"] = ",".join(statuses)
        if token.get("from"):
            params["updatedAtFrom"] = api_time(token["from"])
        return params


class ReimbursementItemsStream(KeysetStream):
    """`GET /reimbursement-items` (beta). Without a status filter Candis returns only EXPORTED items."""

    name = "reimbursement_items"
    path = "/reimbursement-items"
    records_key = "reimbursementItems"
    status_setting = "reimbursement_item_statuses"
    default_statuses: t.ClassVar[list[str] | None] = ["APPROVED", "EXPORTED"]
    schema = th.PropertiesList(
        th.Property("id", S, required=True),
        th.Property("type", S, description="GENERAL_EXPENSE | HOSPITALITY_EXPENSE | PER_DIEM | MILEAGE"),
        th.Property("status", S, description="APPROVED | EXPORTED"),
        th.Property("createdAt", DT),
        th.Property("updatedAt", DT, description="Last change (UTC); the replication key."),
        th.Property("title", S),
        th.Property("invoiceNumber", S),
        th.Property("expenseDate", S),
        th.Property("totalAmount", REIMBURSEMENT_AMOUNT),
        th.Property("reimbursementCase", obj(
            th.Property("id", S), th.Property("title", S), th.Property("submittedForReviewAt", S))),
        th.Property("contact", obj(
            th.Property("name", S), th.Property("accountsPayableNumber", S),
            th.Property("paymentInfo", obj(
                th.Property("iban", S), th.Property("swiftCode", S), th.Property("bankAccountNumber", S),
                th.Property("accountHolder", S))))),
        th.Property("bookings", th.ArrayType(BOOKING)),
        # HOSPITALITY_EXPENSE
        th.Property("location", S),
        th.Property("internalGuests", th.ArrayType(S)),
        th.Property("externalGuests", th.ArrayType(S)),
        th.Property("tipAmount", REIMBURSEMENT_AMOUNT),
        th.Property("receiptAmount", REIMBURSEMENT_AMOUNT),
        # PER_DIEM
        th.Property("segments", th.ArrayType(obj(
            th.Property("startAt", S), th.Property("endAt", S),
            th.Property("location", obj(
                th.Property("region", LOCALIZED), th.Property("countryIsoCode", S), th.Property("country", LOCALIZED),
                th.Property("city", LOCALIZED)))))),
        th.Property("days", th.ArrayType(obj(
            th.Property("date", S), th.Property("numberOfMinutes", I),
            th.Property("dayRate", REIMBURSEMENT_AMOUNT), th.Property("reimbursableRate", REIMBURSEMENT_AMOUNT),
            th.Property("providedBreakfast", B), th.Property("providedLunch", B), th.Property("providedDinner", B)))),
        # MILEAGE
        th.Property("locations", th.ArrayType(LOCALIZED)),
        th.Property("applicableRate", REIMBURSEMENT_AMOUNT),
        th.Property("distanceOverride", obj(
            th.Property("enabled", B), th.Property("distanceInKm", D), th.Property("reason", S))),
        th.Property("vehicleType", S, description="CAR | MOTORBIKE"),
        th.Property("calculatedDistanceInKm", D),
        th.Property("isRoundTrip", B),
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
        th.Property("id", S, required=True),
        th.Property("status", S, description="APPROVING | APPROVED | REJECTED | FULFILLED | PARTIALLY_FULFILLED | CANCELLED"),
        th.Property("createdAt", DT),
        th.Property("updatedAt", DT, description="Last change (UTC); the replication key."),
        th.Property("supplier", obj(
            th.Property("name", S), th.Property("accountPayableNumber", S), th.Property("accountReceivableNumber", S))),
        th.Property("title", S),
        th.Property("description", S),
        th.Property("requestNumber", S),
        th.Property("grossAmount", MONEY),
        th.Property("netAmount", MONEY),
        th.Property("outstandingNetAmount", MONEY),
        th.Property("deliveryDate", S),
        th.Property("notes", S),
        th.Property("costCenter", CODE),
        th.Property("costObject", CODE),
        th.Property("generalLedgerAccount", CODE),
        th.Property("extraCostInfo", CODE),
        th.Property("customCategory", obj(th.Property("id", S), th.Property("value", S))),
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
        th.Property("id", S, required=True),
        th.Property("organizationId", S),
        th.Property("status", S, description="APPROVED | EXPORTED"),
        th.Property("createdAt", DT),
        th.Property("updatedAt", DT, description="Last change (UTC); the replication key."),
        th.Property("requestedAt", S),
        th.Property("approvedAt", S),
        th.Property("amount", MONEY),
        th.Property("automaticPayment", B),
        th.Property("bankAccount", obj(th.Property("iban", S), th.Property("swiftCode", S))),
        th.Property("category", obj(th.Property("documentType", S))),
        th.Property("contact", obj(
            th.Property("name", S), th.Property("accountPayableNumber", S), th.Property("accountReceivableNumber", S))),
        th.Property("deliveryDate", S),
        th.Property("invoiceDate", S),
        th.Property("invoiceId", S),
        th.Property("payment", obj(th.Property("method", S), th.Property("paidAt", S))),
        th.Property("purchaseOrderNumber", S),
        th.Property("archiveUrl", S),
        th.Property("bookings", th.ArrayType(BOOKING)),
    ).to_dict()

    def get_new_paginator(self) -> UpdatedWindowPaginator:
        # Windows are read up to a few minutes before the run's start, the rest by the final "chase" window: a
        # record changed during the run gets Candis's "now", which is past that point even if the tap's clock
        # runs ahead of Candis's by up to CLOCK_SKEW (otherwise it could land in a window already read).
        upper = datetime.datetime.fromtimestamp(self._tap.run_started_at - CLOCK_SKEW, tz=datetime.timezone.utc)
        self._paginator = UpdatedWindowPaginator(
            self.get_starting_replication_key_value(self.context), upper, self.records_key
        )
        return self._paginator

    def get_url_params(self, context: t.Any, next_page_token: t.Any) -> dict[str, t.Any]:
        token = next_page_token or self._paginator.current_value
        return {
            "status": ",".join(self.config.get("invoice_statuses") or ["APPROVED", "EXPORTED"]),
            "updatedDateFrom": api_bound(token["start"]),
            "updatedDateTo": api_bound(token["end"]),
            "offset": token["offset"],
            "limit": 50,
        }

    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        return self._paginator.take(response)

    def add_minor_units(self, row: dict) -> None:
        money.add_money_minor_units(row, "amount")
        money.add_bookings_minor_units(row, (row.get("amount") or {}).get("currencyCode"))
