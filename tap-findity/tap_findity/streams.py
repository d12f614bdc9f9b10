"""Findity streams: unprocessed exports, their vouchers and voucher rows.

Keys (they hold in all eight `verificationListsType` formats):
* `exports`: `id` (the export id).
* `vouchers`: `id` — the voucher id Findity sends (32 hex; the id `updatestatus` confirms). A voucher without
  one gets a derived id (md5 of export id, position, owner and report) and `idDerived: true`.
* `voucher_rows`: (`voucherId`, `rowNumber`) — rows have no id of their own (aggregated rows have no
  expenseRecordId either), so the tap numbers them 1.. in package order within their voucher. An export's
  package is immutable, so a re-read (retry, a rerun before confirmation) yields the same keys.
"""

from __future__ import annotations

import functools
import hashlib
import typing as t

from singer_sdk import typing as th
from singer_sdk.helpers.conform import TypeConformanceLevel
from tapkit.http import ProviderClientError
from tapkit.money import to_minor
from tapkit.prefetch import Recording, read_body
from tapkit.schema import Boolean, DateTime, Decimal, Integer, String, opt, opts, req
from tapkit.streams import OncePerParentChild
from tapkit.timeutil import to_utc_iso

from tap_findity.client import FindityStream
from tap_findity.package_reader import read_vouchers
from tap_findity.schemas import ORGANIZATION_ID, ORGANIZATION_ID_IN_BODY, RECIPIENT


class ExportsStream(FindityStream):
    """`GET /exports` (the exports not yet processed), each completed by `GET /exports/{id}`.

    Full table over the unprocessed list: an export is extracted on every run until it is confirmed with
    `tap-findity-writeback ack`. `start_date` is not applied (skipping an export would keep its reports
    locked in TRANSFER).
    """

    name = "exports"
    path = "/exports"
    primary_keys = ("id",)
    replication_key = None
    schema = th.PropertiesList(
        req("id", String, "Export id (32 hex)."),
        ORGANIZATION_ID_IN_BODY,
        *opts(String, "externalOrganizationId", "organizationName"),
        opt("createdAt", DateTime, "When the admin's bulk send created the export (UTC)."),
        opt("processedAt", DateTime),
        opt("status", String, "UNPROCESSED while listed."),
        *opts(Integer, "numberOfVouchers", "numberOfReports"),
        opt("organizationRecipient", RECIPIENT, "The API recipient's configuration."),
    ).to_dict()

    def get_records(self, context: t.Any) -> t.Iterable[dict]:
        for summary in self.request_records(context):
            export_id = summary.get("id")
            if not export_id:
                msg = "GET /exports: an export without id"
                raise ValueError(msg)
            try:
                detail = self.request_json("GET", f"/exports/{export_id}", required=("id",))
            except ProviderClientError as exc:
                if exc.status != 404:
                    raise
                self.logger.warning("Export %s disappeared between list and read: %s", export_id, exc)
                continue
            record = {**summary, **detail}
            self._tap.manifest.begin(export_id, {"voucherIds": [], "derivedIds": False}, items="voucherIds")
            yield record  # the SDK syncs vouchers, rows and files of this export before resuming here

    def post_process(self, row: dict, context: t.Any = None) -> dict | None:
        for key in ("createdAt", "processedAt"):
            row[key] = to_utc_iso(row.get(key))
        return super().post_process(row, context)

    def generate_child_contexts(self, record: dict, context: t.Any) -> t.Iterable[dict]:
        recipient = record.get("organizationRecipient") or {}
        yield {"exportId": record["id"], "verificationListsType": recipient.get("verificationListsType")}


class _ExportChild(OncePerParentChild, FindityStream):
    """A child of `exports`, synced once per export."""


class _SchemaFieldsOnly(_ExportChild):
    """A high-volume stream whose records the tap builds from the parsed package, conformed here instead of
    by the SDK (`TYPE_CONFORMANCE_LEVEL = NONE`): the SDK's conformance checked every field of every record
    against its schema and was a third of the run's CPU, yet for these records it only drops properties the
    schema lacks (with one warning), which `schema_fields` does. Its other conversions cannot apply: values
    come from a JSON parser (no datetimes, bytes, NaN or Infinity), the only boolean (`idDerived`) is set by
    the tap, and the one nested object (`dimension`) allows additional properties and holds strings."""

    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    @functools.cached_property
    def _schema_fields(self) -> frozenset[str] | None:
        schema = self.effective_schema  # the catalog's schema when one was given, as the SDK would use
        return None if schema.get("additionalProperties") else frozenset(schema.get("properties") or {})

    def schema_fields(self, record: dict) -> dict:
        """The record without properties its schema lacks (the SDK's rule: warn once per set of names)."""
        fields = self._schema_fields
        if fields is None or fields.issuperset(record):
            return record
        unknown = tuple(k for k in record if k not in fields)
        if unknown not in self._unknown_warned:
            self._unknown_warned.add(unknown)
            self.logger.warning(
                "Properties %s were present in the '%s' stream but not found in catalog schema. Ignoring.",
                unknown,
                self.name,
            )
        return {k: v for k, v in record.items() if k in fields}

    @functools.cached_property
    def _unknown_warned(self) -> set[tuple[str, ...]]:
        return set()


def derived_voucher_id(export_id: str, position: int, voucher: dict) -> str:
    basis = f"{export_id}:{position}:{voucher.get('ownerId')}:{voucher.get('expenseReportId')}"
    return hashlib.md5(basis.encode()).hexdigest()  # noqa: S324 - an id, not security


ROW_AMOUNTS = ("amount", "taxAmount")  # the amounts of a voucher row; the tap adds each in exact minor units
#: Rows per child sync of vouchers (voucher_rows and files). Bounded, so memory stays flat however large the
#: export; large enough that the SDK's per-sync work is a rounding error.
CHILD_BATCH_ROWS = 1000


class VoucherEntry(t.NamedTuple):
    """What the children of vouchers need of one voucher."""

    id: str
    currency: str | None
    basis_url: str | None
    rows: list


class VouchersStream(_SchemaFieldsOnly):
    """The vouchers of each export's package (`GET /exports/{id}/export`), streamed; rows go to voucher_rows."""

    name = "vouchers"
    parent_stream_type = ExportsStream
    primary_keys = ("id",)
    # Alike other schemas line by line (one provider field a line): nothing to share.
    schema = th.PropertiesList(
        req(
            "id",
            String,
            "Voucher id (32 hex) as Findity sends it; derived by the tap only when absent (see idDerived).",
        ),
        ORGANIZATION_ID,
        req("exportId", String, "Added by the tap: the export of this voucher."),
        opt("idDerived", Boolean, "Added by the tap: true when Findity sent no voucher id."),
        opt("verificationListsType", String, "Added by the tap from the export's recipient."),
        opt("ownerId", String, "The user who owns the expenses."),
        *opts(String, "ownerName", "employeeNumber"),
        opt("expenseReportId", String, "The report (null when a voucher spans reports)."),
        opt("voucherDate", String),
        opt("currency", String, "ISO 4217 currency of the voucher's amounts."),
        opt("text", String),
        opt("basisUrl", String, "Basis of the voucher; append ?format=pdf for the PDF."),
        opt("voucherRowCount", Integer, "Added by the tap: rows of this voucher (in voucher_rows)."),
    ).to_dict()

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._current: tuple[VoucherEntry | None, bool] = (None, False)  # the voucher being processed; last?
        self._pending: list[VoucherEntry] = []
        self._pending_rows = 0
        self._batch: tuple[int, list[VoucherEntry]] = (0, [])
        self._batches = 0
        self._children_wanted = True

    def prefetch_key(self, context: t.Mapping[str, t.Any]) -> str:
        """The package's request depends on the export only (a listed export's context lacks the recipient's
        format, which its detail adds)."""
        return str(context["exportId"])

    def prefetch_reads(self, context: t.Any) -> Recording | None:
        """The export's package, read ahead on a worker (tapkit.prefetch; the URL `read_vouchers` asks)."""
        return read_body(self, f"{self.url_base}/exports/{context['exportId']}/export")

    def get_records(self, context: t.Any) -> t.Iterable[dict]:
        export_id = context["exportId"]
        self._pending, self._pending_rows = [], 0
        self._children_wanted = any(c.selected or c.has_selected_descendents for c in self.child_streams)
        ahead: tuple[dict, VoucherEntry] | None = (
            None  # one voucher of look-ahead: the export's last one closes its batch
        )
        for position, voucher in enumerate(read_vouchers(self, export_id)):
            rows = voucher.pop("voucherRows", None) or []
            if not voucher.get("id"):
                voucher["id"] = derived_voucher_id(export_id, position, voucher)
                voucher["idDerived"] = True
            else:
                voucher["id"] = str(voucher["id"])
                voucher["idDerived"] = False
            voucher["exportId"] = export_id
            voucher["verificationListsType"] = context.get("verificationListsType")
            voucher["voucherRowCount"] = len(rows)
            self._tap.manifest.note(export_id, voucher["id"], derivedIds=voucher["idDerived"])
            entry = VoucherEntry(voucher["id"], voucher.get("currency"), voucher.get("basisUrl"), rows)
            if ahead is not None:
                self._current = (ahead[1], False)
                yield ahead[0]
            ahead = (self.schema_fields(voucher), entry)
        if ahead is not None:
            self._current = (ahead[1], True)
            yield ahead[0]
        self._tap.manifest.complete(export_id)

    def generate_child_contexts(self, record: dict, context: t.Any) -> t.Iterable[dict]:
        """One child context per batch of vouchers (up to CHILD_BATCH_ROWS rows, never across exports), not
        one per voucher: the SDK runs a whole child sync per context (a log line, two metric lines, state
        bookkeeping), which for a voucher of four rows cost more than the rows. The batch itself stays here
        (`batch_of`), so contexts, logs and metrics hold only `exportId` and the batch number."""
        entry, last = self._current
        self._current = (None, False)
        if not self._children_wanted:
            return
        wanted = self.stream_maps[0].get_filter_result(record)  # the SDK skips the children of a filtered voucher
        if wanted and entry is not None:
            self._pending.append(entry)
            self._pending_rows += max(len(entry.rows), 1)
        if not self._pending or not (last or self._pending_rows >= CHILD_BATCH_ROWS):
            return
        self._batches += 1
        self._batch = (self._batches, self._pending)
        self._pending, self._pending_rows = [], 0
        child_context = {"exportId": context["exportId"], "batch": self._batches}
        if wanted:
            yield child_context
        else:  # the batch holds earlier vouchers, whose children the SDK would skip with this filtered one
            self._sync_children(child_context)
        self._batch = (0, [])

    def batch_of(self, context: t.Mapping[str, t.Any]) -> list[VoucherEntry]:
        """The vouchers of the child context being synced (for voucher_rows and files)."""
        number, entries = self._batch
        if context.get("batch") != number:
            msg = f"voucher batch {context.get('batch')} is not the one being synced ({number})"
            raise RuntimeError(msg)
        return entries


class _VoucherChild(_ExportChild):
    """A child of vouchers: each sync covers one batch of vouchers (VouchersStream.generate_child_contexts)."""

    parent_stream_type = VouchersStream

    def vouchers_in(self, context: t.Any) -> list[VoucherEntry]:
        parent = self._tap.streams[VouchersStream.name]
        return t.cast("VouchersStream", parent).batch_of(context)


class VoucherRowsStream(_VoucherChild, _SchemaFieldsOnly):
    """The rows of each voucher: debit, credit and VAT rows (accounting formats) or payment rows (*_PAID)."""

    name = "voucher_rows"
    primary_keys = ("voucherId", "rowNumber")
    # Alike other schemas line by line (one provider field a line): nothing to share.
    schema = th.PropertiesList(
        req("voucherId", String, "Added by the tap: the voucher's id."),
        req("rowNumber", Integer, "Added by the tap: 1-based position in the voucher."),
        ORGANIZATION_ID,
        opt("exportId", String, "Added by the tap."),
        opt("type", String, "DEBIT | CREDIT | VAT | PAYMENT (as sent)."),
        opt("account", String, "Account number."),
        opt("amount", Decimal, "Signed amount in major units (debit +, credit -), exact as sent."),
        opt("taxAmount", Decimal, "VAT booked (VAT rows) or included (payment rows), major units."),
        opt("taxPercent", Decimal),
        opt("salaryCode", String, "Salary type code (mileage, per diem), when any."),
        opt(
            "dimension",
            th.ObjectType(*opts(String, "costCenter", "project"), additional_properties=True),
            "Cost dimensions; a non-object value is kept under `value`.",
        ),
        opt("text", String),
        opt("expenseRecordId", String, "The expense (seed document); null on aggregated rows."),
        opt("expenseReportId", String),
        opt("currency", String, "ISO 4217; the voucher's currency when the row has none."),
        *(
            opt(f"{field}Minor", Integer, f"Added by the tap: `{field}` as exact integer minor units.")
            for field in ROW_AMOUNTS
        ),
    ).to_dict()

    def get_records(self, context: t.Any) -> t.Iterable[dict]:
        export_id = context["exportId"]
        for voucher in self.vouchers_in(context):
            voucher_id = voucher.id
            for number, row in enumerate(voucher.rows, start=1):
                if not isinstance(row, dict):
                    continue
                out = {**row, "voucherId": voucher_id, "rowNumber": number, "exportId": export_id}
                currency = out.setdefault("currency", voucher.currency)
                dimension = out.get("dimension")
                if dimension is not None and not isinstance(dimension, dict):
                    out["dimension"] = {"value": dimension}
                for field in ROW_AMOUNTS:
                    out[f"{field}Minor"] = self._minor(out.get(field), currency, voucher_id, number, field)
                yield self.schema_fields(out)

    def _minor(self, value: t.Any, currency: str | None, voucher_id: str, number: int, field: str) -> int | None:
        try:
            return to_minor(value, currency)
        except ValueError as exc:
            self.logger.warning(
                "voucher %s row %d %s: %s; its minor-unit field is left empty", voucher_id, number, field, exc
            )
            return None
