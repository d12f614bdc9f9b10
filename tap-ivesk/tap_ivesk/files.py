"""`files`: each document's PDF, streamed from its presigned URL into `files_dir` (local path or fsspec URL).

The presigned URL needs no API key, and the key is never sent there (it may point at another host, S3).
"""

from __future__ import annotations

import typing as t

import requests
from singer_sdk import typing as th  # noqa: F401 - schema lives in schemas.py
from tapkit.files import FileSink, no_auth, store_file
from tapkit.http import ProviderClientError, ProviderHTTPMixin
from tapkit.streams import OncePerParentChild

from tap_ivesk.client import IveskStream
from tap_ivesk.schemas import FILE
from tap_ivesk.streams import DocumentsStream


class FilesStream(OncePerParentChild, IveskStream):
    """One record per downloaded PDF. A PDF already stored is not fetched again (documents are immutable
    once digitized; a re-exported document keeps its file)."""

    name = "files"
    parent_stream_type = DocumentsStream
    primary_keys = ("id",)
    path = ""
    schema = FILE
    tenant_field = "companycode"

    def tenant_id(self, context: t.Any) -> str | None:
        return context.get("companycode")  # the document's, whose presigned URL the file came from

    @property
    def authenticator(self) -> t.Any:
        return no_auth

    def validate_status(self, response: requests.Response) -> None:
        ProviderHTTPMixin.validate_status(self, response)  # S3 answers 403 for an expired URL: not the API key

    def get_records(self, context: t.Any) -> t.Iterable[dict]:
        sink = FileSink(self.config["files_dir"])
        doc_id = context["documentId"]
        name = context.get("filename") or f"{doc_id}.pdf"
        parts = ("ivesk", context.get("companycode") or "unknown", doc_id, name)
        record = {"id": doc_id, "ownerStream": "documents", "ownerId": doc_id, "name": name}
        url = self._tap.pdf_urls.pop(doc_id, None)
        try:
            stored = store_file(self, sink, url, parts)
        except ProviderClientError as exc:
            msg = (
                f"the PDF of document {doc_id} could not be downloaded ({exc}); its presigned URL may have "
                "expired: run again (the document is re-read from the bookmark with a fresh URL)"
            )
            raise ProviderClientError(msg, status=exc.status, code=exc.code) from None
        if stored is not None:
            yield {**record, **stored}
