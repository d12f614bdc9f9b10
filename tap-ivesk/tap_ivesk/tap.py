"""tap-ivesk: the Tap class, its settings and streams."""

from __future__ import annotations

import typing as t

from singer_sdk import typing as th
from tapkit.errors import TapError
from tapkit.settings import Strings, common_properties, secret, setting
from tapkit.tap import ProviderTap

from tap_ivesk.auth import build_authenticator
from tap_ivesk.files import FilesStream
from tap_ivesk.streams import DEFAULT_COLUMNS, DEFAULT_QUEUE, QUEUE_KEYS, ColumnsStream, DocumentsStream

API_URL = "https://app.ivesk.lt/api/pub"


class TapIvesk(ProviderTap):
    """Singer tap for the Įvesk.lt public API."""

    name = "tap-ivesk"
    stream_types = (DocumentsStream, ColumnsStream)
    files_stream = FilesStream
    files_page_prefetch = ("documents",)  # the queue's position follows the SDK: prefetch per page

    config_jsonschema = th.PropertiesList(
        *common_properties(API_URL),
        secret(
            "api_key",
            "API key",
            "Įvesk API key (`dp_…`, from app.ivesk.lt/settings/general), sent as `x-api-key`.",
        ),
        setting(
            "queue",
            th.StringType,
            "Queue",
            "`exported` (documents the accountant exported; the usual choice) or `digitized` (every document as "
            "soon as digitization finishes).",
            default=DEFAULT_QUEUE,
            allowed_values=list(QUEUE_KEYS),
        ),
        setting(
            "company_codes",
            Strings,
            "Company codes",
            "Company codes whose code lists the `columns` stream reads (none: no code lists).",
        ),
        setting(
            "columns",
            Strings,
            "Columns",
            "Code lists to read per company: allocation, department, warehouse, object, ...",
            default=list(DEFAULT_COLUMNS),
        ),
    ).to_dict()

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        self.pdf_urls: dict[str, str] = {}  # document id -> presigned PDF URL, until its file is synced
        super().__init__(*args, **kwargs)

    def files_prefetched(self, context: t.Any) -> None:
        self.pdf_urls.pop(context["documentId"], None)  # the prefetch used it; the SDK's sync set it again

    def check_config(self) -> None:
        super().check_config()
        cfg = self.config
        if not cfg.get("api_key"):
            msg = "missing setting api_key: set your Įvesk API key (app.ivesk.lt/settings/general)"
            raise TapError(msg)
        if cfg.get("queue", DEFAULT_QUEUE) not in QUEUE_KEYS:
            msg = f"queue {cfg.get('queue')!r} is not valid: use exported or digitized"
            raise TapError(msg)
        for name in ("company_codes", "columns"):
            value = cfg.get(name)
            if value is not None and (not isinstance(value, list) or not all(isinstance(v, str) and v for v in value)):
                msg = f'{name} must be a JSON array of strings, e.g. ["302320404"]'
                raise TapError(msg)

    def build_authenticator(self) -> t.Any:
        return build_authenticator(self.name, self.config)


if __name__ == "__main__":
    TapIvesk.cli()
