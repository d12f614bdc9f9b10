"""Reference data (full table each run): companies, employees, tax codes, tag groups and tags, chart of
accounts, vendors. `start_date` does not apply: these endpoints cannot filter by date."""

from __future__ import annotations

import typing as t

from singer_sdk import typing as th

from tap_pleo.client import PleoStream
from tap_pleo.schema_objects import DT, B, D, S, obj


class _Reference(PleoStream):
    primary_keys = ("id",)


class CompaniesStream(_Reference):
    """`GET /v1/companies` (every company the credentials can see)."""

    name = "companies"
    path = "/v1/companies"
    company_param = None
    schema = th.PropertiesList(
        th.Property("id", S, required=True), th.Property("name", S), th.Property("organizationId", S),
        th.Property("address", obj(th.Property("country", S))), th.Property("registrationNumber", S),
        th.Property("vatNumber", S), th.Property("currency", S), th.Property("timezone", S), th.Property("createdAt", DT),
    ).to_dict()


class EmployeesStream(_Reference):
    """`GET /v2/employees?companyId=` (camelCase on v2)."""

    name = "employees"
    path = "/v2/employees"
    company_param = "companyId"
    schema = th.PropertiesList(
        th.Property("id", S, required=True), th.Property("companyId", S), th.Property("firstName", S),
        th.Property("lastName", S), th.Property("email", S), th.Property("code", S), th.Property("role", S),
        th.Property("status", S), th.Property("teamId", S), th.Property("createdAt", DT),
    ).to_dict()


class TaxCodesStream(_Reference):
    """`POST /v0/tax-codes:search?company_id=`."""

    name = "tax_codes"
    path = "/v0/tax-codes:search"
    http_method = "POST"
    schema = th.PropertiesList(
        th.Property("id", S, required=True), th.Property("companyId", S), th.Property("code", S), th.Property("name", S),
        th.Property("rate", D, description="Fraction, e.g. 0.25 for 25 %."),
        th.Property("type", S, description="inclusive | exclusive | reverse"),
        th.Property("ingoingTaxAccount", S), th.Property("outgoingTaxAccount", S), th.Property("archived", B),
        th.Property("createdAt", DT),
    ).to_dict()

    def prepare_request_payload(self, context: t.Any, next_page_token: t.Any) -> dict:
        return {}


class TagGroupsStream(_Reference):
    """`GET /v0/tag-groups?company_id=`; its tags are the child stream `tags`."""

    name = "tag_groups"
    path = "/v0/tag-groups"
    schema = th.PropertiesList(
        th.Property("id", S, required=True), th.Property("companyId", S), th.Property("code", S),
        th.Property("name", S), th.Property("archived", B), th.Property("createdAt", DT),
    ).to_dict()

    def generate_child_contexts(self, record: dict, context: t.Any) -> t.Iterable[dict]:
        yield {"tagGroupId": record["id"]}


class TagsStream(_Reference):
    """`GET /v0/tag-groups/{id}/tags` for every tag group."""

    name = "tags"
    path = "/v0/tag-groups/{tagGroupId}/tags"
    parent_stream_type = TagGroupsStream
    state_partitioning_keys: t.ClassVar[list[str]] = []
    company_param = None
    schema = th.PropertiesList(
        th.Property("id", S, required=True), th.Property("groupId", S), th.Property("groupCode", S),
        th.Property("code", S), th.Property("name", S), th.Property("archived", B),
    ).to_dict()

    @property
    def emit_activate_version_messages(self) -> bool:
        return False  # synced once per group: a new table version per group would drop the other groups' tags


class AccountsStream(_Reference):
    """`POST /v1/chart-of-accounts:search?company_id=`."""

    name = "accounts"
    path = "/v1/chart-of-accounts:search"
    http_method = "POST"
    schema = th.PropertiesList(
        th.Property("id", S, required=True), th.Property("companyId", S), th.Property("code", S), th.Property("name", S),
        th.Property("identifier", S), th.Property("type", S), th.Property("archived", B),
        th.Property("createdAt", DT), th.Property("updatedAt", DT),
    ).to_dict()

    def prepare_request_payload(self, context: t.Any, next_page_token: t.Any) -> dict:
        return {}


class VendorsStream(_Reference):
    """`POST /v1/vendors:search?company_id=`."""

    name = "vendors"
    path = "/v1/vendors:search"
    http_method = "POST"
    schema = th.PropertiesList(
        th.Property("id", S, required=True), th.Property("companyId", S), th.Property("name", S),
        th.Property("defaultCurrency", S), th.Property("country", S), th.Property("categoryCode", S),
        th.Property("code", S), th.Property("taxIdentifier", S), th.Property("archived", B), th.Property("createdAt", DT),
    ).to_dict()

    def prepare_request_payload(self, context: t.Any, next_page_token: t.Any) -> dict:
        return {}
