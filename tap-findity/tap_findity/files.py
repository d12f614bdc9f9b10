"""`files`: each voucher's basis PDF (`basisUrl?format=pdf`: booking data and receipt images), streamed to
`files_dir` (a local path or an fsspec URL)."""

from __future__ import annotations

import datetime
import typing as t
from urllib.parse import urlparse

from singer_sdk import typing as th

from tap_findity.streams import VouchersStream, _ExportChild
from tapkit.files import FileSink, download, stored_file_properties
from tapkit.http import ProviderClientError

S = th.StringType


def pdf_url(basis_url: str) -> str:
    return basis_url + ("&" if "?" in basis_url else "?") + "format=pdf"


class FilesStream(_ExportChild):
    """One record per downloaded basis PDF. A file already stored is not fetched again (a voucher's basis
    does not change once exported)."""

    name = "files"
    parent_stream_type = VouchersStream
    primary_keys = ("id",)
    schema = th.PropertiesList(
        th.Property("id", S, required=True, description="`<voucher id>-basis`."),
        th.Property("ownerStream", S, description="Stream of the record this file belongs to (vouchers)."),
        th.Property("ownerId", S, description="Primary key of that record (the voucher id)."),
        th.Property("exportId", S),
        th.Property("name", S),
        th.Property("contentType", S),
        *stored_file_properties(),
    ).to_dict()

    def get_records(self, context: t.Any) -> t.Iterable[dict]:
        basis = context.get("basisUrl")
        if not basis:
            return
        api_host = urlparse(self.config["api_url"]).netloc
        if urlparse(basis).netloc != api_host:  # never send the bearer token to another host
            self.logger.warning("Basis of voucher %s is on another host; not downloaded", context["voucherId"])
            return
        sink = FileSink(self.config["files_dir"])
        voucher_id = context["voucherId"]
        name = f"{voucher_id}.pdf"
        parts = ("findity", self.config["organization_id"], context["exportId"], name)
        record = {"id": f"{voucher_id}-basis", "ownerStream": "vouchers", "ownerId": voucher_id,
                  "exportId": context["exportId"], "name": name}
        size = sink.exists(*parts)
        if size is not None:
            yield {**record, "size": size, "sha256": sink.sha256_of(*parts), "path": sink.url_for(*parts),
                   "contentType": "application/pdf", "downloadedAt": None}
            return
        try:
            size, digest, stored, ctype = download(self, pdf_url(basis), sink, parts)
        except ProviderClientError as exc:
            if exc.status == 404:
                self.logger.warning("Basis of voucher %s is gone in Findity: %s", voucher_id, exc)
                return
            raise
        yield {**record, "size": size, "sha256": digest, "path": stored, "contentType": ctype,
               "downloadedAt": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
