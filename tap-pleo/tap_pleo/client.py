"""Base stream for Pleo: the shared HTTP policy (tapkit), `{data, pagination}` bodies, paged by Pleo's cursor
(`pagination.py`), one partition per company.

A company-scoped stream is read once per company of the run (`TapPleo.company_ids`: `company_id`, or the
`company_ids`), each company a partition `{"companyId": ...}` with its own state; its children get the company
in their context. Every record names the company in `companyId` (tapkit.tenant), the one its request asked
for.
"""

from __future__ import annotations

import typing as t

from singer_sdk import RESTStream
from tapkit.http import MalformedResponseError, ProviderHTTPMixin, parsed_json
from tapkit.streams import SharedTokenRetry
from tapkit.tenant import TenantStream

from tap_pleo.pagination import PleoCursorPaginator

if t.TYPE_CHECKING:
    import requests

MAX_PAGE = 100  # the largest `limit` Pleo takes (the default `page_size`)
COMPANY = "companyId"  # the key of a company in stream contexts and state partitions, and the records' field


def adopt_unpartitioned_state(stream: t.Any) -> None:
    """Carry a stream's state from before company partitions (one company per run, its bookmarks at the
    stream's level) over to the partition of that company: the configured `company_id`, or the run's only
    company. When that company is not read by this run, the old state is dropped with a warning: every
    company starts from `start_date` (records read again, none missed)."""
    state = stream.stream_state
    old = {key: value for key, value in state.items() if key != "partitions"}
    if not old:
        return
    for key in old:
        del state[key]
    companies = stream._tap.company_ids
    owner = stream.config.get("company_id") or (companies[0] if len(companies) == 1 else None)
    if owner not in companies:
        whose = f"company_id {owner}, which this run does not read" if owner else "no company_id"
        stream.logger.warning(
            "The state of %s from before company partitions belongs to %s: dropped, this run reads its companies "
            "from start_date",
            stream.name,
            whose,
        )
        return
    partition = stream.get_context_state({COMPANY: owner})
    if set(partition) <= {"context"}:
        partition.update(old)
        stream.logger.info("The state of %s from before company partitions is company %s's", stream.name, owner)


class PleoStream(TenantStream, SharedTokenRetry, ProviderHTTPMixin, RESTStream):
    """A Pleo list endpoint answering `{data: [...], pagination}`."""

    records_jsonpath = "$.data[*]"
    required_body_keys = ("data",)
    #: name of the company parameter on this endpoint (`company_id`, or `companyId` on /v2/employees)
    company_param: t.ClassVar[str | None] = "company_id"
    #: whether the stream reads one company at a time (false: `companies`, the list of them)
    company_scoped: t.ClassVar[bool] = True
    tenant_field = "companyId"

    @property
    def page_size(self) -> int:
        return int(self.config.get("page_size") or MAX_PAGE)

    @property
    def partitions(self) -> list[dict] | None:
        """One per company of the run; none for a child (its context has its parent's company)."""
        if not self.company_scoped or self.parent_stream_type is not None:
            return None
        return [{COMPANY: company} for company in self._tap.company_ids]

    def tenant_id(self, context: t.Any) -> str | None:
        return context[COMPANY] if self.company_scoped else None

    def sync(self, context: t.Any = None) -> None:
        if context is None and self.partitions:
            adopt_unpartitioned_state(self)
        super().sync(context)

    def get_new_paginator(self) -> PleoCursorPaginator:
        return PleoCursorPaginator()

    def get_url_params(self, context: t.Any, next_page_token: t.Any) -> dict[str, t.Any]:
        params: dict[str, t.Any] = {"limit": self.page_size}
        if self.company_param:
            params[self.company_param] = context[COMPANY]
        if next_page_token:
            params["after"] = next_page_token
        return params

    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        data = parsed_json(response).get("data")
        if not isinstance(data, list):
            msg = f"{response.request.method} {response.request.path_url.split('?')[0]}: `data` is not a list"
            raise MalformedResponseError(msg, response)
        yield from data

    def list_all(
        self, path: str, params: dict | None = None, *, method: str = "GET", json: t.Any = None
    ) -> t.Iterator[dict]:
        """Every record of a cursor-paged list outside the stream's own paging (`after=endCursor` while
        `hasNextPage`); a `:search` is a POST with its filter body `json` on every page."""
        after = None
        while True:
            query = {"limit": MAX_PAGE, **(params or {}), **({"after": after} if after else {})}
            body = self.request_json(method, path, params=query, json=json, required=("data",))
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
