"""Base stream for Findity: organization-scoped Connect URLs and the shared HTTP policy (tapkit)."""

from __future__ import annotations

import typing as t

from singer_sdk import RESTStream
from tapkit.http import ProviderHTTPMixin, parsed_json
from tapkit.streams import SharedTokenRetry
from tapkit.tenant import TenantStream

if t.TYPE_CHECKING:
    import requests

API_VERSION = "3"


def list_items(body: t.Any) -> list[dict]:
    """A list answer as a bare array or an envelope (`{data: [...], meta}`, `{exports: [...]}`, `{items: [...]}`)."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        for key in ("data", "exports", "items", "results"):
            if isinstance(body.get(key), list):
                return body[key]
    msg = "expected a JSON array or a {data: [...]} envelope"
    raise ValueError(msg)


class FindityStream(TenantStream, SharedTokenRetry, ProviderHTTPMixin, RESTStream):
    """A Connect API stream of one organization; every record names it in `organizationId`."""

    tenant_field = "organizationId"

    def tenant_id(self, context: t.Any) -> str:
        return str(self.config["organization_id"])

    @property
    def url_base(self) -> str:
        org = self.config["organization_id"]
        return f"{self.config['api_url']}/v1/connect/organizations/{org}"

    @property
    def http_headers(self) -> dict:
        return {**super().http_headers, "X-Findity-ApiVersion": API_VERSION}

    @property
    def emit_activate_version_messages(self) -> bool:
        # The list holds only *unprocessed* exports: a new table version would delete confirmed ones.
        return False

    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        yield from list_items(parsed_json(response))
