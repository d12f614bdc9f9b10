"""Compare a tap stream's schema with the provider's published model (from the transcribed contract).

At every depth: the tap lists exactly the model's fields (plus the fields it adds, whose description says
"Added by the tap"), with the model's type (and `date-time` format); a field the model requires and does not
let be null is required and non-null in the tap, every other field may be null (the Singer convention, which
also lets an older, null-filled shape through). A `oneOf` counts as one object with every field of any
branch, required where all branches require it.
"""

from __future__ import annotations

import typing as t

from sandbox.contract import Contract

ADDED = "Added by the tap"


def _types(schema: dict) -> set[str]:
    kind = schema.get("type")
    return {kind} if isinstance(kind, str) else set(kind or ())


def _model(contract: Contract, schema: dict) -> dict:
    """A spec schema with `$ref`s resolved, `anyOf [X, null]` read as nullable X and `oneOf` merged."""
    schema = contract.resolve(schema)
    if "anyOf" in schema:
        members = [contract.resolve(m) for m in schema["anyOf"]]
        real = [m for m in members if _types(m) != {"null"}]
        if len(real) == 1:
            inner = _model(contract, real[0])
            return {**inner, "type": sorted(_types(inner) | {"null"}) or ["object", "null"]}
    if "oneOf" in schema:
        branches = [_model(contract, b) for b in schema["oneOf"]]
        properties: dict = {}
        for branch in branches:
            for name, sub in (branch.get("properties") or {}).items():
                properties.setdefault(name, sub)
        required = set.intersection(*(set(b.get("required") or ()) for b in branches))
        return {"type": "object", "properties": properties, "required": sorted(required)}
    return schema


def _nullable(schema: dict) -> bool:
    return "null" in _types(schema)


def differences(
    contract: Contract, spec: dict, tap: dict, path: str = "", *, exceptions: t.Mapping[str, str] = {}
) -> list[str]:
    """Where a tap schema ``tap`` differs from the published model ``spec`` (empty when it follows it).
    ``exceptions`` maps dotted paths (``accountingEntryLines[].lineAmount.inWalletCurrency``) the tap
    knowingly leaves out or lets be null to the reason."""
    doc = _model(contract, spec)
    out: list[str] = []
    kinds = _types(doc) - {"null"} or ({"object"} if "properties" in doc else set())
    tap_kinds = _types(tap) - {"null"}
    where = path or "."
    if kinds and tap_kinds and not kinds & tap_kinds:
        out.append(f"{where}: the document says {sorted(kinds)}, the tap {sorted(tap_kinds)}")
    if doc.get("format") == "date-time" and tap.get("format") != "date-time":
        out.append(f"{where}: the document says date-time, the tap has no such format")
    if "array" in kinds and "items" in doc:
        out += differences(contract, doc["items"], tap.get("items") or {}, f"{path}[]", exceptions=exceptions)
    if "object" not in kinds or "properties" not in doc:
        return out  # a map (additionalProperties) or a scalar: nothing more to compare
    doc_props, tap_props = doc["properties"], tap.get("properties") or {}
    required = set(doc.get("required") or ())
    tap_required = set(tap.get("required") or ())
    for name in sorted(set(doc_props) - set(tap_props)):
        if _join(path, name) not in exceptions:
            out.append(f"{_join(path, name)}: in the document, missing in the tap")
    for name in sorted(set(tap_props) - set(doc_props)):
        if ADDED not in (tap_props[name].get("description") or ""):
            out.append(f"{_join(path, name)}: not in the document and not described as added by the tap")
    for name in sorted(set(doc_props) & set(tap_props)):
        sub = tap_props[name]
        must = name in required and not _nullable(_model(contract, doc_props[name]))
        if _join(path, name) in exceptions:
            must = False  # knowingly optional in the tap
        if must != (name in tap_required) or must == _nullable(sub):
            out.append(
                f"{_join(path, name)}: the document says required={must}, the tap required="
                f"{name in tap_required} nullable={_nullable(sub)}"
            )
        out += differences(contract, doc_props[name], sub, _join(path, name), exceptions=exceptions)
    return out


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def response_item_schema(contract: Contract, operation: str, status: str = "200", *, list_key: str = "data") -> dict:
    """The schema of one record of an operation's JSON answer (an item of its ``list_key`` array)."""
    content = contract.operation(operation).spec["responses"][status]
    schema = contract.resolve(next(iter(content.values())))
    inner = contract.resolve(schema["properties"][list_key])
    return contract.resolve(inner["items"]) if "array" in _types(inner) else inner
