"""tapkit.schema: `req` fields are required and never null, `opt` fields may be absent or null."""

from __future__ import annotations

from singer_sdk import typing as th
from tapkit.schema import Integer, String, opt, opts, req, reqs


def schema(*props: th.Property) -> dict:
    return th.PropertiesList(*props).to_dict()


def test_several_fields_of_one_type_are_the_same_as_one_call_each() -> None:
    assert schema(*reqs(String, "id", "name"), *opts(Integer, "a", "b")) == schema(
        req("id", String), req("name", String), opt("a", Integer), opt("b", Integer)
    )


def test_req_is_required_and_not_null_and_opt_is_nullable() -> None:
    got = schema(req("id", String, "The id."), opt("note", String))
    assert got["required"] == ["id"]
    assert got["properties"]["id"] == {"type": ["string"], "description": "The id."}
    assert got["properties"]["note"] == {"type": ["string", "null"]}
