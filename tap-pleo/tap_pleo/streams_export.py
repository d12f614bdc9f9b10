"""Export API v3: export jobs and, per job, its items (`export_job_items`) and accounting payload
(`export_items`, readable only while the job is pending or in_progress).

`export_jobs` replication: every run lists the OPEN jobs (`statuses=pending&statuses=in_progress`), which
are always emitted with their children, then the finished ones (`statuses=completed&...`), which are
emitted when their `changedAt` is newer than the bookmark, or when the previous run saw them open (their
ids are kept in the stream state under `openJobIds`: at most a few, since Pleo allows one open job per
company). So a job that finishes after the tap read it is delivered with its final status, and a rerun
with nothing changed re-reads only the job list and the open jobs.
"""

from __future__ import annotations

import typing as t

from singer_sdk import typing as th
from tapkit.http import ProviderClientError
from tapkit.prefetch import Recording, read_pages
from tapkit.schema import Boolean, DateTime, Integer, String, obj, opt, opts, req, reqs
from tapkit.streams import OncePerParentChild
from tapkit.timeutil import to_utc_iso

from tap_pleo import money
from tap_pleo.client import COMPANY, PleoStream
from tap_pleo.schemas import ACCOUNT_REF, COMPANY_ID, COMPANY_ID_IN_BODY, EXPORT_FILE, LINE, NAMED, in_both_currencies

OPEN = ["pending", "in_progress"]
FINISHED = ["completed", "completed_with_errors", "failed"]
TIMESTAMPS = ("lastUpdatedAt", "createdAt", "startedAt", "completedAt", "expiredAt")
CLOSED = "EXPORT_JOB_STATUS_UNPROCESSABLE"
#: `LinksResponse`: each link is an object of strings
LINK = th.CustomType({"type": ["object", "null"], "additionalProperties": {"type": "string"}})


def changed_at(job: dict) -> str | None:
    values = [to_utc_iso(job.get(k)) for k in TIMESTAMPS if job.get(k)]
    return max(values) if values else None


class ExportJobsStream(PleoStream):
    """`GET /v3/export-jobs?company_id&statuses=…` (+ `POST /v3/export-job-events` `started` with
    `claim_jobs`)."""

    name = "export_jobs"
    path = "/v3/export-jobs"
    primary_keys = ("id",)
    replication_key = "changedAt"
    is_sorted = False
    schema = th.PropertiesList(
        req("id", String),
        COMPANY_ID_IN_BODY,
        req("status", String, "pending | in_progress | completed | completed_with_errors | failed"),
        req("createdAt", DateTime),
        req("expiresIn", Integer, "Seconds an open job lives after its last action."),
        req("isInteractive", Boolean),
        req("numberOfItems", Integer),
        req("vendorBasedBookkeeping", Boolean),
        opt("createdBy", String),
        *opts(DateTime, "startedAt", "completedAt", "expiredAt", "lastUpdatedAt"),
        opt("failureReason", String),
        opt("failureReasonType", String, "e.g. job_expired"),
        opt("changedAt", DateTime, "Added by the tap: the latest of the job's timestamps (UTC); the replication key."),
    ).to_dict()

    def get_url_params(self, context: t.Any, next_page_token: t.Any) -> dict[str, t.Any]:
        return {**super().get_url_params(context, next_page_token), "statuses": list(context["statuses"])}

    def _list(self, context: t.Any, statuses: list[str]) -> t.Iterator[dict]:
        """The company's jobs of `statuses` (named in the request context, where get_url_params reads them)."""
        yield from self.request_records({**context, "statuses": statuses})

    def get_records(self, context: t.Any) -> t.Iterable[dict]:
        bookmark = to_utc_iso(self.get_starting_replication_key_value(context))
        state = self.get_context_state(context)  # the company's
        tracked = set(state.get("openJobIds") or [])
        still_open: list[str] = []
        emitted: set[str] = set()
        self._listing = (bookmark, tracked, emitted)  # what `will_emit` judges a listed job by
        company = context[COMPANY]
        for job in list(self._list(context, OPEN)):  # a few jobs; listed first so claiming cannot shift pages
            job = self._claim(job)
            if job["status"] in OPEN:
                still_open.append(job["id"])
            yield from self._emit(company, job, emitted)
        for job in self._list(context, FINISHED):
            if job["id"] in emitted:
                continue
            if job["id"] in tracked or bookmark is None or (changed_at(job) or "") > bookmark:
                yield from self._emit(company, job, emitted)
        for job_id in tracked - emitted:  # seen open last time, absent now: read it directly
            try:
                job = self.request_json("GET", f"/v3/export-jobs/{job_id}", required=("data",))["data"]
            except ProviderClientError as exc:
                if exc.status != 404:
                    raise
                self.logger.warning("Export job %s no longer exists in Pleo", job_id)
                continue
            yield from self._emit(company, job, emitted)
        state["openJobIds"] = still_open

    def will_emit(self, record: dict, context: t.Any) -> bool:
        """Whether a listed job is emitted as listed (for the child reads started when its page arrives,
        tapkit.prefetch.ChildReads): an open job, unless it is claimed first (its status then changes); a
        finished one when get_records emits it (tracked, or changed since the bookmark, and not emitted open)."""
        if record.get("status") in OPEN:
            return not (self.config.get("claim_jobs") and record.get("status") == "pending")
        bookmark, tracked, emitted = getattr(self, "_listing", (None, set(), set()))
        job_id = record.get("id")
        if job_id in emitted:
            return False
        return job_id in tracked or bookmark is None or (changed_at(record) or "") > bookmark

    def _claim(self, job: dict) -> dict:
        if not self.config.get("claim_jobs") or job.get("status") != "pending":
            return job
        if not self._tap.stream_wanted("export_items") and not self._tap.stream_wanted("export_job_items"):
            return job
        try:
            self.send("POST", "/v3/export-job-events", json={"jobId": job["id"], "event": "started"})
        except ProviderClientError as exc:
            if exc.status != 422:
                raise
            self.logger.warning("Export job %s could not be claimed (%s); reading it as it is", job["id"], exc)
        else:
            self.logger.info("Claimed export job %s (event started: it is now in_progress)", job["id"])
        return self.request_json("GET", f"/v3/export-jobs/{job['id']}", required=("data",))["data"]

    def _emit(self, company: str, job: dict, emitted: set[str]) -> t.Iterator[dict]:
        emitted.add(job["id"])
        self._tap.manifest_for(company).begin(
            job["id"],
            {
                "jobId": job["id"],
                "companyId": company,
                "statusWhenRead": job.get("status"),
                "numberOfItems": job.get("numberOfItems"),
            },
            items="accountingEntryIds",
        )
        yield job  # the SDK syncs export_job_items / export_items for it before resuming here

    def post_process(self, row: dict, context: t.Any = None) -> dict | None:
        for key in TIMESTAMPS:
            if row.get(key):
                row[key] = to_utc_iso(row[key])
        row["changedAt"] = changed_at(row)
        return super().post_process(row, context)

    def generate_child_contexts(self, record: dict, context: t.Any) -> t.Iterable[dict]:
        yield {COMPANY: context[COMPANY], "exportJobId": record["id"], "jobStatus": record["status"]}


class _JobChild(OncePerParentChild, PleoStream):
    parent_stream_type = ExportJobsStream
    company_param = None
    primary_keys = ("exportJobId", "accountingEntryId")

    def prefetch_reads(self, context: t.Any) -> Recording | None:
        """The job's pages, read ahead on a worker (tapkit.prefetch) by this stream's own paginator."""
        return read_pages(self, context)


class ExportJobItemsStream(_JobChild):
    """`GET /v3/export-jobs/{id}/items`: per entry, its export status, externalId, externalUrl, exportedAt."""

    name = "export_job_items"
    path = "/v3/export-jobs/{exportJobId}/items"
    schema = th.PropertiesList(
        *reqs(String, "exportJobId", "accountingEntryId"),
        COMPANY_ID,
        req("status", String, "pending | in_progress | failed | successful | abandoned"),
        opt("exportedAt", DateTime),
        *opts(String, "externalId", "externalUrl", "failureReason", "failureReasonType"),
    ).to_dict()

    def post_process(self, row: dict, context: t.Any = None) -> dict | None:
        row["exportJobId"] = row.get("exportJobId") or context["exportJobId"]
        row["exportedAt"] = to_utc_iso(row.get("exportedAt"))
        return super().post_process(row, context)


class ExportItemsStream(_JobChild):
    """`GET /v3/export-items?job_id=`: the accounting payload of each entry of an OPEN job (`exportJobId`
    added). A job that closes (e.g. expires) while it is read is skipped with a warning and is not
    reported back by the write-back."""

    name = "export_items"
    path = "/v3/export-items"
    schema = th.PropertiesList(
        req("exportJobId", String, "Added by the tap: the job it was read from."),
        req("accountingEntryId", String),
        COMPANY_ID_IN_BODY,
        req("_links", obj(*opts(LINK, "api", "mobile", "web"))),
        req(
            "type",
            String,
            "ExportItemTypeV3: card_purchase | card_invoice | out_of_pocket | mileage | per_diem | invoice | refund "
            "| fee | ...",
        ),
        opt("subType", String, "ExportItemSubTypeV3, e.g. reimbursement_to_employee"),
        req("date", DateTime),
        opt("servicePeriod", obj(*reqs(DateTime, "from", "to"))),
        opt("note", String),
        req("amount", in_both_currencies("Amount of the entry")),
        opt("files", th.ArrayType(EXPORT_FILE)),
        opt("bookkeeping", obj(req("method", String, "none | journal | accounts_payable"))),
        opt("contraAccount", ACCOUNT_REF),
        req(
            "additionalInformation",
            obj(
                req("reconciliationId", String),
                *opts(th.ArrayType(String), "attendees", "reconciledEntries"),
                opt(
                    "invoiceInformation",
                    obj(
                        req("invoiceNumber", String),
                        req("invoiceDate", DateTime),
                        *opts(DateTime, "dueDate", "paymentDate"),
                        req("status", String, "InvoiceInformationStatusV3"),
                        opt(
                            "supplierBankAccount",
                            obj(
                                *reqs(String, "bankName", "country"),
                                *opts(String, "accountNumber", "bankCode", "bic", "iban"),
                            ),
                        ),
                    ),
                ),
            ),
        ),
        opt("supplier", obj(*opts(String, "name", "code", "account", "categoryCode", "country", "taxIdentifier"))),
        opt(
            "vendor",
            obj(
                *reqs(String, "id", "name", "defaultCurrency"),
                *opts(String, "code", "country", "externalId", "registrationNumber", "taxRegistrationNumber"),
            ),
        ),
        *opts(NAMED, "team", "user"),
        req("accountingEntryLines", th.ArrayType(LINE)),
    ).to_dict()

    def get_url_params(self, context: t.Any, next_page_token: t.Any) -> dict[str, t.Any]:
        return {**super().get_url_params(context, next_page_token), "job_id": context["exportJobId"]}

    def prefetch_reads(self, context: t.Any) -> Recording | None:
        return super().prefetch_reads(context) if context.get("jobStatus") in OPEN else None

    def get_records(self, context: t.Any) -> t.Iterable[dict]:
        if context.get("jobStatus") not in OPEN:
            return
        manifest = self._tap.manifest_for(context[COMPANY])
        try:
            for item in self.request_records(context):
                if item.get("accountingEntryId"):
                    manifest.note(context["exportJobId"], item["accountingEntryId"])
                yield item
        except ProviderClientError as exc:
            if exc.code != CLOSED and exc.status != 422:
                raise
            manifest.abandon(context["exportJobId"])
            self.logger.warning(
                "Export job %s closed while its export items were read (%s); it will not be reported back",
                context["exportJobId"],
                exc,
            )
            return
        manifest.complete(context["exportJobId"])

    def post_process(self, row: dict, context: t.Any = None) -> dict | None:
        row["exportJobId"] = context["exportJobId"]
        row["date"] = to_utc_iso(row.get("date"))
        money.add_export_item_money(row)
        return super().post_process(row, context)

    def generate_child_contexts(self, record: dict, context: t.Any) -> t.Iterable[dict]:
        if self.config.get("files_dir") and record.get("files"):
            yield {
                COMPANY: context[COMPANY],
                "exportJobId": record["exportJobId"],
                "ownerId": record["accountingEntryId"],
                "files": record["files"],
            }
