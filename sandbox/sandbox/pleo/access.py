"""What the credentials of a request may read: the organization and which of its companies.

The organization's API key and OAuth tokens (``auth.py``) read every company of the organization; a
company-scoped API key (``config.company_api_key``: HTTP Basic user name, empty password) reads only its
company. A company the credentials may not read is answered as one that does not exist for them: 403
``FORBIDDEN`` where a company id is given, 404 for a job, entry or tag group of another company.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..framework.oauth import basic_credentials
from ..framework.provider import ApiError
from .config import COMPANY_KEY_PREFIX, ORGANIZATION_ID
from .state import CompanyData, PleoState


@dataclass(frozen=True)
class Access:
    organization: str
    companies: tuple[CompanyData, ...]

    def company(self, company_id: str | None) -> CompanyData:
        """The company's data, or 403 FORBIDDEN (not a company these credentials may read)."""
        for data in self.companies:
            if data.company.id == company_id:
                return data
        raise ApiError(403, f"No access to company {company_id}", code="FORBIDDEN")


def company_key_company(headers: Any, state: PleoState) -> CompanyData | None:
    """The company of a company-scoped API key in the request's ``Authorization`` header, else None."""
    basic = basic_credentials(headers.get("authorization") if headers is not None else None)
    if basic is None or basic[1] != "" or not basic[0].startswith(COMPANY_KEY_PREFIX):
        return None
    return state.company(basic[0][len(COMPANY_KEY_PREFIX) :])


def company_key_access(headers: Any, state: PleoState) -> Access | None:
    """The access of a company-scoped API key (its one company), else None."""
    data = company_key_company(headers, state)
    return None if data is None else Access(ORGANIZATION_ID, (data,))
