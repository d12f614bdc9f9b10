"""tap-candis: the Tap class, its settings and streams."""

from __future__ import annotations

import functools
import time
import typing as t

from singer_sdk import typing as th
from tapkit.errors import TapError
from tapkit.oauth import refresh_token_properties
from tapkit.settings import Strings, common_properties, max_parallel_requests, secret, setting, token_client_auth
from tapkit.tap import ProviderTap

from tap_candis.auth import AUTHORIZE_URL, TOKEN_URL, build_authenticator, check_credentials
from tap_candis.client import OrganizationInfo
from tap_candis.files import FilesStream
from tap_candis.streams import (
    APPROVED_OR_EXPORTED,
    DEFAULT_ENTITY_TYPES,
    EXPORT_WAIT_TIMEOUT,
    ExportsStream,
    FailedPostingsStream,
    InvoicesStream,
    PostingsStream,
    PurchaseRequestsStream,
    ReimbursementItemsStream,
)

API_URL = "https://api.candis.io"
ENTITY_TYPES = ("DOCUMENT", "CARD_TRANSACTION", "REIMBURSEMENT_ITEM")
PURCHASE_REQUEST_STATUSES = ("APPROVING", "APPROVED", "REJECTED", "FULFILLED", "PARTIALLY_FULFILLED", "CANCELLED")
#: enum values Candis's OpenAPI accepts for each list setting (sent comma-separated, as its descriptions say)
SETTING_ENUMS = {
    "export_entity_types": ENTITY_TYPES,
    "reimbursement_item_statuses": APPROVED_OR_EXPORTED,
    "invoice_statuses": APPROVED_OR_EXPORTED,
    "purchase_request_statuses": PURCHASE_REQUEST_STATUSES,
}


class TapCandis(ProviderTap):
    """Singer tap for the Candis export API."""

    name = "tap-candis"
    stream_types = (
        ExportsStream,
        PostingsStream,
        FailedPostingsStream,
        ReimbursementItemsStream,
        InvoicesStream,
        PurchaseRequestsStream,
    )
    files_stream = FilesStream
    files_lookahead = ("postings",)  # read from the body ahead of the SDK; no bookmark inside an export
    child_reads_page_prefetch = ("exports",)  # postings of the exports of a page read ahead (tapkit.prefetch)

    config_jsonschema = th.PropertiesList(
        *common_properties(API_URL, rate_limit=450),
        max_parallel_requests("Postings of exports (one request per export)"),
        *refresh_token_properties(
            "tap-candis",
            "Candis",
            default_endpoint=TOKEN_URL,
            client_note="",
            rotation_note=" (scopes `exports core_data offline_access`). Candis rotates it on every refresh",
            endpoint_note="Keycloak token endpoint.",
            authorize_endpoint=AUTHORIZE_URL,
            authorize_note=" (Keycloak's openid-connect/auth)",
        ),
        token_client_auth("basic", "`basic` (client_secret_basic) or `post` (client_id/client_secret in the form)."),
        secret(
            "access_token",
            "Access token",
            "A ready access token instead of the refresh-token flow (not renewed: it lasts about 14 days).",
        ),
        setting(
            "organization_id",
            th.StringType,
            "Organization ID",
            "Organization slug, e.g. alpha-organization. Default: discovered from GET /v1/organizations/info.",
        ),
        setting(
            "create_export",
            th.BooleanType,
            "Create export",
            "Create a new export (POST /exports) per `export_entity_types` at the start of the run, wait for it and "
            "sync it. This is a write in Candis: exported documents can no longer be changed there.",
            default=False,
        ),
        setting(
            "export_entity_types",
            Strings,
            "Export entity types",
            f"Entity types to export when `create_export` is on: {', '.join(ENTITY_TYPES)}.",
            default=list(DEFAULT_ENTITY_TYPES),
        ),
        setting(
            "export_wait_timeout",
            th.IntegerType,
            "Export wait timeout",
            "Seconds to wait for a created export to leave EXPORTING. An export still running then is delivered by "
            "a later run.",
            default=EXPORT_WAIT_TIMEOUT,
        ),
        *(
            setting(name, Strings, title, "APPROVED and/or EXPORTED.", default=list(APPROVED_OR_EXPORTED))
            for name, title in (
                ("reimbursement_item_statuses", "Reimbursement item statuses"),
                ("invoice_statuses", "Invoice statuses"),
            )
        ),
        setting(
            "purchase_request_statuses",
            Strings,
            "Purchase request statuses",
            f"Optional filter: {', '.join(PURCHASE_REQUEST_STATUSES)} (default: all).",
        ),
    ).to_dict()

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        self.run_started_at = time.time()
        self.failed_postings_cache: dict[str, list[dict]] = {}
        super().__init__(*args, **kwargs)

    def check_config(self) -> None:
        super().check_config()
        cfg = self.config
        check_credentials(self)
        for name, allowed in SETTING_ENUMS.items():
            bad = [e for e in cfg.get(name) or [] if e not in allowed]
            if bad:
                msg = f"{name} has unknown value(s) {bad}: use {', '.join(allowed)}"
                raise TapError(msg)

    def build_authenticator(self) -> t.Any:
        return build_authenticator(self.name, self.config)

    @functools.cached_property
    def organization_id(self) -> str:
        """The organization every stream reads (the one place it is resolved): the setting, or else the one the
        credentials belong to, asked once."""
        if self.config.get("organization_id"):
            return str(self.config["organization_id"])
        info = OrganizationInfo(self).fetch()
        self.logger.info("Using Candis organization %s (%s)", info["id"], info.get("name"))
        return str(info["id"])


if __name__ == "__main__":
    TapCandis.cli()
