"""Reference data (full table each run): companies, employees, tax codes, tag groups and tags, chart of
accounts, vendors. `start_date` does not apply: these endpoints cannot filter by date."""

from __future__ import annotations

import typing as t

from singer_sdk import typing as th
from tapkit.schema import Boolean, DateTime, Decimal, Integer, String, obj, opt, opts, req, reqs
from tapkit.streams import OncePerParentChild

from tap_pleo.client import COMPANY, PleoStream
from tap_pleo.schemas import COMPANY_ID, COMPANY_ID_IN_BODY

#: the first fields of most reference records: their id and their company
COMPANY_RECORD = (req("id", String), COMPANY_ID_IN_BODY)
CREATED_UPDATED = (req("createdAt", DateTime), req("updatedAt", DateTime))


class _Reference(PleoStream):
    """One small class per endpoint (name, path, parameters, schema): the classes look alike, by design."""

    primary_keys = ("id",)


class CompaniesStream(_Reference):
    """`GET /v1/companies` (every company the credentials can see)."""

    name = "companies"
    path = "/v1/companies"
    company_param = None
    company_scoped = False  # the organization's list of companies: each record's `id` is a company id
    schema = th.PropertiesList(  # ExternalCompanyResponseModel
        *reqs(String, "id", "name"),
        opt("organizationId", String),
        req(
            "address", obj(*opts(String, "addressLine1", "addressLine2", "locality", "postalCode", "region", "country"))
        ),
        opt("registrationNumber", String),
    ).to_dict()


class EmployeesStream(_Reference):
    """`GET /v2/employees?companyId=` (camelCase on v2)."""

    name = "employees"
    path = "/v2/employees"
    company_param = "companyId"
    schema = th.PropertiesList(  # ExternalEmployeeResponseModel
        *COMPANY_RECORD,
        *reqs(String, "firstName", "lastName", "email"),
        *opts(String, "code", "jobTitle", "phone"),
    ).to_dict()


class TaxCodesStream(_Reference):
    """`POST /v0/tax-codes:search?company_id=`."""

    name = "tax_codes"
    path = "/v0/tax-codes:search"
    http_method = "POST"
    schema = th.PropertiesList(  # TaxCodeModel
        *COMPANY_RECORD,
        opt("code", String),
        req("name", String),
        req("rate", Decimal, "Fraction, e.g. 0.25 for 25 %."),
        req("type", String, "inclusive | exclusive | reverse"),
        *opts(String, "ingoingTaxAccount", "outgoingTaxAccount"),
        req("archived", Boolean),
        opt("accountingIntegrationSystem", String),
        *CREATED_UPDATED,
    ).to_dict()

    def prepare_request_payload(self, context: t.Any, next_page_token: t.Any) -> dict:
        return {}


class TagGroupsStream(_Reference):
    """`GET /v0/tag-groups?company_id=` (one list, not paged); its tags are the child stream `tags`."""

    name = "tag_groups"
    path = "/v0/tag-groups"
    schema = th.PropertiesList(  # TagGroupModel
        *COMPANY_RECORD,
        *reqs(String, "code", "name"),
        req("archived", Boolean),
        opt("totalTagsCount", Integer),
        req("metadata", th.CustomType({"type": "object", "additionalProperties": {"type": "string"}})),
        *CREATED_UPDATED,
    ).to_dict()

    def get_url_params(self, context: t.Any, next_page_token: t.Any) -> dict[str, t.Any]:
        # one unpaged list (DataResponseListTagGroupModel); with the number of tags of each group
        return {"company_id": context[COMPANY], "include_tags_count": "true"}

    def generate_child_contexts(self, record: dict, context: t.Any) -> t.Iterable[dict]:
        yield {COMPANY: context[COMPANY], "tagGroupId": record["id"]}


class TagsStream(OncePerParentChild, _Reference):
    """`GET /v0/tag-groups/{id}/tags` for every tag group."""

    name = "tags"
    path = "/v0/tag-groups/{tagGroupId}/tags"
    parent_stream_type = TagGroupsStream
    company_param = None
    schema = th.PropertiesList(  # TagModel
        *reqs(String, "id", "groupId", "code"),
        COMPANY_ID,
        opt("name", String),
        req("archived", Boolean),
        *CREATED_UPDATED,
    ).to_dict()


class AccountsStream(_Reference):
    """`POST /v1/chart-of-accounts:search` with the company in the body (`BookkeepingAccountSearchRequestV1`)."""

    name = "accounts"
    path = "/v1/chart-of-accounts:search"
    http_method = "POST"
    company_param = None  # the company goes in the body
    schema = th.PropertiesList(  # BookkeepingAccountRestModelV1
        *COMPANY_RECORD,
        opt("code", String),
        req("name", String),
        req("externalId", String, "The account's id in the accounting system."),
        opt("taxCodeExternalId", String),
        req("archived", Boolean),
        opt("metadata", th.CustomType({"type": ["object", "null"]})),
    ).to_dict()

    def prepare_request_payload(self, context: t.Any, next_page_token: t.Any) -> dict:
        # the two flags are required; false = every account, also those bound to a category or contra account
        return {
            "companyId": context[COMPANY],
            "excludeIfAssignedToCategory": False,
            "excludeIfAssignedToContraAccount": False,
        }


class VendorsStream(_Reference):
    """`POST /v1/vendors:search?company_id=`."""

    name = "vendors"
    path = "/v1/vendors:search"
    http_method = "POST"
    schema = th.PropertiesList(  # VendorResponse
        *COMPANY_RECORD,
        *reqs(String, "name", "defaultCurrency"),
        *opts(String, "country", "code"),
        req("state", String, "DRAFT | ACTIVE | ARCHIVED"),
        *opts(String, "externalId", "registrationNumber", "taxRegistrationNumber", "accountingSystem"),
        *opts(DateTime, "createdAt", "updatedAt"),
    ).to_dict()

    def prepare_request_payload(self, context: t.Any, next_page_token: t.Any) -> dict:
        return {}
