"""The Įvesk emulator: provider hooks for the shared framework, and ``create_app``."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any, Mapping

from fastapi import FastAPI
from starlette.responses import Response

from ..framework.app import build_app
from ..framework.jsonutil import json_response
from ..framework.provider import AdminError, SandboxProvider
from ..framework.timeutil import iso_ms, utc_now
from .admin import ivesk_admin_router, parse_mutate
from .config import ACCOUNT_ID, API_KEY, IveskConfig
from .routes import api_router
from .state import IveskState, Upload
from .webhooks import Webhooks


def _header(scope: dict, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value
    return None


class IveskProvider(SandboxProvider):
    name = "ivesk"

    def __init__(self, config: IveskConfig | None = None) -> None:
        super().__init__()
        self.config = config or IveskConfig()
        self.state = IveskState(self.config, self.now_ms)
        self.webhooks = Webhooks(self)

    def now(self) -> datetime:
        return self.config.clock() if self.config.clock is not None else utc_now()

    # -- framework hooks -------------------------------------------------------------------------------
    def error_response(self, status: int, message: str, *, code: str | None = None,
                       errors: list[dict[str, Any]] | None = None, headers: Mapping[str, str] | None = None) -> Response:
        return json_response({"message": message}, status=status, headers=headers)

    def organization_of(self, scope: dict[str, Any]) -> str | None:
        key = _header(scope, b"x-api-key")
        return ACCOUNT_ID if key is not None and key.decode("latin-1") == API_KEY else None

    @property
    def rate_limit(self) -> int:
        return self.config.rate_limit

    def validate_mutate(self, params: dict[str, Any]) -> None:
        parse_mutate(params)

    def mutate(self, params: dict[str, Any]) -> dict[str, Any]:
        action, count = parse_mutate(params)
        if action == "export":
            return self.export(count=count)
        keys = self.state.oldest_exported(count)
        now = self.state.export(keys)
        return {"exported": len(keys), "exportedat": iso_ms(now), "ids": [self.state.core(k).id for k in keys]}

    def ground_truth(self) -> dict[str, Any]:
        self.announce_digitized()
        return self.state.ground_truth()

    def config_view(self) -> dict[str, Any]:
        return self.config.view()

    def update_config(self, changes: dict[str, Any]) -> dict[str, Any]:
        try:
            self.config.apply(changes)
        except ValueError as exc:
            raise AdminError(str(exc)) from None
        return self.config.view()

    def reset(self, params: dict[str, Any]) -> dict[str, Any]:
        extra = set(params) - {"seed", "scale"}
        if extra:
            raise AdminError(f"reset takes only 'seed' and 'scale' (got {', '.join(sorted(extra))}); use /_sandbox/config for the rest")
        seed, scale = params.get("seed", self.config.seed), params.get("scale", self.config.scale)
        for key, value in (("seed", seed), ("scale", scale)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise AdminError(f"'{key}' must be an integer >= 0")
        try:
            IveskConfig(seed=seed, scale=scale)
        except ValueError as exc:
            raise AdminError(str(exc)) from None
        self.config.seed, self.config.scale = seed, scale
        self.state = IveskState(self.config, self.now_ms)
        self.clear_runtime()
        return self.config.view()

    # -- workflow --------------------------------------------------------------------------------------
    def export(self, *, ids: list[str] | None = None, count: int | None = None, companycode: str | None = None) -> dict[str, Any]:
        state = self.state
        if ids is not None:
            if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
                raise AdminError("'ids' must be a list of document ids")
            keys = []
            for doc_id in ids:
                key = state.key_of(doc_id)
                if key is None or state.digitized_ms(key) is None:
                    raise AdminError(f"document {doc_id} does not exist or is not digitized yet")
                keys.append(key)
        else:
            keys = []
            for key in state.waiting_for_export():
                if companycode is None or state.core(key).companycode == companycode:
                    keys.append(key)
                    if count is not None and len(keys) >= count:
                        break
        now = state.export(keys)
        for company in sorted({state.core(k).companycode for k in keys}):
            self.webhooks.notify("on_exported", {"companyCode": company})
        return {"exported": len(keys), "exportedat": iso_ms(now), "ids": [state.core(k).id for k in keys]}

    def announce_digitized(self, done: list[Upload] | None = None) -> None:
        """Send on_digitized for uploads whose digitization finished (lazily noticed, or forced)."""
        finished = list(done or []) + self.state.newly_digitized()
        for upload in finished:
            if upload.index is not None:
                self.webhooks.notify("on_digitized", self.state.document(("upload", upload.index)))

    def schedule_digitization(self, upload: Upload) -> None:
        if upload.status != "digitizing" or upload.digitize_at_ms is None:
            if upload.status == "digitized":
                self.announce_digitized([upload])
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # pragma: no cover
            return
        delay = max(0.0, (upload.digitize_at_ms - self.now_ms()) / 1000)
        loop.call_later(delay + 0.001, self.announce_digitized)


def create_app(config: IveskConfig | None = None) -> FastAPI:
    """The Įvesk emulator as an ASGI app (serve it with ``sandbox.framework.server.serve_in_thread``)."""
    provider = IveskProvider(config)
    return build_app(provider, [api_router(provider), ivesk_admin_router(provider)], title="Įvesk.lt API sandbox")


def provider_of(app: FastAPI) -> IveskProvider:
    provider = app.state.provider
    assert isinstance(provider, IveskProvider)
    return provider
