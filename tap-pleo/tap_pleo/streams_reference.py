"""Reference data (full table each run): companies, employees, tax codes, tag groups and tags, chart of
accounts, vendors. `start_date` does not apply: these endpoints cannot filter by date."""

from __future__ import annotations

import typing as t

from singer_sdk import typing as th

from tap_pleo.client import PleoStream
from tap_pleo.schema_objects import DT, B, D, I, S, obj, req
from tapkit.streams import OncePerParentChild


class _Reference(PleoStream):
    primary_keys = ("id",)


class CompaniesStream(_Reference):
    """`GET /v1/companies` (every company the credentials can see)."""

    name = "companies"
    path = "/v1/companies"
    company_param = None
    schema = th.PropertiesList(  # ExternalCompanyResponseModel
        th.Property("id", S, required=True), req("name", S), th.Property("organizationId", S),
        req("address", obj(*(th.Property(k, S) for k in ("addressLine1", "addressLine2", "locality", "postalCode",
                                                                "region", "country")))),
        th.Property("registrationNumber", S),
    ).to_dict()


class EmployeesStream(_Reference):
    """`GET /v2/employees?companyId=` (camelCase on v2)."""

    name = "employees"
    path = "/v2/employees"
    company_param = "companyId"
    schema = th.PropertiesList(  # ExternalEmployeeResponseModel
        th.Property("id", S, required=True), req("companyId", S), req("firstName", S),
        req("lastName", S), req("email", S), th.Property("code", S), th.Property("jobTitle", S),
        th.Property("phone", S),
    ).to_dict()


class TaxCodesStream(_Reference):
    """`POST /v0/tax-codes:search?company_id=`."""

    name = "tax_codes"
    path = "/v0/tax-codes:search"
    http_method = "POST"
    schema = th.PropertiesList(  # TaxCodeModel
        th.Property("id", S, required=True), req("companyId", S), th.Property("code", S), req("name", S),
        req("rate", D, description="Fraction, e.g. 0.25 for 25 %."),
        req("type", S, description="inclusive | exclusive | reverse"),
        th.Property("ingoingTaxAccount", S), th.Property("outgoingTaxAccount", S), req("archived", B),
        th.Property("accountingIntegrationSystem", S), req("createdAt", DT), req("updatedAt", DT),
    ).to_dict()

    def prepare_request_payload(self, context: t.Any, next_page_token: t.Any) -> dict:
        return {}


class TagGroupsStream(_Reference):
    """`GET /v0/tag-groups?company_id=` (one list, not paged); its tags are the child stream `tags`."""

    name = "tag_groups"
    path = "/v0/tag-groups"
    schema = th.PropertiesList(  # TagGroupModel
        th.Property("id", S, required=True), req("companyId", S), req("code", S),
        req("name", S), req("archived", B), th.Property("totalTagsCount", I),
        req("metadata", th.CustomType({"type": "object", "additionalProperties": {"type": "string"}})),
        req("createdAt", DT), req("updatedAt", DT),
    ).to_dict()

    def get_url_params(self, context: t.Any, next_page_token: t.Any) -> dict[str, t.Any]:
        # one unpaged list (DataResponseListTagGroupModel); with the number of tags of each group
        return {"company_id": self._tap.company_id, "include_tags_count": "true"}

    def generate_child_contexts(self, record: dict, context: t.Any) -> t.Iterable[dict]:
        yield {"tagGroupId": record["id"]}


class TagsStream(OncePerParentChild, _Reference):
    """`GET /v0/tag-groups/{id}/tags` for every tag group."""

    name = "tags"
    path = "/v0/tag-groups/{tagGroupId}/tags"
    parent_stream_type = TagGroupsStream
    company_param = None
    schema = th.PropertiesList(  # TagModel
        th.Property("id", S, required=True), req("groupId", S), req("code", S), th.Property("name", S),
        req("archived", B), req("createdAt", DT), req("updatedAt", DT),
    ).to_dict()


class AccountsStream(_Reference):
    """`POST /v1/chart-of-accounts:search` with the company in the body (`BookkeepingAccountSearchRequestV1`)."""

    name = "accounts"
    path = "/v1/chart-of-accounts:search"
    http_method = "POST"
    company_param = None  # the company goes in the body
    schema = th.PropertiesList(  # BookkeepingAccountRestModelV1
        th.Property("id", S, required=True), req("companyId", S), th.Property("code", S), req("name", S),
        req("externalId", S, description="The account's id in the accounting system."),
        th.Property("taxCodeExternalId", S), req("archived", B),
        th.Property("metadata", th.CustomType({"type": ["object", "null"]})),
    ).to_dict()

    def prepare_request_payload(self, context: t.Any, next_page_token: t.Any) -> dict:
        # the two flags are required; false = every account, also those bound to a category or contra account
        return {"companyId": self._tap.company_id, "excludeIfAssignedToCategory": False,
                "excludeIfAssignedToContraAccount": False}


class VendorsStream(_Reference):
    """`POST /v1/vendors:search?company_id=`."""

    name = "vendors"
    path = "/v1/vendors:search"
    http_method = "POST"
    schema = th.PropertiesList(  # VendorResponse
        th.Property("id", S, required=True), req("companyId", S), req("name", S),
        req("defaultCurrency", S), th.Property("country", S), th.Property("code", S),
        req("state", S, description="DRAFT | ACTIVE | ARCHIVED"), th.Property("externalId", S),
        th.Property("registrationNumber", S), th.Property("taxRegistrationNumber", S),
        th.Property("accountingSystem", S), th.Property("createdAt", DT), th.Property("updatedAt", DT),
    ).to_dict()

    def prepare_request_payload(self, context: t.Any, next_page_token: t.Any) -> dict:
        return {}
