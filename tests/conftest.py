"""Fixtures shared by all tests: sandbox servers on free loopback ports."""

from __future__ import annotations

from tests.helpers import sandbox_fixtures

# `<provider>_factory(**config_options)` starts an emulator (stopped after the test), `<provider>` is one with the
# defaults. Findity's API base (the tap's api_url) is `url + "/api"`, its token URL `url + "/oauth/token"`; the
# others' base URL is the tap's api_url. Credentials: sandbox.<provider> (CLIENT_ID, CLIENT_SECRET, API_KEY, ...).
candis_factory, candis = sandbox_fixtures("candis", scale=120)
findity_factory, findity = sandbox_fixtures("findity", scale=120)
ivesk_factory, ivesk = sandbox_fixtures("ivesk", scale=250)
pleo_factory, pleo = sandbox_fixtures("pleo", scale=150)
