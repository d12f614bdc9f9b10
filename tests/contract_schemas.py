"""Compare a tap stream's schema with the provider's published model: every field the tap declares is a
field of the model (or one the tap adds, named), of a compatible type, at every depth."""

from __future__ import annotations

import typing as t

from sandbox.contract import Contract

_COMPATIBLE = {("number", "integer"), ("integer", "number")}


def _types(schema: dict) -> set[str]:
    kind = schema.get("type")
    kinds = {kind} if isinstance(kind, str) else set(kind or ())
    return kinds - {"null"}


def _branches(contract: Contract, schema: dict) -> list[dict]:
    """The alternatives a (resolved) spec schema allows: itself, or its anyOf / oneOf members."""
    schema = contract.resolve(schema)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return [b for sub in schema[key] for b in _branches(contract, sub) if _types(b) != set() or "properties" in b]
    return [schema]


def differences(contract: Contract, spec: dict, tap: dict, *, added: t.Collection[str] = (), path: str = "") -> list[str]:
    """Where ``tap`` (a stream's JSON schema) declares what the published ``spec`` schema does not have.
    ``added`` are dotted paths of fields the tap adds (``exportJobId``, ``amount.valueMinor``)."""
    out: list[str] = []
    branches = _branches(contract, spec)
    tap_types = _types(tap)
    spec_types = set().union(*(_types(b) for b in branches))
    if tap_types and spec_types and not tap_types & spec_types and not any(
            (a, b) in _COMPATIBLE for a in tap_types for b in spec_types):
        out.append(f"{path or '.'}: type {sorted(tap_types)}, the document: {sorted(spec_types)}")
    if "properties" in tap:
        known: dict[str, dict] = {}
        for branch in branches:
            known.update(branch.get("properties") or {})
        open_map = any(isinstance(b.get("additionalProperties"), dict) for b in branches)
        for name, sub in tap["properties"].items():
            where = f"{path}.{name}" if path else name
            if where in added:
                continue
            if name not in known:
                if not open_map:
                    out.append(f"{where}: not a field of the published model")
                continue
            out += differences(contract, known[name], sub, added=added, path=where)
    if "items" in tap:
        items = [b.get("items") for b in branches if b.get("items")]
        if items:
            out += differences(contract, items[0], tap["items"], added=added, path=f"{path}[]")
    return out


def response_item_schema(contract: Contract, operation: str, status: str = "200", *, list_key: str | None = "data") -> dict:
    """The schema of one record of an operation's JSON answer (``data[]`` of a list, ``data`` of one)."""
    content = contract.operation(operation).spec["responses"][status]
    schema = contract.resolve(next(iter(content.values())))
    if list_key is None:
        return schema
    inner = contract.resolve(schema["properties"][list_key])
    return contract.resolve(inner["items"]) if inner.get("type") == "array" else inner
