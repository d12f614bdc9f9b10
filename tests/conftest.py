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


@pytest.fixture
def findity_factory() -> t.Iterator[t.Callable[..., Sandbox]]:
    """Start a Findity emulator with the given FindityConfig options; stopped after the test.
    Its API base (the tap's api_url) is `url + "/api"`, its token URL `url + "/oauth/token"`."""
    from sandbox.findity import FindityConfig, create_app
    from sandbox.framework.server import serve_in_thread

    stack: list[t.Any] = []

    def start(**options: t.Any) -> Sandbox:
        options.setdefault("scale", 120)
        ctx = serve_in_thread(create_app(FindityConfig(**options)))
        url = ctx.__enter__()
        stack.append(ctx)
        return Sandbox(url)

    yield start
    for ctx in reversed(stack):
        ctx.__exit__(None, None, None)


@pytest.fixture
def findity(findity_factory: t.Callable[..., Sandbox]) -> Sandbox:
    return findity_factory()


@pytest.fixture
def ivesk_factory() -> t.Iterator[t.Callable[..., Sandbox]]:
    """Start an Įvesk emulator with the given IveskConfig options; stopped after the test.
    Its base URL is the tap's api_url; the API key is sandbox.ivesk.API_KEY."""
    from sandbox.framework.server import serve_in_thread
    from sandbox.ivesk import IveskConfig, create_app

    stack: list[t.Any] = []

    def start(**options: t.Any) -> Sandbox:
        options.setdefault("scale", 250)
        ctx = serve_in_thread(create_app(IveskConfig(**options)))
        url = ctx.__enter__()
        stack.append(ctx)
        return Sandbox(url)

    yield start
    for ctx in reversed(stack):
        ctx.__exit__(None, None, None)


@pytest.fixture
def ivesk(ivesk_factory: t.Callable[..., Sandbox]) -> Sandbox:
    return ivesk_factory()


@pytest.fixture
def pleo_factory() -> t.Iterator[t.Callable[..., Sandbox]]:
    """Start a Pleo emulator with the given PleoConfig options; stopped after the test. Its base URL is
    the tap's api_url; credentials in sandbox.pleo (API_KEY, CLIENT_ID/CLIENT_SECRET/INITIAL_REFRESH_TOKEN)."""
    from sandbox.framework.server import serve_in_thread
    from sandbox.pleo import PleoConfig, create_app

    stack: list[t.Any] = []

    def start(**options: t.Any) -> Sandbox:
        options.setdefault("scale", 150)
        ctx = serve_in_thread(create_app(PleoConfig(**options)))
        url = ctx.__enter__()
        stack.append(ctx)
        return Sandbox(url)

    yield start
    for ctx in reversed(stack):
        ctx.__exit__(None, None, None)


@pytest.fixture
def pleo(pleo_factory: t.Callable[..., Sandbox]) -> Sandbox:
    return pleo_factory()
