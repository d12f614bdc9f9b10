"""`tap-pleo-ack` (Meltano: `tap-pleo:ack`): close Pleo's export workflow for what the warehouse stored.

Run by Meltano AFTER the loader (`meltano run tap-pleo target-duckdb pleo-writeback:ack`), which only happens
when the tap and the target both succeeded. It reads the run manifest the tap wrote at the end of its run
(the open jobs whose export items were read completely, with their accountingEntryIds) and, per job not yet
acknowledged:

1. reads the job; a job already finished is only reported (an expired job with a clear message);
2. sends `started` if the job is still pending (claim_jobs was off);
3. `PUT /v3/export-jobs/{id}/items` in batches of at most 100: every loaded entry `successful` with
   `exportedAt` and `externalId = <external_id_prefix>/<jobId>/<accountingEntryId>` (the warehouse table and
   primary key of the row), and every item of the job the tap did not load `failed` (`unexpected_failure`);
4. sends `completed`, or `completed_with_errors` / `failed` with a reason (`validation_failure`) when items
   could not be loaded.

The failure reasons are values of Pleo's published enums. An item the run did not load is
`ExportJobItemFailureReasonType.unexpected_failure`: the item was in the job, so a complete run should have
loaded it, and none of the enum's specific causes (receipts, accounting-system errors, unknown account /
vendor / tax code / tag) applies. The job event carries `ExportJobFailureReasonType.validation_failure`,
the closest value that says the job's result was checked and found incomplete (that enum has no
"unexpected" value, and the others name authentication, rate limits, reachability or configuration).

With several companies (`company_ids`) each company has its own manifest, and the command goes through them
in turn, closing each company's jobs. Each job is marked acknowledged in the manifest once done, so a second
run does nothing; an interrupted run repeats the (idempotent) item updates. A 422 because the job expired
meanwhile is reported and the run goes on with the next job. Every step is printed; settings, output
(`--json`) and errors are tapkit.commands'.

`tap-pleo-authorize` (Meltano: `tap-pleo:authorize`) authorizes the OAuth client for one company in the
browser: tapkit.authorize's flow (loopback redirect, `state`, PKCE S256 as Pleo requires, the code exchanged
with HTTP Basic client auth through the tap's request policy), at `authorize_url` (inferred default
https://auth.pleo.io/oauth/authorize). The company is checked with the new access token (`GET /v1/companies`):
the configured `company_id` must be one the authorization sees, or, unset, the only one. Its refresh token
then starts the company's entry in the token store, where the tap finds it when `refresh_token` is unset.
"""

from __future__ import annotations

import typing as t

from tapkit.authorize import AuthorizationFlow, Tenant, add_authorize_command, authorizing
from tapkit.commands import CommandLine, Context, arg
from tapkit.errors import TapError
from tapkit.http import ProviderClientError
from tapkit.timeutil import utc_now_seconds

from tap_pleo.auth import AUTHORIZE_URL, SCOPES, TENANT_SETTING, TOKEN_URL
from tap_pleo.client import MAX_PAGE
from tap_pleo.tap import TapPleo

BATCH = 100
ITEM_NOT_LOADED = "unexpected_failure"  # ExportJobItemFailureReasonType
JOB_INCOMPLETE = "validation_failure"  # ExportJobFailureReasonType
FINISHED = ("completed", "completed_with_errors", "failed")

cli = CommandLine(TapPleo, "tap-pleo-ack", "Close Pleo's export jobs for what the warehouse stored.", subcommands=False)
main = cli.main


@cli.command(
    "ack",
    help="report the items of the jobs the last complete run read and close the jobs",
    args=(arg("--dry-run", action="store_true", help="only say what would be reported"),),
)
def ack(ctx: Context) -> None:
    Acknowledger(ctx).run()


def company_of(tap: t.Any) -> Tenant:
    """The company this authorization is for: the configured `company_id`, which the new access token must see,
    or the only company it sees."""
    body = tap.streams["companies"].request_json("GET", "/v1/companies", params={"limit": MAX_PAGE}, required=("data",))
    companies = {str(c.get("id")): str(c.get("name") or "") for c in body["data"]}
    configured = tap.config.get(TENANT_SETTING)
    if configured:
        if configured not in companies:
            msg = (
                f"the authorization does not see company_id {configured} (it sees {len(companies)} companies): "
                "nothing was stored; authorize again with an account of that company, or change company_id"
            )
            raise TapError(msg)
        return Tenant(configured, companies[configured])
    if len(companies) != 1:
        names = ", ".join(f"{cid} ({name})" for cid, name in list(companies.items())[:10]) or "none"
        msg = f"set company_id and authorize again: the authorization sees {len(companies)} companies: {names}"
        raise TapError(msg)
    ((company_id, name),) = companies.items()
    return Tenant(company_id, name)


authorize_cli = CommandLine(
    authorizing(TapPleo),
    "tap-pleo-authorize",
    "Authorize tap-pleo for a Pleo company (OAuth with PKCE in the browser) and store its refresh token.",
    subcommands=False,
)
add_authorize_command(authorize_cli, AuthorizationFlow(TOKEN_URL, AUTHORIZE_URL, SCOPES, TENANT_SETTING, company_of))
authorize_main = authorize_cli.main


class Acknowledger:
    def __init__(self, ctx: Context) -> None:
        self.tap, self.out = ctx.tap, ctx.out
        self.http = ctx.stream("export_jobs")
        self.dry_run = bool(ctx.args.dry_run)
        self.prefix = str(self.tap.config.get("external_id_prefix") or "tap_pleo.export_items").rstrip("/")
        self.url_template = self.tap.config.get("external_url_template")

    def job(self, job_id: str) -> dict:
        return self.http.request_json("GET", f"/v3/export-jobs/{job_id}", required=("data",))["data"]

    def run(self) -> None:
        for company in self.tap.company_ids:  # each company's manifest: the jobs its last complete run read
            manifest = self.tap.manifest_for(company)
            pending = manifest.unacknowledged()
            if not pending:
                self.out.note(f"nothing to acknowledge for company {company} ({manifest.path})")
            for job_id, payload in pending.items():
                result = self.acknowledge(job_id, payload)
                if result is not None and not self.dry_run:
                    manifest.mark_acked(job_id, result)

    def acknowledge(self, job_id: str, payload: dict) -> dict | None:
        loaded: list[str] = list(payload.get("accountingEntryIds") or [])
        job = self.job(job_id)
        if job["status"] in FINISHED:
            return self.already_finished(job)
        if self.dry_run:
            self.out.result(
                f"job {job_id}: would report {len(loaded)} item(s) successful and close it",
                jobId=job_id,
                status=job["status"],
                dryRun=True,
                successful=len(loaded),
            )
            return None
        if job["status"] == "pending":
            self.event(job_id, "started")
            self.out.note(f"job {job_id}: started")
        not_loaded = [i for i in self.job_item_ids(job_id) if i not in set(loaded)]
        now = utc_now_seconds()
        updates = [self.success(job_id, entry_id, now) for entry_id in loaded]
        updates += [
            {
                "accountingEntryId": e,
                "status": "failed",
                "failureReasonType": ITEM_NOT_LOADED,
                "failureReason": "The item was not loaded into the warehouse by this run",
            }
            for e in not_loaded
        ]
        ok, errors = self.put_items(job_id, updates)
        if ok is None:  # the job closed meanwhile (expired)
            return self.finished_or_retry(job_id)
        succeeded = sum(1 for u in ok if u.get("status") == "successful")
        failed = len(updates) - succeeded
        if failed == 0:
            event, reason = "completed", None
        elif succeeded:
            event, reason = (
                "completed_with_errors",
                f"{failed} of {len(updates)} item(s) could not be loaded or reported",
            )
        else:
            event, reason = "failed", "No item of the job could be loaded into the warehouse"
        extra = {"failureReason": reason, "failureReasonType": JOB_INCOMPLETE} if reason else {}
        if not self.event(job_id, event, **extra):
            return self.finished_or_retry(job_id)
        for error in errors[:5]:
            self.out.note(
                f"job {job_id}: item {error.get('accountingEntryId')} refused: {error.get('type')}: {error.get('message')}"
            )
        result = {"event": event, "successful": succeeded, "failed": failed}
        self.out.result(
            f"job {job_id}: {succeeded} item(s) reported successful (externalId {self.prefix}/{job_id}/<accountingEntryId>), "
            f"{failed} failed; event {event}",
            jobId=job_id,
            **result,
        )
        return result

    def success(self, job_id: str, entry_id: str, now: str) -> dict:
        update = {
            "accountingEntryId": entry_id,
            "status": "successful",
            "exportedAt": now,
            "externalId": f"{self.prefix}/{job_id}/{entry_id}",
        }
        if self.url_template:
            update["externalUrl"] = self.url_template.format(exportJobId=job_id, accountingEntryId=entry_id)
        return update

    def finished_or_retry(self, job_id: str) -> dict | None:
        """After a 422: a finished job is reported and acknowledged; one still open is left for the next run."""
        job = self.job(job_id)
        if job["status"] in FINISHED:
            return self.already_finished(job)
        self.out.result(
            f"job {job_id}: still {job['status']} in Pleo; it stays unacknowledged and is retried by the next run",
            jobId=job_id,
            status=job["status"],
            event=None,
        )
        return None

    def already_finished(self, job: dict) -> dict:
        status, kind = job["status"], job.get("failureReasonType")
        if status == "failed" and kind == "job_expired":
            message = (
                f"job {job['id']}: expired in Pleo before the write-back (failed, job_expired). Its items ARE in the "
                "warehouse but Pleo still lists them in the export queue: an accountant must start a new export; "
                "the next run extracts them again. Nothing was reported for this job."
            )
        else:
            message = f"job {job['id']}: already {status} in Pleo; nothing to do"
        result = {"event": None, "status": status, "failureReasonType": kind}
        self.out.result(message, jobId=job["id"], **result)
        return result

    def job_item_ids(self, job_id: str) -> t.Iterator[str]:
        for item in self.http.list_all(f"/v3/export-jobs/{job_id}/items"):
            yield item["accountingEntryId"]

    def put_items(self, job_id: str, updates: list[dict]) -> tuple[list[dict] | None, list[dict]]:
        ok: list[dict] = []
        errors: list[dict] = []
        size = BATCH
        start = 0
        while start < len(updates):
            batch = updates[start : start + size]
            try:
                body = self.http.request_json("PUT", f"/v3/export-jobs/{job_id}/items", json=batch, required=("data",))
            except ProviderClientError as exc:
                if exc.status == 413 and size > 1:
                    size = max(1, size // 2)  # tolerate a lower limit than the documented 100
                    continue
                if exc.status == 422:
                    self.out.note(f"job {job_id}: Pleo refused the item update ({exc})")
                    return None, errors
                raise
            ok += body.get("data") or []
            errors += body.get("errors") or []
            start += len(batch)
        return ok, errors

    def event(self, job_id: str, event: str, **extra: t.Any) -> bool:
        try:
            self.http.send("POST", "/v3/export-job-events", json={"jobId": job_id, "event": event, **extra})
        except ProviderClientError as exc:
            if exc.status == 422:
                self.out.note(f"job {job_id}: event {event} refused ({exc})")
                return False
            raise
        return True
