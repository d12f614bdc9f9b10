"""tap-findity: the Tap class, its settings and streams, and the run manifest for the write-back command."""

from __future__ import annotations

import functools
import typing as t

from singer_sdk import typing as th
from tapkit.errors import TapError
from tapkit.manifest import RunManifest
from tapkit.tap import ProviderTap, check_url, common_properties

from tap_findity.auth import TOKEN_URL, build_authenticator
from tap_findity.files import FilesStream
from tap_findity.streams import ExportsStream, VoucherRowsStream, VouchersStream

if t.TYPE_CHECKING:
    from singer_sdk import Stream

API_URL = "https://expense.findity.com/api"


class TapFindity(ProviderTap):
    """Singer tap for Findity's Connect API."""

    name = "tap-findity"
    files_stream = FilesStream

    config_jsonschema = th.PropertiesList(
        *common_properties(API_URL),
        th.Property(
            "client_id",
            th.StringType,
            required=True,
            title="Client ID",
            description="API key client id (Findity Admin -> API keys; organization-scoped).",
        ),
        th.Property(
            "client_secret",
            th.StringType,
            required=True,
            secret=True,
            title="Client secret",
            description="API key client secret.",
        ),
        th.Property(
            "token_url",
            th.StringType,
            default=TOKEN_URL,
            title="Token URL",
            description="OAuth2 token endpoint (client credentials). Findity's hosts differ per "
            "environment and white label: set it with api_url.",
        ),
        th.Property(
            "token_client_auth",
            th.StringType,
            default="post",
            allowed_values=["post", "basic"],
            title="Token client authentication",
            description="`post`: client_id/client_secret form fields (Findity's documented way); `basic`: HTTP Basic.",
        ),
        th.Property(
            "organization_id",
            th.StringType,
            required=True,
            title="Organization ID",
            description="Your organization's id in Findity (32 hex).",
        ),
        th.Property(
            "manifest_dir",
            th.StringType,
            title="Manifest directory",
            description="Where each run records the exports it extracted, for the `ack` write-back "
            "command. Default: $XDG_STATE_HOME/tap-findity/manifests.",
        ),
    ).to_dict()

    def data_streams(self) -> list[Stream]:
        return [ExportsStream(self), VouchersStream(self), VoucherRowsStream(self)]

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
