"""`tap-candis-authorize` end to end against the sandbox's Keycloak: the browser's consent (over HTTP) lands
the organization's refresh token in the token store, and the tap then runs without `refresh_token`."""

from __future__ import annotations

import json

import pytest
import requests
from sandbox.candis.config import initial_refresh_token

from tests.authorize_helpers import (
    AuthorizeCommand,
    assert_a_denied_consent_ends_with_one_line,
    secrets_absent,
    stored_tokens,
)
from tests.candis.conftest import CLIENT_SECRET, candis_config
from tests.helpers import discover, select_only

ORGANIZATIONS = ["alpha-organization", "gamma-organization"]
AUTHORIZE_PATH = "/auth/realms/candis/protocol/openid-connect/auth"


@pytest.fixture
def sandbox(candis_factory):
    return candis_factory(scale=20, organizations=ORGANIZATIONS)


def _config(sandbox, tmp_path, **overrides) -> dict:
    """An authorized tenant's config: the client, the organization and the store — no refresh_token."""
    settings = {"refresh_token": None, "authorize_url": sandbox.url + AUTHORIZE_PATH, "max_requests_per_minute": 0}
    config = candis_config(sandbox, tmp_path, **settings, **overrides)
    return {k: v for k, v in config.items() if v is not None}


def test_an_approved_consent_stores_the_token_and_the_tap_runs_without_refresh_token(sandbox, tmp_path, tap) -> None:
    config = _config(sandbox, tmp_path, organization_id="gamma-organization")
    command = AuthorizeCommand("tap-candis-authorize", config, tmp_path)
    assert command.consent("approve", "gamma-organization").status_code == 200
    done = command.finish()
    assert done.returncode == 0, done.stderr
    assert "tap-candis:authorize: authorized organization_id gamma-organization" in done.stdout
    assert "TAP_CANDIS_ORGANIZATION_ID=gamma-organization — and no TAP_CANDIS_REFRESH_TOKEN" in done.stdout
    issued = sandbox.admin("GET", "/candis/issued-tokens")
    assert secrets_absent(done.stdout + done.stderr, [*issued, CLIENT_SECRET])
    ((entry),) = stored_tokens(tmp_path)
    assert entry["tenant"] == "gamma-organization" and entry["refresh_token"] in issued

    catalog = select_only(discover("tap-candis", config, tmp_path), "invoices")
    for _ in range(2):  # the second run refreshes with the token the first one rotated
        run = tap(config, catalog=catalog)
        assert run.returncode == 0, run.stderr[-1500:]
        assert {r["organizationId"] for r in run.records("invoices")} == {"gamma-organization"}
    (after,) = stored_tokens(tmp_path)
    assert after["refresh_token"] != entry["refresh_token"]


def test_without_organization_id_the_command_prints_the_organization_to_set(sandbox, tmp_path, tap) -> None:
    command = AuthorizeCommand("tap-candis-authorize", _config(sandbox, tmp_path), tmp_path, "--json")
    command.consent("approve")  # the first organization offered
    done = command.finish()
    assert done.returncode == 0, done.stderr
    (record,) = [json.loads(line) for line in done.stdout.splitlines()]
    assert record["organization_id"] == "alpha-organization" and "refresh_token" not in record
    assert "TAP_CANDIS_ORGANIZATION_ID=alpha-organization" in done.stderr  # the human lines, with --json
    missing = tap(_config(sandbox, tmp_path))  # no organization_id: the stored token cannot be found
    assert missing.returncode == 1
    assert "missing setting(s) refresh_token" in missing.stderr and "tap-candis authorize" in missing.stderr
    assert tap(_config(sandbox, tmp_path, organization_id="alpha-organization")).returncode == 0


def test_a_consent_for_another_organization_than_configured_is_refused_and_nothing_stored(sandbox, tmp_path) -> None:
    command = AuthorizeCommand(
        "tap-candis-authorize", _config(sandbox, tmp_path, organization_id="gamma-organization"), tmp_path
    )
    command.consent("approve", "alpha-organization")
    done = command.finish()
    assert done.returncode == 1
    assert done.last_error.startswith(
        "tap-candis: error: the consent was given for organization alpha-organization, but organization_id is "
        "gamma-organization: nothing was stored"
    )
    assert not stored_tokens(tmp_path)


def test_a_denied_consent_ends_with_one_line(sandbox, tmp_path) -> None:
    command = AuthorizeCommand(
        "tap-candis-authorize", _config(sandbox, tmp_path, organization_id="alpha-organization"), tmp_path
    )
    assert_a_denied_consent_ends_with_one_line(command, "tap-candis", tmp_path)


def test_a_redirect_with_another_state_is_refused(sandbox, tmp_path) -> None:
    command = AuthorizeCommand(
        "tap-candis-authorize", _config(sandbox, tmp_path, organization_id="alpha-organization"), tmp_path
    )
    query = command.query()
    forged = requests.get(
        query["redirect_uri"], params={"code": "stolen", "state": "not-" + query["state"]}, timeout=10
    )
    assert forged.status_code == 400 and "does not belong to the authorization in progress" in forged.text
    done = command.finish()
    assert done.returncode == 1
    assert done.last_error.startswith("tap-candis: error: refused: the redirect's state does not match")
    assert [r for r in sandbox.requests() if r["path"].endswith("/token")] == []  # the forged code was never sent
    assert not stored_tokens(tmp_path)


def test_no_consent_within_the_timeout_ends_with_one_line(sandbox, tmp_path) -> None:
    command = AuthorizeCommand(
        "tap-candis-authorize", _config(sandbox, tmp_path, organization_id="alpha-organization"), tmp_path, timeout=0.5
    )
    done = command.finish()
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "tap-candis: error: no answer from the browser within 0.5 s (--timeout): nothing was stored"
    ]


def test_authorizing_one_tenant_leaves_the_other_tenants_of_the_store_alone(sandbox, tmp_path, tap) -> None:
    alpha = candis_config(sandbox, tmp_path, refresh_token=initial_refresh_token("alpha-organization", ORGANIZATIONS))
    assert tap(alpha).returncode == 0
    command = AuthorizeCommand(
        "tap-candis-authorize", _config(sandbox, tmp_path, organization_id="gamma-organization"), tmp_path
    )
    command.consent("approve", "gamma-organization")
    assert command.finish().returncode == 0
    assert tap(alpha).returncode == 0  # alpha's chain continues from its own entry
    assert tap(_config(sandbox, tmp_path, organization_id="gamma-organization")).returncode == 0
    assert len(stored_tokens(tmp_path)) == 2
