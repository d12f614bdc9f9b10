"""What the shared machinery (middleware, admin router) needs from one provider emulator.

``ApiError`` and ``AdminError`` (``errors.py``) are imported from here by the emulators."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .errors import AdminError, ApiError, admin_int
from .faults import FaultInjector
from .jsonutil import json_response
from .latency import Latency
from .ratelimit import RollingWindowLimiter
from .requestlog import RequestLog
from .timeutil import to_ms, utc_now


async def current_provider(request: Request) -> Any:
    """FastAPI dependency: the provider of the app serving the request (``build_app`` keeps it in ``app.state``).
    Each emulator annotates it with its own class: ``Annotated[PleoProvider, Depends(current_provider)]``."""
    return request.app.state.provider


class SandboxProvider:
    """Base class of one emulator's state. Subclasses override the hooks below.

    It owns the provider-independent runtime pieces (request log, fault rules, rate limiter) so a
    ``reset`` can clear them together with the provider's data.
    """

    name = "provider"
    #: the published contract (``sandbox.contract.load(name)``) requests are validated against, if any
    contract_name: str | None = None
    #: the provider's error code for a request its contract refuses (None: its default code for 400)
    contract_error_code: str | None = None
    #: paths served by the provider's pre-signed file host (their latency is ``latency.files``)
    file_prefixes: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.request_log = RequestLog()
        self.faults = FaultInjector()
        self.limiter = RollingWindowLimiter(window=60.0)
        #: the network's round trip (``sandbox serve --latency``; a test sets it directly); kept by resets
        self.latency = Latency()

    @property
    def contract(self) -> Any:
        if self.contract_name is None:
            return None
        from ..contract import load

        return load(self.contract_name)

    # -- time -------------------------------------------------------------------------------------
    def now(self) -> datetime:
        return utc_now()

    def now_ms(self) -> int:
        return to_ms(self.now())

    # -- hooks used by the middleware -------------------------------------------------------------
    #: the provider's error code per HTTP status, for an error raised without one
    error_codes: Mapping[int, str] = {}
    #: the code of a status below 500 that ``error_codes`` lacks (5xx: ``INTERNAL_SERVER_ERROR``)
    default_error_code = "BAD_REQUEST"

    def error_response(self, error: ApiError) -> Response:
        """Any error the app answers (a route's, the middleware's, a fault's), as JSON in the provider's shape."""
        fallback = "INTERNAL_SERVER_ERROR" if error.status >= 500 else self.default_error_code
        code = error.code or self.error_codes.get(error.status, fallback)
        body = self.error_body(error.message, code, error.errors)
        return json_response(body, status=error.status, headers=error.headers)

    def error_body(self, message: str, code: str, errors: list[dict[str, Any]] | None) -> dict[str, Any]:
        """The provider's error body for ``message``, its ``code`` and any per-field ``errors``."""
        raise NotImplementedError

    def organization_of(self, scope: dict[str, Any]) -> str | None:
        """The organization/company a request belongs to (request log, rate-limit key)."""
        return None

    def is_rate_limited(self, scope: dict[str, Any]) -> bool:
        """Whether this request counts against the rate limit (token endpoints usually do not)."""
        return True

    def is_file_request(self, scope: dict[str, Any]) -> bool:
        """Whether this request goes to the pre-signed file host (``file_prefixes``), not the API."""
        return scope["path"].startswith(self.file_prefixes) if self.file_prefixes else False

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

    def tenants(self) -> list[dict[str, Any]]:
        """The tenants (``GET /_sandbox/tenants``), the default one first: ``{"id": <the tap's scope id>,
        "name", …}`` each, with what a tap needs to read it (its credentials where they differ per tenant)."""
        return []

    def tenant_ground_truth(self, tenant: str) -> dict[str, Any]:
        """The ground truth of one tenant (a known id of :meth:`tenants`), in the shape of :meth:`ground_truth`."""
        raise NotImplementedError

    def checked_tenant(self, tenant: str) -> str:
        """``tenant`` if it is the id of one of :meth:`tenants`, else AdminError naming them."""
        ids = [t["id"] for t in self.tenants()]
        if tenant not in ids:
            raise AdminError(f"unknown tenant {tenant!r}; the tenants are {', '.join(ids) or '(none)'}")
        return tenant

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


def reset_values(params: dict[str, Any], current: dict[str, Any], *, takes: str, hint: str = "") -> dict[str, Any]:
    """The ``POST /_sandbox/reset`` parameters: only the keys of ``current`` (their defaults), each an int >= 0."""
    extra = set(params) - set(current)
    if extra:
        raise AdminError(f"reset takes only {takes} (got {', '.join(sorted(extra))}){hint}")
    return {key: admin_int(params, key, default) for key, default in current.items()}


class ConfiguredProvider(SandboxProvider):
    """A provider whose settings are a :class:`~sandbox.framework.config.SandboxConfig` in ``self.config``
    (with ``clock``, ``rate_limit``, ``seed`` and ``scale``) and whose data is ``self.state`` (with
    ``ground_truth()``, ``tenants()`` and ``tenant_ground_truth(tenant)``): subclasses set ``config_class`` and ``state_class`` (``state_class(config, now_ms)``)."""

    config_class: Callable[[], Any]
    state_class: Callable[[Any, Callable[[], int]], Any]

    def __init__(self, config: Any = None) -> None:
        super().__init__()
        self.config = config or self.config_class()
        self.state = self.new_state()

    def new_state(self) -> Any:
        return self.state_class(self.config, self.now_ms)

    def now(self) -> datetime:
        clock: Callable[[], datetime] | None = self.config.clock
        return clock() if clock is not None else utc_now()

    @property
    def rate_limit(self) -> int:
        return self.config.rate_limit

    def ground_truth(self) -> dict[str, Any]:
        return self.state.ground_truth()

    def tenants(self) -> list[dict[str, Any]]:
        return self.state.tenants()

    def tenant_ground_truth(self, tenant: str) -> dict[str, Any]:
        return self.state.tenant_ground_truth(tenant)

    def config_view(self) -> dict[str, Any]:
        return self.config.view()

    def update_config(self, changes: dict[str, Any]) -> dict[str, Any]:
        try:
            self.config.apply(changes)
        except ValueError as exc:
            raise AdminError(str(exc)) from None
        return self.config.view()

    #: what ``POST /_sandbox/reset`` takes (each an integer >= 0; the other settings stay), and how a refusal of
    #: another key names them and what it adds
    reset_keys: tuple[str, ...] = ("seed", "scale")
    reset_takes = "'seed' and 'scale'"
    reset_hint = "; use /_sandbox/config for the rest"

    def reset(self, params: dict[str, Any]) -> dict[str, Any]:
        """Regenerate the data for new ``reset_keys`` values. The new settings are validated as a whole before
        any is assigned, so a refused reset leaves the config as it was."""
        values = reset_values(
            params,
            {key: getattr(self.config, key) for key in self.reset_keys},
            takes=self.reset_takes,
            hint=self.reset_hint,
        )
        try:
            self.config.copy_with(**values)
        except ValueError as exc:
            raise AdminError(str(exc)) from None
        for key, value in values.items():
            setattr(self.config, key, value)
        return self.renew_state()

    def renew_state(self) -> dict[str, Any]:
        """New data from the current config, runtime state cleared; answers the config view."""
        self.state = self.new_state()
        self.clear_runtime()
        return self.config.view()
