"""tap-pleo: the Tap class, its settings and streams, and the run manifest for the write-back."""

from __future__ import annotations

import functools
import typing as t

from singer_sdk import typing as th
from tapkit.errors import TapError
from tapkit.manifest import RunManifest
from tapkit.oauth import refresh_token_properties
from tapkit.settings import Strings, common_properties, manifest_dir, max_parallel_requests, secret, setting
from tapkit.tap import ProviderTap

from tap_pleo.auth import AUTHORIZE_URL, TOKEN_URL, build_authenticator, check_credentials
from tap_pleo.client import MAX_PAGE
from tap_pleo.files import FilesStream
from tap_pleo.streams_entries import LOOKBACK_DAYS, OPEN_STATUSES, AccountingEntriesStream, open_statuses
from tap_pleo.streams_export import ExportItemsStream, ExportJobItemsStream, ExportJobsStream
from tap_pleo.streams_reference import (
    AccountsStream,
    CompaniesStream,
    EmployeesStream,
    TagGroupsStream,
    TagsStream,
    TaxCodesStream,
    VendorsStream,
)

API_URL = "https://external.pleo.io"
ALL = "*"  # company_ids ["*"]: every company the credentials see


class TapPleo(ProviderTap):
    """Singer tap for Pleo's Export API v3."""

    name = "tap-pleo"
    stream_types = (
        ExportJobsStream,
        ExportJobItemsStream,
        ExportItemsStream,
        AccountingEntriesStream,
        CompaniesStream,
        EmployeesStream,
        TaxCodesStream,
        TagGroupsStream,
        TagsStream,
        AccountsStream,
        VendorsStream,
    )
    files_stream = FilesStream
    files_lookahead = ("export_items",)  # start the receipts of the items ahead (no bookmark inside a job)
    files_page_prefetch = ("accounting_entries",)  # the position follows the SDK: prefetch per page
    child_reads_page_prefetch = ("export_jobs",)  # items of the jobs of a page read ahead (tapkit.prefetch)

    config_jsonschema = th.PropertiesList(
        *common_properties(API_URL, rate_limit=450),
        max_parallel_requests("Export job items and export items of jobs (one paged read per job)"),
        secret(
            "api_key",
            "API key",
            "Pleo API key (`plp_…`, Settings → API Keys), sent as the HTTP Basic user name with an empty password. "
            "Or use the OAuth settings.",
        ),
        *refresh_token_properties(
            "tap-pleo",
            "Pleo",
            default_endpoint=TOKEN_URL,
            client_note=" (sent with HTTP Basic to the token endpoint)",
            rotation_note=". Pleo rotates it on every refresh and revokes the authorization if a used one is sent "
            "again",
            endpoint_note="OAuth token endpoint (staging: https://auth.staging.pleo.io/oauth/token).",
            authorize_endpoint=AUTHORIZE_URL,
            authorize_note=" (inferred: Pleo documents only the token URL; set it if Pleo gave you another)",
        ),
        setting(
            "company_id",
            th.StringType,
            "Company ID",
            "Pleo company to extract (required for multi-entity organizations; default: the only company the "
            "credentials see).",
        ),
        setting(
            "company_ids",
            Strings,
            "Company IDs",
            'Several Pleo companies to extract in one run (an organization-scoped API key or authorization), or ["*"] '
            "for every company the credentials see (GET /v1/companies). Each company has its own state, run manifest "
            "and files; every record names its company in `companyId`. Set, it replaces `company_id`.",
        ),
        setting(
            "claim_jobs",
            th.BooleanType,
            "Claim jobs",
            "Send the `started` event for every pending export job the tap extracts, so no other integration takes "
            "it and Pleo shows it in progress. Off: a run changes nothing in Pleo (the write-back command `ack` does "
            "that after the load).",
            default=False,
        ),
        setting("page_size", th.IntegerType, "Page size", "`limit` per request (1–100).", default=MAX_PAGE),
        setting(
            "accounting_entries_lookback_days",
            th.IntegerType,
            "Accounting entries look-back",
            "Days before the `performedAt` bookmark that every run reads again (Pleo has no updatedAt filter; see "
            "the README).",
            default=LOOKBACK_DAYS,
        ),
        setting(
            "accounting_entries_open_statuses",
            Strings,
            "Open export statuses",
            "Pleo `ExportStatus` values of entries still in the export queue; they are read on every run whatever "
            "their date. Default: every status but EXPORTED.",
            default=OPEN_STATUSES,
        ),
        manifest_dir("tap-pleo", "Where the run manifest for the write-back (`tap-pleo:ack`) is kept."),
        setting(
            "external_id_prefix",
            th.StringType,
            "External id prefix",
            "The write-back reports `externalId = <prefix>/<exportJobId>/<accountingEntryId>`, which names the "
            "warehouse table and primary key of the loaded row.",
            default="tap_pleo.export_items",
        ),
        setting(
            "external_url_template",
            th.StringType,
            "External URL template",
            "Optional `externalUrl` for the write-back, e.g. "
            "https://bi.example.com/pleo/{exportJobId}/{accountingEntryId}.",
        ),
    ).to_dict()

    def check_config(self) -> None:
        super().check_config()
        cfg = self.config
        check_credentials(self)
        size = cfg.get("page_size", MAX_PAGE)
        if not 1 <= int(size) <= MAX_PAGE:
            msg = f"page_size {size} is out of range: Pleo accepts 1 to 100"
            raise TapError(msg)
        open_statuses(cfg.get("accounting_entries_open_statuses"))
        listed = cfg.get("company_ids") or []
        if not all(isinstance(c, str) and c.strip() for c in listed):
            msg = f'company_ids must be a JSON array of company ids, or ["*"], not {listed!r}'
            raise TapError(msg)
        if ALL in listed and len(listed) > 1:
            msg = 'company_ids: "*" (every company the credentials see) stands alone, not beside company ids'
            raise TapError(msg)

    def build_authenticator(self) -> t.Any:
        return build_authenticator(self.name, self.config)

    def check_inputs(self) -> None:
        super().check_inputs()
        if any(s.company_scoped and self.stream_wanted(s.name) for s in self.streams.values()):
            _ = self.company_ids  # the listed companies are checked before the first record of any stream

    @functools.cached_property
    def company_id(self) -> str:
        if self.config.get("company_id"):
            return str(self.config["company_id"])
        companies = self.streams["companies"]
        body = companies.request_json("GET", "/v1/companies", params={"limit": MAX_PAGE}, required=("data",))
        found = body["data"]
        if len(found) != 1:
            names = ", ".join(f"{c.get('id')} ({c.get('name')})" for c in found[:10]) or "none"
            msg = f"set company_id: the credentials see {len(found)} companies: {names}"
            raise TapError(msg)
        return str(found[0]["id"])

    @functools.cached_property
    def company_ids(self) -> list[str]:
        """The companies this run reads, in order: `company_ids` (["*"]: every company the credentials see), or
        else the one `company_id`. A listed company the credentials cannot see fails the run in one line naming
        it, before any record."""
        listed = list(dict.fromkeys(str(c).strip() for c in self.config.get("company_ids") or []))
        if not listed:
            return [self.company_id]
        if self.config.get("company_id"):
            self.logger.warning("company_id %s is not used: company_ids is set", self.config["company_id"])
        visible = [str(c.get("id")) for c in self.streams["companies"].list_all("/v1/companies")]
        if listed == [ALL]:
            if not visible:
                msg = 'company_ids ["*"]: the credentials see no company (GET /v1/companies is empty)'
                raise TapError(msg)
            return visible
        for company in listed:
            if company not in visible:
                msg = (
                    f"company {company} (company_ids) cannot be read with these credentials: GET /v1/companies "
                    f"lists {len(visible)} other(s) for them; remove it, or use a key or authorization of its "
                    "organization"
                )
                raise TapError(msg)
        return listed

    # --- what the run extracted, for the write-back -------------------------------------------------------
    @functools.cached_property
    def _manifests(self) -> dict[str, RunManifest]:
        return {}

    def manifest_for(self, company_id: str) -> RunManifest:
        """The run manifest of one company: the open jobs whose export items this run read completely, with
        their accountingEntryIds (one file per company, the file a run of that company alone keeps)."""
        if company_id not in self._manifests:
            self._manifests[company_id] = self.run_manifest(company_id)
        return self._manifests[company_id]

    def sync_all(self) -> None:
        super().sync_all()
        if self.stream_wanted("export_items"):
            # Written only when the whole run succeeded; Meltano runs `tap-pleo:ack` only after the loader
            # succeeded too, so the manifest describes what the target stored.
            for company in self.company_ids:
                manifest = self.manifest_for(company)
                count = manifest.commit()
                self.logger.info(
                    "Run manifest of company %s: %d open export job(s) read completely (%s)",
                    company,
                    count,
                    manifest.path,
                )


if __name__ == "__main__":
    TapPleo.cli()
