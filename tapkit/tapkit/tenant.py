"""Every record names its tenant: the provider scope the tap read it from (a Candis or Findity organization, a
Pleo company, an Įvesk company code), so that the records of many tenants can share one warehouse table.

`TenantStream` is mixed into a tap's base stream. Its `post_process` sets ``record[tenant_field]`` to
``tenant_id(context)``, the scope the tap used in the request that returned the record (a URL path segment,
a query parameter, a body field). It overwrites the value when the provider's body has the field already:
the request's scope is what the tap was asked to read and what its state, manifests and files are kept
under, so it is the value a warehouse filters on. A stream's own `post_process` ends with
``return super().post_process(row, context)``, so the tenant is set after it, on every record.

`tenant_property` is the schema property that describes the field, in the same words in every tap.
"""

from __future__ import annotations

import functools
import typing as t

from singer_sdk import typing as th

from tapkit.schema import String, opt, req

if t.TYPE_CHECKING:
    from collections.abc import Mapping


class TenantStream:
    """Mixed in (before the SDK's stream class) into a tap's base stream: every record gets `tenant_field`."""

    #: the record field that names the tenant (`organizationId`, `companyId`, `companyCode`, ...)
    tenant_field: t.ClassVar[str]

    def tenant_id(self, context: Mapping[str, t.Any] | None) -> str | None:
        """The tenant the request for this context used; None: the record names its own (nothing is set)."""
        raise NotImplementedError

    @functools.cached_property
    def _tenant_in_schema(self) -> bool:
        """Whether the schema the SDK writes records with has the field: a catalog from before the field
        existed gets records without it, as the SDK drops properties its catalog lacks."""
        schema = self.effective_schema  # type: ignore[attr-defined]
        return self.tenant_field in (schema.get("properties") or {}) or bool(schema.get("additionalProperties"))

    def post_process(self, row: dict, context: t.Any = None) -> dict | None:
        row = super().post_process(row, context)  # type: ignore[misc]
        if row is not None and self._tenant_in_schema:
            tenant = self.tenant_id(context)
            if tenant is not None:
                row[self.tenant_field] = tenant
        return row


def tenant_property(name: str, scope: str, *, in_body: bool = False, required: bool = True) -> th.Property:
    """The schema property of a stream's tenant field. ``scope`` says what it is and where the request has it
    (e.g. "the Candis organization in the request's path"); ``in_body`` that the provider's own body has the
    field already (the tap overwrites it)."""
    if in_body:
        description = (
            f"{scope[0].upper()}{scope[1:]}. Set by the tap to the value of its request, overwriting the one in the "
            "provider's body."
        )
    else:
        description = f"Added by the tap: {scope}."
    return (req if required else opt)(name, String, description)
