"""`files`: the PDF/XML attachments of postings, streamed to `files_dir` (local path or fsspec URL)."""

from __future__ import annotations

import typing as t
from urllib.parse import urlparse

from singer_sdk import typing as th
from tapkit.files import FileSink, owner_properties, store_file, stored_file_properties
from tapkit.http import ProviderClientError
from tapkit.schema import String
from tapkit.streams import OncePerParentChild

from tap_candis.client import CandisStream
from tap_candis.schemas import ORGANIZATION_ID
from tap_candis.streams import PostingsStream


class FilesStream(OncePerParentChild, CandisStream):
    """One record per downloaded attachment. Files are immutable by id: one already stored is not fetched again."""

    name = "files"
    parent_stream_type = PostingsStream
    primary_keys = ("id",)
    path = "/files/{fileId}"
    schema = th.PropertiesList(
        th.Property("id", String, required=True, description="Candis file id."),
        ORGANIZATION_ID,
        *owner_properties("postings", "the posting id"),
        th.Property("exportId", String),
        th.Property("name", String, description="File name as Candis gives it."),
        th.Property("type", String, description="AUDIT_TRAIL | ATTACHMENT | INVOICE | XRECHNUNG"),
        th.Property("contentType", String),
        *stored_file_properties(),
    ).to_dict()

    def get_records(self, context: t.Any) -> t.Iterable[dict]:
        sink = FileSink(self.config["files_dir"])
        org = self._tap.organization_id
        api_host = urlparse(self.config["api_url"]).netloc
        for file in context["files"]:
            file_id, name = str(file["id"]), file.get("name") or str(file["id"])
            parts = ("candis", org, file_id, name)
            record = {
                "id": file_id,
                "ownerStream": "postings",
                "ownerId": context["ownerId"],
                "exportId": context.get("exportId"),
                "name": name,
                "type": file.get("type"),
            }
            url = file.get("url") or f"{self.url_base}/files/{file_id}"
            if urlparse(url).netloc != api_host:  # never send the bearer token to another host
                url = f"{self.url_base}/files/{file_id}"
            try:
                stored = store_file(self, sink, url, parts)
            except ProviderClientError as exc:
                if exc.code == "FILE_NOT_FOUND" or exc.status == 404:
                    self.logger.warning("File %s of posting %s is gone in Candis: %s", file_id, context["ownerId"], exc)
                    continue
                raise
            if stored is not None:
                yield {**record, **stored}
