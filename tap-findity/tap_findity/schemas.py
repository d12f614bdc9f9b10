"""Sub-schemas of the Findity streams that are not the stream's own list of fields."""

from __future__ import annotations

from singer_sdk import typing as th
from tapkit.schema import Boolean, String, opt, opts
from tapkit.tenant import tenant_property

_ORGANIZATION = "the Findity organization the record was read from, the `{organizationId}` of the request's path"
#: the tenant of every record (tapkit.tenant); exports have `organizationId` in Findity's body already
ORGANIZATION_ID = tenant_property("organizationId", _ORGANIZATION)
ORGANIZATION_ID_IN_BODY = tenant_property("organizationId", _ORGANIZATION, in_body=True, required=False)

RECIPIENT = th.ObjectType(
    *opts(String, "id", "name", "type"),
    opt(
        "verificationListsType",
        String,
        "The voucher output format of this export: REPORT_PER_EXPENSE, REPORT_PER_ACCOUNT, USER_PER_EXPENSE, "
        "USER_PER_ACCOUNT, EXPENSE, REPORT_PER_REPORT_PAID, USER_PER_REPORT_PAID or REPORT_PER_EXPENSE_PAID.",
    ),
    opt("bookkeeping", Boolean),
    opt("webhookUrl", String),
    additional_properties=True,
)
