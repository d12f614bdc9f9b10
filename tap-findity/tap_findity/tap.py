"""tap-findity: the Tap class, its settings and streams, and the run manifest for the write-back command."""

from __future__ import annotations

import functools
import typing as t

from singer_sdk import typing as th
from tapkit.errors import TapError
from tapkit.manifest import RunManifest
from tapkit.settings import (
    check_url,
    common_properties,
    manifest_dir,
    max_parallel_requests,
    secret,
    setting,
    token_client_auth,
)
from tapkit.tap import ProviderTap

from tap_findity.auth import TOKEN_URL, build_authenticator
from tap_findity.files import FilesStream
from tap_findity.streams import ExportsStream, VoucherRowsStream, VouchersStream

API_URL = "https://expense.findity.com/api"


class TapFindity(ProviderTap):
    """Singer tap for Findity's Connect API."""

    name = "tap-findity"
    stream_types = (ExportsStream, VouchersStream, VoucherRowsStream)
    files_stream = FilesStream
    child_reads_page_prefetch = ("exports",)  # packages of the listed exports read ahead (tapkit.prefetch)

    config_jsonschema = th.PropertiesList(
        *common_properties(API_URL),
        # 1: a package is a whole export's vouchers (MiBs); read ahead it is held in memory (benchmarks/README.md)
        max_parallel_requests("Voucher packages of exports (one request per export)", default=1),
        setting(
            "client_id",
            th.StringType,
            "Client ID",
            "API key client id (Findity Admin -> API keys; organization-scoped).",
            required=True,
        ),
        secret("client_secret", "Client secret", "API key client secret.", required=True),
        setting(
            "token_url",
            th.StringType,
            "Token URL",
            "OAuth2 token endpoint (client credentials). Findity's hosts differ per environment and white label: "
            "set it with api_url.",
            default=TOKEN_URL,
        ),
        token_client_auth(
            "post", "`post`: client_id/client_secret form fields (Findity's documented way); `basic`: HTTP Basic."
        ),
        setting(
            "organization_id",
            th.StringType,
            "Organization ID",
            "Your organization's id in Findity (32 hex).",
            required=True,
        ),
        manifest_dir(
            "tap-findity",
            "Where each run records the exports it extracted, for the `ack` write-back command.",
        ),
    ).to_dict()

    def check_config(self) -> None:
        super().check_config()
        for key in ("client_id", "client_secret", "organization_id"):
            if not str(self.config.get(key) or "").strip():
                msg = f"missing setting {key}: set client_id, client_secret and organization_id"
                raise TapError(msg)
        check_url("token_url", self.config.get("token_url"))

    def build_authenticator(self) -> t.Any:
        return build_authenticator(self.name, self.config)

    # --- what this run extracted (for the write-back command) ------------------------------------------
    @functools.cached_property
    def manifest(self) -> RunManifest:
        """The exports this run read completely, with their voucher ids."""
        return self.run_manifest(self.config["organization_id"])

    def sync_all(self) -> None:
        super().sync_all()
        count = self.manifest.commit()
        self.logger.info(
            "Run manifest: %d export(s) extracted, ready for `ack` after the load (%s)", count, self.manifest.path
        )


if __name__ == "__main__":
    TapFindity.cli()
