"""`files`: each voucher's basis PDF (`basisUrl?format=pdf`: booking data and receipt images), streamed to
`files_dir` (a local path or an fsspec URL)."""

from __future__ import annotations

import typing as t
from urllib.parse import urlparse

from singer_sdk import typing as th
from tapkit.files import FileSink, owner_properties, store_file, stored_file_properties
from tapkit.http import ProviderClientError
from tapkit.schema import String

from tap_findity.schemas import ORGANIZATION_ID
from tap_findity.streams import VoucherEntry, _VoucherChild


def pdf_url(basis_url: str) -> str:
    return basis_url + ("&" if "?" in basis_url else "?") + "format=pdf"


class FilesStream(_VoucherChild):
    """One record per downloaded basis PDF. A file already stored is not fetched again (a voucher's basis
    does not change once exported)."""

    name = "files"
    primary_keys = ("id",)
    schema = th.PropertiesList(
        th.Property("id", String, required=True, description="`<voucher id>-basis`."),
        ORGANIZATION_ID,
        *owner_properties("vouchers", "the voucher id"),
        th.Property("exportId", String),
        th.Property("name", String),
        th.Property("contentType", String),
        *stored_file_properties(),
    ).to_dict()

    def get_records(self, context: t.Any) -> t.Iterable[dict]:
        export_id = context["exportId"]
        # downloaded side by side (max_parallel_downloads), emitted in the vouchers' order (tapkit.prefetch)
        batches = self._tap.downloads.in_order(lambda v: list(self._basis_of(v, export_id)), self.vouchers_in(context))
        for records in batches:
            yield from records

    def _basis_of(self, voucher: VoucherEntry, export_id: str) -> t.Iterable[dict]:
        basis = voucher.basis_url
        if not basis:
            return
        api_host = urlparse(self.config["api_url"]).netloc
        if urlparse(basis).netloc != api_host:  # never send the bearer token to another host
            self.logger.warning("Basis of voucher %s is on another host; not downloaded", voucher.id)
            return
        sink = FileSink(self.config["files_dir"])
        voucher_id = voucher.id
        name = f"{voucher_id}.pdf"
        parts = ("findity", self.config["organization_id"], export_id, name)
        record = {
            "id": f"{voucher_id}-basis",
            "ownerStream": "vouchers",
            "ownerId": voucher_id,
            "exportId": export_id,
            "name": name,
        }
        try:
            stored = store_file(self, sink, pdf_url(basis), parts, "application/pdf")
        except ProviderClientError as exc:
            if exc.status == 404:
                self.logger.warning("Basis of voucher %s is gone in Findity: %s", voucher_id, exc)
                return
            raise
        if stored is not None:
            yield {**record, **stored}
