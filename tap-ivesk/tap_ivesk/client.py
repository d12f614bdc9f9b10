"""Base stream for Įvesk: `x-api-key` auth, the shared HTTP policy (tapkit)."""

from __future__ import annotations

import datetime
import typing as t

from singer_sdk import RESTStream
from singer_sdk.exceptions import FatalAPIError
from tapkit.http import ProviderHTTPMixin, describe, parsed_json
from tapkit.tenant import TenantStream

if t.TYPE_CHECKING:
    import requests

ONE_MS = datetime.timedelta(milliseconds=1)


class IveskStream(TenantStream, ProviderHTTPMixin, RESTStream):
    """An Įvesk endpoint under `api_url` (production `https://app.ivesk.lt/api/pub`). One API key reads every
    company of the account: each stream says where its records' company code comes from (`tenant_id`)."""

    records_key: t.ClassVar[str] = ""

    @property
    def required_body_keys(self) -> tuple[str, ...]:  # type: ignore[override]
        return (self.records_key,) if self.records_key else ()

    def validate_status(self, response: requests.Response) -> None:
        if response.status_code in (401, 403):  # API Gateway: no key -> 401, unknown key -> 403
            raise FatalAPIError(describe(response) + "; the API key was rejected: check api_key")
        super().validate_status(response)

    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        yield from parsed_json(response).get(self.records_key) or []
