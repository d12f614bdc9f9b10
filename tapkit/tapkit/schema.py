"""Schema building blocks the taps share: full-word names for singer-sdk's types, and fields that say whether
the provider's published model requires them.

A field the model requires (and does not let be null) is `req`: required and never null in the tap's schema;
every other field is `opt` and may be null (the Singer convention: absent or null), which also lets an older,
null-filled shape of a record through. `reqs` / `opts` list several fields of one type that need no description.
"""

from __future__ import annotations

import typing as t

from singer_sdk import typing as th

String = th.StringType
Integer = th.IntegerType
Number = th.NumberType
Decimal = th.DecimalType
Boolean = th.BooleanType
DateTime = th.DateTimeType


def obj(*props: th.Property) -> th.ObjectType:
    return th.ObjectType(*props)


def req(name: str, kind: t.Any, description: str | None = None, **kwargs: t.Any) -> th.Property:
    """A field the published model requires and does not let be null."""
    return th.Property(name, kind, required=True, description=description, **kwargs)


def opt(name: str, kind: t.Any, description: str | None = None, **kwargs: t.Any) -> th.Property:
    """A field the published model has as optional or nullable."""
    return th.Property(name, kind, description=description, **kwargs)


def reqs(kind: t.Any, *names: str) -> list[th.Property]:
    """Required fields of one type that need no description (the provider's names say it)."""
    return [req(name, kind) for name in names]


def opts(kind: t.Any, *names: str) -> list[th.Property]:
    """Optional fields of one type that need no description (the provider's names say it)."""
    return [opt(name, kind) for name in names]
