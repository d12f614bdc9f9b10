"""Base stream for Candis: organization-scoped URLs, shared HTTP policy, offset paging with the 50 clamp."""

from __future__ import annotations

import typing as t

from singer_sdk import RESTStream
from singer_sdk import typing as th
from singer_sdk.helpers.conform import TypeConformanceLevel
from tapkit.http import ProviderHTTPMixin, parsed_json
from tapkit.schema import String, opt, req
from tapkit.streams import SharedTokenRetry
from tapkit.tenant import TenantStream

from tap_candis.pagination import MAX_PAGE, CandisOffsetPaginator

if t.TYPE_CHECKING:
    import requests


class CandisStream(TenantStream, SharedTokenRetry, ProviderHTTPMixin, RESTStream):
    """A stream of one Candis organization: `url_base` is `{api_url}/v1/organizations/{organization_id}`; every
    record names it in `organizationId`."""

    records_key: t.ClassVar[str] = ""
    tenant_field = "organizationId"
    # Records come straight from JSON (numbers already Decimal): conforming every nested value again costs a
    # third of the run time. Root fields are still conformed; nested values are passed through as parsed.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.ROOT_ONLY

    @property
    def url_base(self) -> str:
        return f"{self.config['api_url']}/v1/organizations/{self._tap.organization_id}"

    def tenant_id(self, context: t.Any) -> str:
        return self._tap.organization_id

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


class OrganizationInfo(CandisStream):
    """`GET /v1/organizations/info`: the organization the credentials belong to. Not a catalog stream: the tap
    asks it once, for its `organization_id` when that setting is empty; its URL is above every organization."""

    name = "organization_info"
    path = "/v1/organizations/info"
    schema = th.PropertiesList(req("id", String, "Organization slug."), opt("name", String)).to_dict()

    @property
    def url_base(self) -> str:
        return self.config["api_url"]

    def fetch(self) -> dict:
        return self.request_json("GET", self.path, required=("id",))
