"""Įvesk emulator settings and the sandbox credentials."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..framework.config import RESET_HINT_SEED_SCALE, SandboxConfig, check_between, check_int, check_number

# Sandbox credentials (documented in sandbox/README.md). Real keys look like `dp_…`.
API_KEY = "dp_sandbox_8f3a1c5e9b7d4f20"
ACCOUNT_ID = "777756e2-a246-4031-93e2-5dcace3ccccc"  # the account the key belongs to (SNS MessageAttributes)
# Presigning secret of the emulated S3 buckets (never an API credential; only signs URLs).
S3_SECRET = b"sandbox-s3-presign-secret"
S3_ACCESS_KEY_ID = "ASIAQDMJYDC73SANDBOX"
S3_SECURITY_TOKEN = "IQoJb3JpZ2luX2VjEFsandboxsessiontoken"

SCHEMA_URL = "https://app.ivesk.lt/api/schema/jsonexport.json"
PAGE_SIZE = 100  # documents evaluated per queue page ("pages of ~100 documents")
COLUMNS_PAGE_SIZE = 50  # [I] code-list page size
COLUMN_NAMES = ("allocation", "department", "warehouse", "object")


@dataclass
class IveskConfig(SandboxConfig):
    seed: int = 42
    scale: int = 200  # seeded documents in the account (both queues together)
    digitize_delay: float = 2.0  # seconds an uploaded file spends in digitization (real: up to 12 hours)
    upload_url_lifetime: int = 900  # seconds a presigned upload URL stays valid
    pdf_url_lifetime: int = 3600  # seconds a document's presigned PDF URL stays valid
    page_size: int = PAGE_SIZE
    columns_page_size: int = COLUMNS_PAGE_SIZE
    rate_limit: int = 0  # requests per rolling minute (Įvesk publishes none); 0 disables
    webhook_retry_base: float = 20.0  # first SNS redelivery delay in seconds (doubles, capped at 600)
    # [I] variants of undocumented queue behaviour, so clients can be tested against each reading:
    from_inclusive: bool = False  # `from` returns documents AT the timestamp too (default: strictly after)
    split_ties: bool = False  # pages are exactly page_size, even between documents sharing a timestamp
    clock: Callable[[], datetime] | None = None  # returns an aware UTC datetime; None = real time
    # the account's client companies (company codes) the documents belong to (multi-tenant mode: README)
    companies: int = 3

    RUNTIME = (
        "digitize_delay",
        "upload_url_lifetime",
        "pdf_url_lifetime",
        "page_size",
        "columns_page_size",
        "rate_limit",
        "webhook_retry_base",
        "from_inclusive",
        "split_ties",
    )
    RESET_HINT = RESET_HINT_SEED_SCALE
    TENANT_SETTINGS = ("companies",)

    def __post_init__(self) -> None:
        if self.scale < 0 or self.scale >= 50_000_000:
            raise ValueError("scale must be >= 0 and < 50,000,000")
        check_between("companies", self.companies, 1, 1000)
        if self.page_size < 1 or self.columns_page_size < 1:
            raise ValueError("page sizes must be >= 1")

    @classmethod
    def tenant_settings(cls, count: int) -> dict[str, Any]:
        return {"companies": count}

    def check_setting(self, key: str, kind: type, value: Any) -> Any:
        if kind is int:
            check_number(key, value)  # a non-number is refused as one, before a fraction is
            if check_int(key, value) < 1 and key.endswith("page_size"):
                raise ValueError(f"{key!r} must be >= 1")
        return super().check_setting(key, kind, value)
