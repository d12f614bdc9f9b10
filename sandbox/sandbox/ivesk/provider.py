"""The Įvesk emulator's provider: its hooks for the shared framework and the accountant's workflow
(Export, digitization, webhooks) that routes, admin endpoints and faults share."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import Depends

from ..framework.errors import admin_int, admin_object
from ..framework.http import ScopeHeaders
from ..framework.provider import AdminError, ConfiguredProvider, current_provider
from ..framework.timeutil import iso_ms
from .config import ACCOUNT_ID, API_KEY, IveskConfig
from .state import IveskState, Upload
from .webhooks import Webhooks

MUTATE_ACTIONS = ("export", "reexport")


def parse_mutate(params: Any) -> tuple[str, int]:
    admin_object(params, ("action", "count"), 'expected a JSON object {"action": "export" | "reexport", "count": n}')
    if params.get("action") not in MUTATE_ACTIONS:
        raise AdminError(f"'action' must be one of {', '.join(MUTATE_ACTIONS)}")
    return params["action"], admin_int(params, "count", 1, 1, null_ok=True) or 1


class IveskProvider(ConfiguredProvider):
    name = "ivesk"
    file_prefixes = ("/documents/", "/public/")  # pre-signed PDFs and uploads (S3)

    config_class = IveskConfig
    state_class = IveskState

    def __init__(self, config: IveskConfig | None = None) -> None:
        super().__init__(config)
        self.webhooks = Webhooks(self)

    def close(self) -> None:
        """Stop what the emulator started besides its own server (the SNS host of the webhooks)."""
        self.webhooks.close()

    # -- framework hooks -------------------------------------------------------------------------------
    def error_body(self, message: str, code: str, errors: list[dict[str, Any]] | None) -> dict[str, Any]:
        return {"message": message}  # Įvesk's errors carry no code

    def organization_of(self, scope: dict[str, Any]) -> str | None:
        return ACCOUNT_ID if ScopeHeaders(scope).get("x-api-key") == API_KEY else None

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
        return super().ground_truth()

    def tenant_ground_truth(self, tenant: str) -> dict[str, Any]:
        self.announce_digitized()
        return super().tenant_ground_truth(tenant)

    # -- workflow --------------------------------------------------------------------------------------
    def export(
        self, *, ids: list[str] | None = None, count: int | None = None, companycode: str | None = None
    ) -> dict[str, Any]:
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


#: a route's ``provider`` parameter
Ivesk = Annotated[IveskProvider, Depends(current_provider)]
