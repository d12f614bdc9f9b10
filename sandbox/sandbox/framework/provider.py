"""What the shared machinery (middleware, admin router) needs from one provider emulator."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from starlette.responses import Response

from .faults import FaultInjector
from .ratelimit import RollingWindowLimiter
from .requestlog import RequestLog
from .timeutil import to_ms, utc_now


class ApiError(Exception):
    """Raised by route code; rendered in the provider's own error shape by the app's exception handler."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.errors = errors
        self.headers = dict(headers or {})


class AdminError(ValueError):
    """Bad input to an admin endpoint (answered 400 ``{"error": ...}``)."""


class SandboxProvider:
    """Base class of one emulator's state. Subclasses override the hooks below.

    It owns the provider-independent runtime pieces (request log, fault rules, rate limiter) so a
    ``reset`` can clear them together with the provider's data.
    """

    name = "provider"

    def __init__(self) -> None:
        self.request_log = RequestLog()
        self.faults = FaultInjector()
        self.limiter = RollingWindowLimiter(window=60.0)

    # -- time -------------------------------------------------------------------------------------
    def now(self) -> datetime:
        return utc_now()

    def now_ms(self) -> int:
        return to_ms(self.now())

    # -- hooks used by the middleware -------------------------------------------------------------
    def error_response(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        raise NotImplementedError

    def organization_of(self, scope: dict[str, Any]) -> str | None:
        """The organization/company a request belongs to (request log, rate-limit key)."""
        return None

    def is_rate_limited(self, scope: dict[str, Any]) -> bool:
        """Whether this request counts against the rate limit (token endpoints usually do not)."""
        return True

    @property
    def rate_limit(self) -> int:
        """Requests per rolling minute per organization; 0 disables."""
        return 0

    def expire_tokens(self) -> None:
        """Revoke every access token (fault ``expire_tokens``)."""

    def validate_mutate(self, params: dict[str, Any]) -> None:
        raise AdminError("this provider has no 'mutate' fault")

    def mutate(self, params: dict[str, Any]) -> Any:
        raise AdminError("this provider has no 'mutate' fault")

    # -- hooks used by the admin router -----------------------------------------------------------
    def ground_truth(self) -> dict[str, Any]:
        raise NotImplementedError

    def config_view(self) -> dict[str, Any]:
        return {}

    def update_config(self, changes: dict[str, Any]) -> dict[str, Any]:
        raise AdminError("this provider has no run-time settings")

    def reset(self, params: dict[str, Any]) -> dict[str, Any]:
        self.clear_runtime()
        return self.config_view()

    def clear_runtime(self) -> None:
        self.request_log.clear()
        self.faults.clear()
        self.limiter.clear()
