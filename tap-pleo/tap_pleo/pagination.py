"""Pleo's cursor pagination: `after=endCursor` until `hasNextPage` is false."""

from __future__ import annotations

import typing as t

from singer_sdk.pagination import BaseAPIPaginator
from tapkit.http import MalformedResponseError, parsed_json

if t.TYPE_CHECKING:
    import requests


class PleoCursorPaginator(BaseAPIPaginator[str | None]):
    """Token = the `after` cursor. Next page: `pagination.endCursor` while `pagination.hasNextPage`."""

    def __init__(self) -> None:
        super().__init__(None)

    def get_next(self, response: requests.Response) -> str | None:
        pagination = parsed_json(response).get("pagination") or {}
        if not pagination.get("hasNextPage"):
            return None
        cursor = pagination.get("endCursor")
        if not cursor:
            msg = f"{response.request.method} {response.request.path_url.split('?')[0]}: hasNextPage without endCursor"
            raise MalformedResponseError(msg, response)
        return str(cursor)
