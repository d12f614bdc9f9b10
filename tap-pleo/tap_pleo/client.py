"""Base stream for Pleo: the shared HTTP policy (tapkit), `{data, pagination}` bodies, paged by Pleo's cursor
(`pagination.py`)."""

from __future__ import annotations

import typing as t

from singer_sdk import RESTStream
from tapkit.http import MalformedResponseError, ProviderHTTPMixin, parsed_json

from tap_pleo.pagination import PleoCursorPaginator

if t.TYPE_CHECKING:
    import requests

MAX_PAGE = 100  # the largest `limit` Pleo takes (the default `page_size`)


class PleoStream(ProviderHTTPMixin, RESTStream):
    """A Pleo list endpoint answering `{data: [...], pagination}`."""

    records_jsonpath = "$.data[*]"
    required_body_keys = ("data",)
    #: name of the company parameter on this endpoint (`company_id`, or `companyId` on /v2/employees)
    company_param: t.ClassVar[str | None] = "company_id"

    @property
    def page_size(self) -> int:
        return int(self.config.get("page_size") or MAX_PAGE)

    def get_new_paginator(self) -> PleoCursorPaginator:
        return PleoCursorPaginator()

    def get_url_params(self, context: t.Any, next_page_token: t.Any) -> dict[str, t.Any]:
        params: dict[str, t.Any] = {"limit": self.page_size}
        if self.company_param:
            params[self.company_param] = self._tap.company_id
        if next_page_token:
            params["after"] = next_page_token
        return params

    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        data = parsed_json(response).get("data")
        if not isinstance(data, list):
            msg = f"{response.request.method} {response.request.path_url.split('?')[0]}: `data` is not a list"
            raise MalformedResponseError(msg, response)
        yield from data

    def list_all(self, path: str, params: dict | None = None) -> t.Iterator[dict]:
        """Every record of a cursor-paged `GET` list outside the stream's own paging (`after=endCursor`
        while `hasNextPage`)."""
        after = None
        while True:
            query = {"limit": MAX_PAGE, **(params or {}), **({"after": after} if after else {})}
            body = self.request_json("GET", path, params=query, required=("data",))
            yield from body["data"]
            pagination = body.get("pagination") or {}
            if not pagination.get("hasNextPage") or not pagination.get("endCursor"):
                return
            after = pagination["endCursor"]

    def send(self, method: str, path: str, *, json: t.Any = None) -> requests.Response:
        """A request whose answer may have no body (202 of job events): only the status is checked."""
        prepared = self.build_prepared_request(
            method=method, url=f"{self.url_base}{path}", json=json, headers=self.http_headers
        )
        self._tapkit_no_body = True
        try:
            return self.request_decorator(self._request)(prepared, None)
        finally:
            self._tapkit_no_body = False

    def validate_response(self, response: requests.Response) -> None:
        if getattr(self, "_tapkit_no_body", False):
            self.validate_status(response)
            return
        super().validate_response(response)
