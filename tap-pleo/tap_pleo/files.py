"""`files`: receipts of export items, streamed to `files_dir` (local path or fsspec URL) during the run —
Pleo's file URLs are pre-signed and expire after 24 h, so they cannot be fetched later.

The URLs point at Pleo's storage host and carry their own signature: they are fetched WITHOUT the Pleo
credentials (a storage host must never see them, and S3 refuses a second auth mechanism anyway).
"""

from __future__ import annotations

import datetime
import typing as t
from urllib.parse import urlparse

from singer_sdk import typing as th

from tap_pleo.client import PleoStream
from tap_pleo.schema_objects import S
from tap_pleo.streams_export import ExportItemsStream
from tapkit.files import FileSink, download, stored_file_properties
from tapkit.http import ProviderClientError


def _no_auth(request: t.Any) -> t.Any:
    return request


class FilesStream(PleoStream):
    """One record per downloaded file; a file already stored under its id is not fetched again."""

    name = "files"
    parent_stream_type = ExportItemsStream
    primary_keys = ("id",)
    state_partitioning_keys: t.ClassVar[list[str]] = []
    company_param = None
    path = ""
    schema = th.PropertiesList(
        th.Property("id", S, required=True, description="`<accountingEntryId>/<file name in the URL>`."),
        th.Property("ownerStream", S, description="export_items"),
        th.Property("ownerId", S, description="accountingEntryId of the export item listing the file."),
        th.Property("exportJobId", S),
        th.Property("name", S), th.Property("contentType", S, description="MIME type Pleo gives (`type`)."),
        *stored_file_properties(sha256="Hex SHA-256."),
    ).to_dict()

    @property
    def authenticator(self) -> t.Any:
        return _no_auth  # pre-signed URLs: never send the Pleo credentials to the storage host

    @property
    def emit_activate_version_messages(self) -> bool:
        return False

    def get_records(self, context: t.Any) -> t.Iterable[dict]:
        sink = FileSink(self.config["files_dir"])
        company = self._tap.company_id
        owner = context["ownerId"]
        for position, file in enumerate(context["files"]):
            url = str(file.get("url") or "")
            segment = urlparse(url).path.rstrip("/").rsplit("/", 1)[-1] or f"file-{position}"
            name = segment if "." in segment else f"{segment}.{_extension(file.get('type'))}"
            parts = ("pleo", company, owner, name)
            record = {"id": f"{owner}/{segment}", "ownerStream": "export_items", "ownerId": owner,
                      "exportJobId": context.get("exportJobId"), "name": name, "contentType": file.get("type")}
            size = sink.exists(*parts)
            if size is not None:
                yield {**record, "size": size, "sha256": sink.sha256_of(*parts), "path": sink.url_for(*parts),
                       "downloadedAt": None}
                continue
            try:
                size, digest, stored, ctype = download(self, url, sink, parts)
            except ProviderClientError as exc:
                if exc.status in (403, 404):
                    self.logger.warning("File %s of export item %s cannot be downloaded (%s): its URL may have "
                                        "expired; it is fetched again while the job is open", name, owner, exc.status)
                    continue
                raise
            yield {**record, "size": size, "sha256": digest, "path": stored, "contentType": file.get("type") or ctype,
                   "downloadedAt": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


def _extension(mime: t.Any) -> str:
    return {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(str(mime), "bin")
