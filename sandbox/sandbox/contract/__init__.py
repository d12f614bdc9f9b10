"""The providers' published API contracts, transcribed (``pleo.json``, ``candis.json``), and a validator.

``load("pleo").match("GET", "/v3/export-jobs")`` gives the :class:`Operation` a request hits (or None for
a path the contract does not cover: token endpoints, pre-signed file hosts). An operation checks

* a request: ``request_errors(path, query, body)`` — path and query parameters (types, enums, repeated
  array parameters, required), and the JSON body against the request body schema. ``strict`` also
  refuses query parameters the operation does not define (what the contract tests ask of the taps; the
  emulators, like real APIs, ignore unknown parameters);
* a response: ``response_errors(status, content_type, body)`` — the body against the schema for its status
  (or ``default``). ``strict`` also refuses object properties the schema does not define, so an emulator
  cannot serve invented fields.

Each problem is a :class:`ContractError`; ``Contract.allowed`` drops those a deliberate deviation of
:mod:`sandbox.contract.deviations` covers (``deviation_for`` names it). The contract files are written by ``python -m sandbox.contract.extract``.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import functools
import json
import re
import typing as t
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker

from .deviations import DEVIATIONS, Deviation

HERE = Path(__file__).resolve().parent
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_FORMATS = FormatChecker()


@_FORMATS.checks("date-time", raises=ValueError)
def _is_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _RFC3339.match(value):
        return False
    datetime.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    return True


@_FORMATS.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    datetime.date.fromisoformat(value)
    return True


@dataclasses.dataclass(frozen=True)
class ContractError:
    provider: str
    operation: str  # "GET /v3/export-jobs"
    part: str  # "request" | "response"
    location: str  # "query.statuses", "body", "$.data[0].amount"
    message: str

    def __str__(self) -> str:
        return f"{self.operation} {self.part} {self.location}: {self.message}"

    @property
    def field(self) -> str:
        """The location without its ``body.`` / ``query.`` / ``path.`` prefix (``entityType``, ``status``)."""
        head, _, rest = self.location.partition(".")
        if head in ("query", "path") and rest:
            return re.sub(r"\[\d+\]$", "", rest)  # a parameter: its name, not the position of a value
        return rest if head == "body" and rest else self.location


def _media(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _strict(node: t.Any) -> t.Any:
    """A copy where every object schema with ``properties`` and no ``additionalProperties`` refuses others."""
    if isinstance(node, list):
        return [_strict(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _strict(v) for k, v in node.items()}
    if "properties" in out and "additionalProperties" not in out:
        out["unevaluatedProperties"] = False
    return out


class Operation:
    def __init__(self, contract: Contract, key: str, spec: dict) -> None:
        self.contract = contract
        self.key = key
        self.method, self.template = key.split(" ", 1)
        self.spec = spec
        self.parameters: list[dict] = spec["parameters"]
        names = re.findall(r"\{([^}]+)\}", self.template)
        pattern = re.escape(self.template)
        for name in names:
            pattern = pattern.replace(re.escape("{" + name + "}"), f"(?P<{_group(name)}>[^/]+)")
        self._path_re = re.compile(f"^{pattern}$")
        self._path_names = names

    def path_params(self, path: str) -> dict[str, str] | None:
        found = self._path_re.match(path)
        if found is None:
            return None
        return {name: found.group(_group(name)) for name in self._path_names}

    # -- requests ------------------------------------------------------------------------------------------
    def request_errors(
        self,
        path: str,
        query: t.Mapping[str, t.Any],
        body: t.Any = None,
        *,
        has_body: bool = False,
        strict: bool = False,
    ) -> list[ContractError]:
        errors: list[ContractError] = []
        values: dict[str, dict[str, t.Any]] = {"path": self.path_params(path) or {}, "query": dict(query)}
        defined = set()
        for param in self.parameters:
            where, name = param["in"], param["name"]
            if where not in values:
                continue  # header and cookie parameters are not checked
            defined.add((where, name))
            if name not in values[where]:
                if param["required"]:
                    errors.append(self._error("request", f"{where}.{name}", "required parameter is missing"))
                continue
            raw = values[where][name]
            try:
                if param.get("commaSeparated"):
                    if isinstance(raw, list):
                        raise ValueError(f"given {len(raw)} times; takes one comma-separated value")
                    for n, one in enumerate(raw.split(",")):
                        errors += self._validate(
                            "request",
                            f"{where}.{name}[{n}]",
                            param["schema"],
                            self._coerce(one, param["schema"]),
                            strict=False,
                        )
                    continue
                value = self._coerce(raw, param["schema"])
            except ValueError as exc:
                errors.append(self._error("request", f"{where}.{name}", str(exc)))
                continue
            errors += self._validate("request", f"{where}.{name}", param["schema"], value, strict=False)
        if strict:
            for name in values["query"]:
                if ("query", name) not in defined:
                    errors.append(self._error("request", f"query.{name}", "parameter not defined by the operation"))
        request_body = self.spec.get("requestBody")
        if request_body is None:
            if has_body and strict:
                errors.append(self._error("request", "body", "the operation takes no request body"))
        elif not has_body:
            if request_body["required"]:
                errors.append(self._error("request", "body", "required request body is missing"))
        else:
            schema = self._json_schema(request_body["content"])
            if schema is not None:
                errors += self._validate("request", "body", schema, body, strict=strict)
        return errors

    def _coerce(self, raw: t.Any, schema: dict) -> t.Any:
        """A query/path string (or repeated strings) as the value its schema describes."""
        schema = self.contract.resolve(schema)
        kinds = _types(schema)
        if "array" in kinds:
            items = raw if isinstance(raw, list) else [raw]
            return [self._coerce(item, schema.get("items") or {}) for item in items]
        if isinstance(raw, list):
            raise ValueError(f"given {len(raw)} times but takes one value")
        if "integer" in kinds:
            try:
                return int(raw)
            except ValueError:
                raise ValueError(f"{raw!r} is not an integer") from None
        if "number" in kinds:
            try:
                return float(raw) if any(c in raw for c in ".eE") else int(raw)
            except ValueError:
                raise ValueError(f"{raw!r} is not a number") from None
        if "boolean" in kinds:
            if raw not in ("true", "false"):
                raise ValueError(f"{raw!r} is not true or false")
            return raw == "true"
        return raw

    # -- responses -----------------------------------------------------------------------------------------
    def response_errors(
        self, status: int, content_type: str | None, body: t.Any, *, strict: bool = False
    ) -> list[ContractError]:
        responses = self.spec["responses"]
        content = responses.get(str(status), responses.get(f"{str(status)[0]}XX", responses.get("default")))
        if content is None:
            if 200 <= status < 300:
                return [self._error("response", f"status {status}", "status not defined by the operation")]
            return []  # an error status the document does not list: nothing to check it against
        errors: list[ContractError] = []
        media = _media(content_type)
        if content:
            spec_media = {_media(m) for m in content}
            if media not in spec_media:
                errors.append(
                    self._error(
                        "response",
                        f"status {status}",
                        f"content type {media or 'none'} (the document: {', '.join(sorted(spec_media))})",
                    )
                )
            else:
                schema = self._json_schema(content)
                if schema is not None:
                    errors += self._validate("response", "$", schema, body, strict=strict)
        return errors

    # -- shared --------------------------------------------------------------------------------------------
    @staticmethod
    def _json_schema(content: dict) -> dict | None:
        for media, schema in content.items():
            if _media(media).endswith("json"):
                return schema
        return None

    def _validate(self, part: str, where: str, schema: dict, value: t.Any, *, strict: bool) -> list[ContractError]:
        validator = self.contract.validator(json.dumps(schema, sort_keys=True), strict)
        out = []
        for error in sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path)):
            location = where + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
            out.append(self._error(part, location, _short(error)))
        return out

    def _error(self, part: str, location: str, message: str) -> ContractError:
        return ContractError(self.contract.provider, self.key, part, location, message)


def _group(name: str) -> str:
    return "p_" + re.sub(r"\W", "_", name)


def _types(schema: dict) -> set[str]:
    kind = schema.get("type")
    return {kind} if isinstance(kind, str) else set(kind or ())


def _short(error: t.Any) -> str:
    """A validation error in one line, without echoing a whole record."""
    if error.validator == "unevaluatedProperties":
        return (
            error.message.split(" were unexpected")[0].replace("Unevaluated properties are not allowed ", "")
            + " not defined by the schema"
        )
    if error.validator in ("oneOf", "anyOf") and error.context:
        best = sorted(error.context, key=lambda e: (len(e.absolute_path), e.validator != "required"))[-1]
        rest = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in best.relative_path)
        return f"matches no branch of {error.validator} (closest: {rest or '.'} {_short(best)})"
    message = error.message
    if len(message) > 200:
        message = message[:200] + "…"
    return message


class Contract:
    """One provider's operations and schemas."""

    def __init__(self, data: dict, deviations: t.Sequence[Deviation] = ()) -> None:
        self.provider: str = data["provider"]
        self.data = data
        self.defs: dict[str, t.Any] = data["$defs"]
        self.operations = [Operation(self, key, spec) for key, spec in data["operations"].items()]
        self.deviations = [d for d in deviations if d.provider == self.provider]
        self._strict_defs: dict[str, t.Any] | None = None

    def match(self, method: str, path: str) -> Operation | None:
        method = method.upper()
        for op in self.operations:  # literal paths first (`/v1/organizations/info` before `/{id}/...`)
            if op.method == method and "{" not in op.template and op.template == path:
                return op
        for op in self.operations:
            if op.method == method and op.path_params(path) is not None:
                return op
        return None

    def operation(self, key: str) -> Operation:
        for op in self.operations:
            if op.key == key:
                return op
        raise KeyError(key)

    def resolve(self, schema: dict) -> dict:
        while "$ref" in schema:
            schema = self.defs[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    @functools.lru_cache(maxsize=512)  # noqa: B019 - one Contract per provider, cached for the process
    def validator(self, schema_json: str, strict: bool) -> Draft202012Validator:
        schema = json.loads(schema_json)
        if strict:
            if self._strict_defs is None:
                self._strict_defs = _strict(copy.deepcopy(self.defs))
            root = {**_strict(schema), "$defs": self._strict_defs}
        else:
            root = {**schema, "$defs": self.defs}
        return Draft202012Validator(root, format_checker=_FORMATS)

    def allowed(self, errors: list[ContractError]) -> list[ContractError]:
        """``errors`` without those a deliberate deviation covers."""
        return [e for e in errors if not any(d.covers(e) for d in self.deviations)]

    def deviation_for(self, error: ContractError) -> Deviation | None:
        return next((d for d in self.deviations if d.covers(error)), None)


@functools.cache
def load(provider: str) -> Contract:
    """The transcribed contract of ``provider`` ("pleo" or "candis"), with its deliberate deviations."""
    return Contract(json.loads((HERE / f"{provider}.json").read_text(encoding="utf-8")), DEVIATIONS)
