"""Base stream for Candis: organization-scoped URLs, shared HTTP policy, offset paging with the 50 clamp."""

from __future__ import annotations

import typing as t

from singer_sdk import RESTStream
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.pagination import OffsetPaginator
from tapkit.http import ProviderHTTPMixin, parsed_json

if t.TYPE_CHECKING:
    import requests

MAX_PAGE = 50  # Candis clamps larger limits to 50 silently


class CandisOffsetPaginator(OffsetPaginator):
    """offset/limit paging that advances by what the server actually returned (limit may be clamped)."""

    def __init__(self, records_key: str) -> None:
        super().__init__(start_value=0, page_size=MAX_PAGE)
        self.records_key = records_key

    def get_next(self, response: requests.Response) -> int | None:
        body = parsed_json(response)
        received = len(body.get(self.records_key) or [])
        total = int((body.get("pagination") or {}).get("totalCount") or 0)
        nxt = self.current_value + received
        return nxt if received and nxt < total else None

    def has_more(self, response: requests.Response) -> bool:
        return True


class CandisStream(ProviderHTTPMixin, RESTStream):
    """Organization-scoped Candis stream."""

    records_key: t.ClassVar[str] = ""
    # Records come straight from JSON (numbers already Decimal): conforming every nested value again costs a
    # third of the run time. Root fields are still conformed; nested values are passed through as parsed.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.ROOT_ONLY

    @property
    def url_base(self) -> str:
        return f"{self.config['api_url']}/v1/organizations/{self._tap.organization_id}"

    @property
    def http_headers(self) -> dict:
        return {"Accept": "application/json"}

    @property
    def required_body_keys(self) -> tuple[str, ...]:  # type: ignore[override]
        return (self.records_key,) if self.records_key else ()

    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        body = parsed_json(response)
        items = body.get(self.records_key) if self.records_key else body
        yield from items or []


class CandisListStream(CandisStream):
    """A paged list endpoint (`{<records_key>: [...], pagination}`)."""

    def get_new_paginator(self) -> CandisOffsetPaginator:
        return CandisOffsetPaginator(self.records_key)

    def get_url_params(self, context: t.Any, next_page_token: t.Any) -> dict[str, t.Any]:
        return {"offset": next_page_token or 0, "limit": MAX_PAGE}
