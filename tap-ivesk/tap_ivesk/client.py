"""Base stream for Įvesk: `x-api-key` auth, the shared HTTP policy (tapkit), UTC timestamps."""

from __future__ import annotations

import datetime
import typing as t

from singer_sdk import RESTStream
from singer_sdk.exceptions import FatalAPIError

from tapkit.http import ProviderHTTPMixin, describe, parsed_json

if t.TYPE_CHECKING:
    import requests

UTC = datetime.timezone.utc
ONE_MS = datetime.timedelta(milliseconds=1)


def parse_ts(value: t.Any) -> datetime.datetime:
    """An Įvesk timestamp (`2020-12-18T11:52:42.313Z`, any ISO 8601) as an aware UTC datetime."""
    if isinstance(value, datetime.datetime):
        moment = value
    else:
        moment = datetime.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def to_utc_iso(value: t.Any) -> str | None:
    """Normalised UTC ISO 8601 with microseconds (what records and bookmarks hold; sortable as text)."""
    if value in (None, ""):
        return None
    return parse_ts(value).isoformat(timespec="microseconds")


def api_time(moment: datetime.datetime) -> str:
    """A timestamp the way Įvesk sends and takes them: UTC, milliseconds, `Z`."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class IveskStream(ProviderHTTPMixin, RESTStream):
    """An Įvesk endpoint under `api_url` (production `https://app.ivesk.lt/api/pub`)."""

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
