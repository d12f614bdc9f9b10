"""Įvesk streams: `documents` (one queue, with lines) and `columns` (code lists)."""

from __future__ import annotations

import base64
import binascii
import json
import typing as t

from singer_sdk.pagination import JSONPathPaginator
from tapkit.http import parsed_json
from tapkit.timeutil import parse_utc, to_api_ms, to_utc_iso

from tap_ivesk import money
from tap_ivesk.client import ONE_MS, IveskStream
from tap_ivesk.pagination import QueuePaginator, QueuePosition
from tap_ivesk.schemas import COLUMN_ITEM, DOCUMENT

if t.TYPE_CHECKING:
    import requests

QUEUE_KEYS = {"exported": "exportedat", "digitized": "digitizedat"}
DEFAULT_QUEUE = "exported"
DEFAULT_COLUMNS = ("allocation", "department")
BOUNDARY = "boundary_ids"


def decode_sourcedata(value: t.Any) -> t.Any:
    """`sourcedata` as an object; Įvesk may echo the base64 text given at upload instead (kept in `raw`)."""
    if not isinstance(value, str):
        return value
    try:
        decoded = json.loads(
            base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_" if "-" in value or "_" in value else None)
        )
    except (binascii.Error, ValueError):
        return {"id": None, "customdata": None, "raw": value}
    if not isinstance(decoded, dict):
        return {"id": None, "customdata": None, "raw": value}
    return {"id": decoded.get("id"), "customdata": decoded.get("customdata"), "raw": value}


class DocumentsStream(IveskStream):
    """`GET /exported` (default) or `GET /digitized` from the bookmark, following `next`.

    Incremental on the queue's timestamp. The bookmark moves with each emitted document (the queue is
    ascending); beside it the state keeps the ids emitted at exactly the bookmark timestamp (`boundary_ids`,
    usually one id), so a document sharing that timestamp that was not emitted yet is not skipped on resume.
    """

    name = "documents"
    records_key = "documents"
    primary_keys = ("id",)
    is_sorted = True
    STATE_MSG_FREQUENCY = 100  # about one STATE per page: a killed run resumes from its last page
    schema = DOCUMENT
    tenant_field = "companycode"

    def tenant_id(self, context: t.Any) -> None:
        """None: the queue is the whole account's, asked for no company; each document's own `companycode`
        names its company."""
        return None

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.replication_key = QUEUE_KEYS[self.queue]
        self.position = QueuePosition(self.replication_key, None)

    @property
    def queue(self) -> str:
        return str(self.config.get("queue") or DEFAULT_QUEUE)

    @property
    def path(self) -> str:  # type: ignore[override]
        return f"/{self.queue}"

    # --- position: the bookmark and the ids emitted at exactly its timestamp ---------------------------
    def _load_position(self, context: t.Any) -> QueuePosition:
        state = self.get_context_state(context)
        if state.get("replication_key") not in (None, self.replication_key):
            self.logger.warning(
                "The bookmark is for %s, not %s (queue changed): starting from start_date",
                state.get("replication_key"),
                self.replication_key,
            )
            for key in ("replication_key", "replication_key_value", BOUNDARY):
                state.pop(key, None)
        value = state.get("replication_key_value")
        ids: t.Iterable[str] = ()
        if value:
            state["replication_key_value"] = to_utc_iso(value)
            ids = state.get(BOUNDARY) or []
        else:
            value = self.config.get("start_date")
        return QueuePosition(self.replication_key, parse_utc(value) if value else None, ids)

    # --- requests ------------------------------------------------------------------------------------
    def get_records(self, context: t.Any) -> t.Iterable[dict]:
        self.position = self._load_position(context)  # read before the first request, kept up to date below
        yield from super().get_records(context)

    def get_new_paginator(self) -> QueuePaginator:
        return QueuePaginator(self.position.copy(), records_key=self.records_key, queue=self.queue, logger=self.logger)

    def get_url_params(self, context: t.Any, next_page_token: t.Any) -> dict[str, t.Any]:
        if not next_page_token.get("from"):
            return {}
        moment = parse_utc(next_page_token["from"])
        return {"from": to_api_ms(moment - ONE_MS if next_page_token.get("margin") else moment)}

    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        pending: dict | None = None
        for doc in parsed_json(response).get(self.records_key) or []:
            if pending is not None:  # the SDK asks for the next record only after writing the previous one
                self._emitted(pending)
                pending = None
            if not isinstance(doc, dict) or "id" not in doc:
                msg = f"GET {self.path}: a document without an id"
                raise ValueError(msg)
            if self.position.behind(doc):
                continue
            pending = doc
            yield doc
        if pending is not None:
            self._emitted(pending)

    def _emitted(self, doc: dict) -> None:
        """The document has been written and counted in the bookmark: it is now behind the position."""
        if self.position.advance(doc):
            self.get_context_state(self.context)[BOUNDARY] = sorted(self.position.ids)

    def post_process(self, row: dict, context: t.Any = None) -> dict | None:
        for key in ("digitizedat", "exportedat"):
            if row.get(key):
                row[key] = to_utc_iso(row[key])
        if "lines" not in row and "line" in row:
            row["lines"] = row.pop("line")
        if "sourcedata" in row:
            row["sourcedata"] = decode_sourcedata(row["sourcedata"])
        money.add_minor_units(row)
        return super().post_process(row, context)

    def generate_child_contexts(self, record: dict, context: t.Any) -> t.Iterable[dict]:
        if self._tap.stream_wanted("files") and record.get("url"):
            # the presigned URL is a temporary credential: handed over beside the context, never logged with it
            self._tap.pdf_urls[record["id"]] = record["url"]
            yield {
                "documentId": record["id"],
                "filename": record.get("filename"),
                "companycode": record.get("companycode"),
            }


class ColumnsStream(IveskStream):
    """`GET /columns/{companyCode}?column=…` for each of `company_codes` × `columns`, cursor-paged on `next`.

    Incremental on `modifiedat` per (company, column) partition: the next run asks `modifiedsince` the
    largest `modifiedat` seen (minus 1 ms, in case Įvesk compares exclusively). The list is ordered by code,
    not by time, so the bookmark is committed when a partition is complete.
    """

    name = "columns"
    path = "/columns/{companyCode}"
    records_key = "items"
    primary_keys = ("companyCode", "column", "code")
    replication_key = "modifiedat"
    is_sorted = False
    schema = COLUMN_ITEM
    tenant_field = "companyCode"

    def tenant_id(self, context: t.Any) -> str:
        return context["companyCode"]  # the `{companyCode}` of the request's path

    @property
    def partitions(self) -> list[dict] | None:
        codes = self.config.get("company_codes") or []
        columns = self.config.get("columns") or DEFAULT_COLUMNS
        return [{"companyCode": str(code), "column": str(column)} for code in codes for column in columns]

    def get_records(self, context: t.Any) -> t.Iterable[dict]:
        if not context:  # no company_codes configured: nothing to read
            return
        yield from super().get_records(context)

    def get_new_paginator(self) -> JSONPathPaginator:
        return JSONPathPaginator("$.next")

    def get_url_params(self, context: t.Any, next_page_token: t.Any) -> dict[str, t.Any]:
        params: dict[str, t.Any] = {"column": context["column"]}
        if next_page_token:
            params["next"] = next_page_token
        bookmark = self.get_context_state(context).get("replication_key_value")
        if bookmark:
            params["modifiedsince"] = to_api_ms(parse_utc(bookmark) - ONE_MS)
        return params

    def post_process(self, row: dict, context: t.Any = None) -> dict | None:
        row["column"] = context["column"]
        row["modifiedat"] = to_utc_iso(row.get("modifiedat"))
        return super().post_process(row, context)  # and companyCode (tapkit.tenant)
