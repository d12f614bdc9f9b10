"""Fixtures shared by all tests: sandbox servers on free loopback ports."""

from __future__ import annotations

import typing as t

import pytest

from tests.helpers import Sandbox


@pytest.fixture
def candis_factory() -> t.Iterator[t.Callable[..., Sandbox]]:
    """Start a Candis emulator with the given CandisConfig options; stopped after the test."""
    from sandbox.candis import CandisConfig, create_app
    from sandbox.framework.server import serve_in_thread

    stack: list[t.Any] = []

    def start(**options: t.Any) -> Sandbox:
        options.setdefault("scale", 120)
        ctx = serve_in_thread(create_app(CandisConfig(**options)))
        url = ctx.__enter__()
        stack.append(ctx)
        return Sandbox(url)

    yield start
    for ctx in reversed(stack):
        ctx.__exit__(None, None, None)


@pytest.fixture
def candis(candis_factory: t.Callable[..., Sandbox]) -> Sandbox:
    return candis_factory()
