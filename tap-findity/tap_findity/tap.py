"""tap-findity: the Tap class, its settings and streams, and the run manifest for the write-back command."""

from __future__ import annotations

import typing as t

from singer_sdk import typing as th

from tap_findity.auth import ClientCredentialsAuthenticator
from tap_findity.files import FilesStream
from tap_findity.streams import ExportsStream, VoucherRowsStream, VouchersStream
from tapkit.errors import TapError
from tapkit.manifest import RunManifest, default_manifest_dir
from tapkit.tap import ProviderTap, check_url, common_properties

if t.TYPE_CHECKING:
    from singer_sdk import Stream

API_URL = "https://expense.findity.com/api"
TOKEN_URL = "https://expense.findity.com/oauth/token"


class TapFindity(ProviderTap):
    """Singer tap for Findity's Connect API."""

    name = "tap-findity"
    files_stream = FilesStream

    config_jsonschema = th.PropertiesList(
        *common_properties(API_URL),
        th.Property("client_id", th.StringType, required=True, title="Client ID",
                    description="API key client id (Findity Admin -> API keys; organization-scoped)."),
        th.Property("client_secret", th.StringType, required=True, secret=True, title="Client secret",
                    description="API key client secret."),
        th.Property("token_url", th.StringType, default=TOKEN_URL, title="Token URL",
                    description="OAuth2 token endpoint (client credentials). Findity's hosts differ per "
                                "environment and white label: set it with api_url."),
        th.Property("token_client_auth", th.StringType, default="post", allowed_values=["post", "basic"],
                    title="Token client authentication",
                    description="`post`: client_id/client_secret form fields (Findity's documented way); "
                                "`basic`: HTTP Basic."),
        th.Property("organization_id", th.StringType, required=True, title="Organization ID",
                    description="Your organization's id in Findity (32 hex)."),
        th.Property("manifest_dir", th.StringType, title="Manifest directory",
                    description="Where each run records the exports it extracted, for the `ack` write-back "
                                "command. Default: $XDG_STATE_HOME/tap-findity/manifests."),
    ).to_dict()

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        self._extracted: dict[str, dict] = {}
        super().__init__(*args, **kwargs)

    def data_streams(self) -> list[Stream]:
        return [ExportsStream(self), VouchersStream(self), VoucherRowsStream(self)]

    def check_config(self) -> None:
        super().check_config()
        for key in ("client_id", "client_secret", "organization_id"):
            if not str(self.config.get(key) or "").strip():
                msg = f"missing setting {key}: set client_id, client_secret and organization_id"
                raise TapError(msg)
        check_url("token_url", self.config.get("token_url"))

    def build_authenticator(self) -> ClientCredentialsAuthenticator:
        cfg = self.config
        return ClientCredentialsAuthenticator(
            auth_endpoint=cfg.get("token_url") or TOKEN_URL,
            client_id=cfg["client_id"],
            client_secret=cfg["client_secret"],
            client_auth=cfg.get("token_client_auth") or "post",
            timeout=float(cfg.get("request_timeout") or 60),
            user_agent=cfg.get("user_agent"),
        )

    # --- what this run extracted (for the write-back command) ------------------------------------------
    def manifest(self) -> RunManifest:
        directory = self.config.get("manifest_dir") or default_manifest_dir(self.name)
        scope = f"{self.config['api_url'].rstrip('/')}|{self.config['organization_id']}"
        return RunManifest(directory, self.name, scope)

    def begin_export(self, export_id: str) -> None:
        self._extracted[export_id] = {"voucherIds": [], "derivedIds": False, "complete": False}

    def note_voucher(self, export_id: str, voucher_id: str, derived: bool) -> None:
        entry = self._extracted.setdefault(export_id, {"voucherIds": [], "derivedIds": False, "complete": False})
        entry["voucherIds"].append(voucher_id)
        entry["derivedIds"] = entry["derivedIds"] or derived

    def package_read(self, export_id: str) -> None:
        self._extracted[export_id]["complete"] = True

    def end_export(self, export_id: str) -> None:
        """Nothing to do per export: the manifest is written once the whole run completed."""

    def sync_all(self) -> None:
        super().sync_all()
        manifest = self.manifest()
        done = {k: v for k, v in self._extracted.items() if v["complete"]}
        for export_id, entry in done.items():
            manifest.add(export_id, {"voucherIds": entry["voucherIds"], "derivedIds": entry["derivedIds"]})
        manifest.commit()
        self.logger.info("Run manifest: %d export(s) extracted, ready for `ack` after the load (%s)",
                         len(done), manifest.path)


if __name__ == "__main__":
    TapFindity.cli()
