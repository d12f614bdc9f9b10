"""Transcribe the endpoints we use from the providers' published OpenAPI documents into our contract files.

    python -m sandbox.contract.extract            # rewrite sandbox/sandbox/contract/{pleo,candis}.json
    python -m sandbox.contract.extract --check    # exit 1 when a contract file differs from the documents

The documents are read from ``../shared/api-specs/`` (``--specs`` to move it). What is kept: per operation
its parameters (name, location, required, schema), request body and JSON responses per status; per schema
its types, properties, required lists, enums, formats, nullability and bounds. What is dropped: prose
(descriptions, examples, titles), vendor extensions, and ``pattern`` on ``date``/``date-time`` fields (a
date mask, not a regex: see ``../shared/api-specs/README.md``). OpenAPI 3.0 ``nullable`` becomes JSON Schema
``type: [X, "null"]`` (or ``anyOf [..., null]`` beside a ``$ref``), so one JSON Schema 2020-12 validator
checks both the 3.0 documents and API Evangelist's 3.2 splits. One piece of prose is kept as structure: a
query parameter whose description says "Comma separated values" (Candis's status filters, typed as one enum
string) is marked ``commaSeparated``, and each of its comma-separated values is checked against the schema.
"""

from __future__ import annotations

import argparse
import json
import sys
import typing as t
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SPECS = HERE.parents[2].parent / "shared" / "api-specs"
METHODS = ("get", "put", "post", "delete", "patch")

#: Where each document came from (``../shared/api-specs/README.md``).
SOURCES: dict[str, dict[str, str]] = {
    "candis/candis-openapi.json": {
        "repo": "api-evangelist/candis",
        "path": "openapi/_original/candis-openapi.json",
        "commit": "3566bef307bd02fc75b9a58bc5547a9704f893bc",
    },
    "pleo/pleo-export-openapi.yml": {
        "repo": "api-evangelist/pleo",
        "path": "openapi/_original/pleo-export-openapi.yml",
        "commit": "f9c70d4d704a65067b5d1e34fd639d6246fac427",
    },
    "pleo/pleo-chart-of-accounts-openapi.yml": {
        "repo": "api-evangelist/pleo",
        "path": "openapi/pleo-chart-of-accounts-openapi.yml",
        "commit": "da0dd4aa856fc45147933f594bbfe9103c4ef7c3",
    },
    **{
        f"pleo/pleo-{name}-openapi.yml": {
            "repo": "api-evangelist/pleo",
            "path": f"openapi/pleo-{name}-openapi.yml",
            "commit": "171c054512504c3fdcf66a501498b83b250fbb07",
        }
        for name in (
            "accounting-entries-api",
            "tax-codes-api",
            "tag-groups-api",
            "tags-api",
            "employees-api",
            "companies-api",
            "external-vendors-api",
        )
    },
}

#: The operations the taps call (and the sandbox therefore serves), per provider and document.
ENDPOINTS: dict[str, dict[str, list[str]]] = {
    "pleo": {
        "pleo/pleo-export-openapi.yml": [
            "GET /v3/export-jobs",
            "GET /v3/export-jobs/{jobId}",
            "GET /v3/export-jobs/{jobId}/items",
            "PUT /v3/export-jobs/{jobId}/items",
            "POST /v3/export-job-events",
            "GET /v3/export-items",
        ],
        "pleo/pleo-accounting-entries-api-openapi.yml": [
            "POST /v1/accounting-entries:search",
            "POST /v1/accounting-entries/receipts:search",
        ],
        "pleo/pleo-chart-of-accounts-openapi.yml": ["POST /v1/chart-of-accounts:search"],
        "pleo/pleo-companies-api-openapi.yml": ["GET /v1/companies"],
        "pleo/pleo-employees-api-openapi.yml": ["GET /v2/employees"],
        "pleo/pleo-tax-codes-api-openapi.yml": ["POST /v0/tax-codes:search"],
        "pleo/pleo-tag-groups-api-openapi.yml": ["GET /v0/tag-groups"],
        "pleo/pleo-tags-api-openapi.yml": ["GET /v0/tag-groups/{groupId}/tags"],
        "pleo/pleo-external-vendors-api-openapi.yml": ["POST /v1/vendors:search"],
    },
    "candis": {
        "candis/candis-openapi.json": [
            "GET /v1/organizations/info",
            "GET /v1/organizations/{organizationId}/exports",
            "POST /v1/organizations/{organizationId}/exports",
            "GET /v1/organizations/{organizationId}/exports/{exportId}",
            "GET /v1/organizations/{organizationId}/exports/{exportId}/postings",
            "GET /v1/organizations/{organizationId}/reimbursement-items",
            "GET /v1/organizations/{organizationId}/invoices",
            "GET /v1/organizations/{organizationId}/purchase-requests",
            "GET /v1/organizations/{organizationId}/files/{fileId}",
        ],
    },
}

# Keywords kept from a schema object; everything else (prose, examples, x-*, discriminator, xml) is dropped.
_KEEP = {
    "type",
    "properties",
    "required",
    "items",
    "enum",
    "format",
    "additionalProperties",
    "allOf",
    "oneOf",
    "anyOf",
    "not",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "const",
    "default",
    "$ref",
    "multipleOf",
}
_DATE_FORMATS = {"date", "date-time"}


def _load(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)
    import yaml  # a dev tool: PyYAML comes with the dev requirements

    return yaml.safe_load(text)


class _Transcriber:
    """Normalises one document's schemas, collecting the components they reach under ``<prefix>.<Name>``."""

    def __init__(self, doc: dict, prefix: str, defs: dict[str, t.Any]) -> None:
        self.doc = doc
        self.prefix = prefix
        self.defs = defs
        self.nullable_30 = str(doc.get("openapi", "")).startswith("3.0")

    def ref(self, ref: str) -> t.Any:
        node: t.Any = self.doc
        for part in ref.lstrip("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def schema_ref(self, ref: str) -> str:
        name = ref.rsplit("/", 1)[-1]
        key = f"{self.prefix}.{name}"
        if key not in self.defs:
            self.defs[key] = None  # placeholder: breaks reference cycles
            self.defs[key] = self.schema(self.ref(ref))
        return f"#/$defs/{key}"

    def schema(self, node: t.Any) -> t.Any:
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            out: dict[str, t.Any] = {"$ref": self.schema_ref(node["$ref"])}
            return self._nullable(out, node)
        if (
            list(node.get("allOf") or [])
            and len(node["allOf"]) == 1
            and set(node) - {"description", "example"} <= {"allOf", "nullable", "default", "readOnly", "deprecated"}
        ):
            inner = self.schema(node["allOf"][0])  # a one-member allOf only wraps a $ref to add prose
            return self._nullable(dict(inner), node) if node.get("nullable") else inner
        out = {}
        for key, value in node.items():
            if key not in _KEEP:
                continue
            if key == "pattern" and node.get("format") in _DATE_FORMATS:
                continue
            if key == "properties":
                out[key] = {name: self.schema(sub) for name, sub in value.items()}
            elif key in ("items", "not") or (key == "additionalProperties" and isinstance(value, dict)):
                out[key] = self.schema(value)
            elif key in ("allOf", "oneOf", "anyOf"):
                out[key] = [self.schema(sub) for sub in value]
            elif key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
                bound = "minimum" if key == "exclusiveMinimum" else "maximum"
                if value and bound in node:
                    out[key] = node[bound]
            else:
                out[key] = value
        if "exclusiveMinimum" in out and out.get("minimum") == out["exclusiveMinimum"]:
            del out["minimum"]
        if "exclusiveMaximum" in out and out.get("maximum") == out["exclusiveMaximum"]:
            del out["maximum"]
        return self._nullable(out, node)

    def _nullable(self, out: dict, node: dict) -> dict:
        kind = out.get("type")
        if isinstance(kind, list) and "null" in kind and "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]  # 3.1+: `type: [X, "null"]` admits null, its enum must too
        if not (self.nullable_30 and node.get("nullable") is True):
            return out
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
            return out
        return {"anyOf": [out, {"type": "null"}]}

    def parameter(self, node: dict) -> dict:
        if "$ref" in node:
            node = self.ref(node["$ref"])
        out = {
            "name": node["name"],
            "in": node["in"],
            "required": bool(node.get("required", False)),
            "schema": self.schema(node.get("schema") or {}),
        }
        for key in ("style", "explode"):
            if key in node:
                out[key] = node[key]
        if "comma separated values" in (node.get("description") or "").lower():
            out["commaSeparated"] = True  # one value per comma, each checked against the schema
        return out

    def content(self, node: dict) -> dict[str, t.Any]:
        return {media: self.schema(body.get("schema") or {}) for media, body in (node.get("content") or {}).items()}

    def operation(self, path: str, method: str) -> dict:
        item = self.doc["paths"][path]
        op = item[method]
        params = [self.parameter(p) for p in item.get("parameters", [])]
        names = {(p["name"], p["in"]) for p in params}
        for p in op.get("parameters", []):
            param = self.parameter(p)
            if (param["name"], param["in"]) in names:
                params = [q for q in params if (q["name"], q["in"]) != (param["name"], param["in"])]
            params.append(param)
        out: dict[str, t.Any] = {"parameters": params}
        if "requestBody" in op:
            body = op["requestBody"]
            if "$ref" in body:
                body = self.ref(body["$ref"])
            out["requestBody"] = {"required": bool(body.get("required", False)), "content": self.content(body)}
        responses = {}
        for status, response in (op.get("responses") or {}).items():
            if "$ref" in response:
                response = self.ref(response["$ref"])
            responses[str(status)] = self.content(response)
        out["responses"] = responses
        return out


def transcribe(provider: str, specs: Path = DEFAULT_SPECS) -> dict:
    """The contract of ``provider`` as it follows from the documents under ``specs``."""
    defs: dict[str, t.Any] = {}
    operations: dict[str, t.Any] = {}
    sources = []
    for file, endpoints in ENDPOINTS[provider].items():
        doc = _load(specs / file)
        prefix = Path(file).stem.removeprefix(f"{provider}-").removesuffix("-openapi").removesuffix("-api")
        transcriber = _Transcriber(doc, prefix, defs)
        sources.append(
            {
                "file": file,
                **SOURCES[file],
                "openapi": str(doc.get("openapi")),
                "version": str(doc.get("info", {}).get("version")),
            }
        )
        for endpoint in endpoints:
            method, path = endpoint.split(" ", 1)
            operations[endpoint] = {"source": file, **transcriber.operation(path, method.lower())}
    return {
        "provider": provider,
        "generated_by": "python -m sandbox.contract.extract",
        "note": "Transcribed from the published OpenAPI documents named in `sources` (structure only, no prose). "
        "Do not edit by hand: rerun the extractor.",
        "sources": sources,
        "operations": operations,
        "$defs": dict(sorted(defs.items())),
    }


def contract_path(provider: str) -> Path:
    return HERE / f"{provider}.json"


def render(contract: dict) -> str:
    return json.dumps(contract, indent=1, sort_keys=False, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.contract.extract", description=__doc__.split("\n\n")[0])
    parser.add_argument("--specs", type=Path, default=DEFAULT_SPECS, help="folder of the published documents")
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when a contract file differs")
    args = parser.parse_args(argv)
    status = 0
    for provider in ENDPOINTS:
        text = render(transcribe(provider, args.specs))
        path = contract_path(provider)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                print(f"{path}: differs from the published documents; rerun without --check", file=sys.stderr)
                status = 1
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path} ({len(json.loads(text)['operations'])} operations)")
    return status


if __name__ == "__main__":
    sys.exit(main())
