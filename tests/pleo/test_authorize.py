"""`tap-pleo-authorize` end to end against the sandbox (authorization code with PKCE S256): the consent lands the
company's refresh token in the token store, and the tap runs from it without `refresh_token` — Pleo revokes
an authorization whose spent token comes back, so the chain must continue wherever the token is named."""

from __future__ import annotations

import re

import requests
from sandbox.pleo import CLIENT_SECRET, COMPANIES, DEFAULT_COMPANY_ID

from tests.authorize_helpers import (
    AuthorizeCommand,
    assert_a_denied_consent_ends_with_one_line,
    secrets_absent,
    stored_tokens,
)
from tests.helpers import discover, select_only
from tests.pleo.conftest import pleo_config


def _config(pleo, tmp_path, **overrides) -> dict:
    settings = {"refresh_token": None, "authorize_url": pleo.url + "/oauth/authorize"} | overrides
    return pleo_config(pleo, tmp_path, oauth=True, **settings)


def _revocations(pleo) -> int:
    return pleo.admin("GET", "/pleo/oauth")["revocations"]


def test_an_approved_consent_with_pkce_stores_the_token_and_the_tap_runs_without_refresh_token(
    pleo, tmp_path, tap
) -> None:
    config = _config(pleo, tmp_path)
    command = AuthorizeCommand("tap-pleo-authorize", config, tmp_path)
    query = command.query()
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert set(query["scope"].split()) >= {"export-jobs:read", "export-jobs:write", "export-items:read"}
    assert command.consent("approve").status_code == 200
    done = command.finish()
    assert done.returncode == 0, done.stderr
    assert f"tap-pleo:authorize: authorized company_id {DEFAULT_COMPANY_ID} ({COMPANIES[0].name})" in done.stdout
    assert f"TAP_PLEO_COMPANY_ID={DEFAULT_COMPANY_ID} — and no TAP_PLEO_REFRESH_TOKEN" in done.stdout
    issued = pleo.admin("GET", "/pleo/issued-tokens")
    assert secrets_absent(done.stdout + done.stderr, [*issued, CLIENT_SECRET])
    (entry,) = stored_tokens(tmp_path)
    assert entry["tenant"] == DEFAULT_COMPANY_ID

    catalog = select_only(discover("tap-pleo", config, tmp_path), "tax_codes")
    for _ in range(2):
        run = tap(config, catalog=catalog)
        assert run.returncode == 0, run.stderr[-1500:]
        assert run.records("tax_codes")
    assert _revocations(pleo) == 0


def test_the_printed_token_put_into_the_config_continues_the_chain_instead_of_revoking_it(pleo, tmp_path, tap) -> None:
    command = AuthorizeCommand("tap-pleo-authorize", _config(pleo, tmp_path), tmp_path, "--print-refresh-token")
    command.consent("approve")
    done = command.finish()
    assert done.returncode == 0, done.stderr
    (printed,) = re.findall(r"refresh token \(secret; already stored, do not share\): (\S+)", done.stdout)
    assert tap(_config(pleo, tmp_path)).returncode == 0  # spends the printed token, stores the next one
    # the config now names the (spent) first token of the chain: the tap continues the stored chain
    run = tap(_config(pleo, tmp_path, refresh_token=printed))
    assert run.returncode == 0, run.stderr[-1500:]
    assert _revocations(pleo) == 0


def test_a_company_the_authorization_does_not_see_is_refused_and_nothing_stored(pleo, tmp_path) -> None:
    command = AuthorizeCommand("tap-pleo-authorize", _config(pleo, tmp_path, company_id="no-such-company"), tmp_path)
    command.consent("approve")
    done = command.finish()
    assert done.returncode == 1
    assert done.last_error.startswith("tap-pleo: error: the authorization does not see company_id no-such-company")
    assert not stored_tokens(tmp_path)


def test_a_denied_consent_ends_with_one_line(pleo, tmp_path) -> None:
    command = AuthorizeCommand("tap-pleo-authorize", _config(pleo, tmp_path), tmp_path)
    assert_a_denied_consent_ends_with_one_line(command, "tap-pleo", tmp_path)


def test_a_redirect_with_another_state_is_refused(pleo, tmp_path) -> None:
    command = AuthorizeCommand("tap-pleo-authorize", _config(pleo, tmp_path), tmp_path)
    query = command.query()
    requests.get(query["redirect_uri"], params={"code": "stolen", "state": "forged"}, timeout=10)
    done = command.finish()
    assert done.returncode == 1 and "refused: the redirect's state does not match" in done.last_error


def test_no_consent_within_the_timeout_ends_with_one_line(pleo, tmp_path) -> None:
    done = AuthorizeCommand("tap-pleo-authorize", _config(pleo, tmp_path), tmp_path, timeout=0.5).finish()
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "tap-pleo: error: no answer from the browser within 0.5 s (--timeout): nothing was stored"
    ]
