"""Fixtures shared by all tests: sandbox servers on free loopback ports."""

from __future__ import annotations

import typing as t

import pytest

from tests.helpers import Sandbox, sandbox_factory


@pytest.fixture
def candis_factory() -> t.Iterator[t.Callable[..., Sandbox]]:
    """Start a Candis emulator with the given CandisConfig options; stopped after the test."""
    from sandbox.candis import CandisConfig, create_app

    yield from sandbox_factory(create_app, CandisConfig, scale=120)


@pytest.fixture
def candis(candis_factory: t.Callable[..., Sandbox]) -> Sandbox:
    return candis_factory()


@pytest.fixture
def findity_factory() -> t.Iterator[t.Callable[..., Sandbox]]:
    """Start a Findity emulator with the given FindityConfig options; stopped after the test.
    Its API base (the tap's api_url) is `url + "/api"`, its token URL `url + "/oauth/token"`."""
    from sandbox.findity import FindityConfig, create_app

    yield from sandbox_factory(create_app, FindityConfig, scale=120)


@pytest.fixture
def findity(findity_factory: t.Callable[..., Sandbox]) -> Sandbox:
    return findity_factory()


@pytest.fixture
def ivesk_factory() -> t.Iterator[t.Callable[..., Sandbox]]:
    """Start an Įvesk emulator with the given IveskConfig options; stopped after the test.
    Its base URL is the tap's api_url; the API key is sandbox.ivesk.API_KEY."""
    from sandbox.ivesk import IveskConfig, create_app

    yield from sandbox_factory(create_app, IveskConfig, scale=250)


@pytest.fixture
def ivesk(ivesk_factory: t.Callable[..., Sandbox]) -> Sandbox:
    return ivesk_factory()


@pytest.fixture
def pleo_factory() -> t.Iterator[t.Callable[..., Sandbox]]:
    """Start a Pleo emulator with the given PleoConfig options; stopped after the test. Its base URL is
    the tap's api_url; credentials in sandbox.pleo (API_KEY, CLIENT_ID/CLIENT_SECRET/INITIAL_REFRESH_TOKEN)."""
    from sandbox.pleo import PleoConfig, create_app

    yield from sandbox_factory(create_app, PleoConfig, scale=150)


@pytest.fixture
def pleo(pleo_factory: t.Callable[..., Sandbox]) -> Sandbox:
    return pleo_factory()
