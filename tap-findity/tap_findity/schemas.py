"""Sub-schemas of the Findity streams that are not the stream's own list of fields."""

from __future__ import annotations

from singer_sdk import typing as th
from tapkit.schema import Boolean, String

RECIPIENT = th.ObjectType(
    th.Property("id", String),
    th.Property("name", String),
    th.Property("type", String),
    th.Property(
        "verificationListsType",
        String,
        description="The voucher output format of this export: "
        "REPORT_PER_EXPENSE, REPORT_PER_ACCOUNT, USER_PER_EXPENSE, USER_PER_ACCOUNT, EXPENSE, "
        "REPORT_PER_REPORT_PAID, USER_PER_REPORT_PAID or REPORT_PER_EXPENSE_PAID.",
    ),
    th.Property("bookkeeping", Boolean),
    th.Property("webhookUrl", String),
    additional_properties=True,
)
