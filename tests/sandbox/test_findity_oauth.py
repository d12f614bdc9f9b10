"""Findity emulator: client-credentials tokens at a token URL separate from the API, expiry, refresh tokens."""

from __future__ import annotations

from sandbox.findity import CLIENT_ID, ORGANIZATION_ID

from tests.findity.api_client import Clock, FindityApi


def test_client_credentials_grant_returns_a_bearer_token_for_an_hour_and_a_refresh_token(findity):
    response = FindityApi(findity).token_request()
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["access_token"] and body["refresh_token"]


def test_the_token_url_is_not_under_the_api_base(findity):
    api = FindityApi(findity)
    assert api.http.post(f"{findity.url}/api/oauth/token", data={"grant_type": "client_credentials"}).status_code == 404
    assert api.token_request().status_code == 200


def test_wrong_client_secret_is_invalid_client(findity):
    response = FindityApi(findity).token_request(client_secret="nope")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_refresh_token_works_once(findity):
    api = FindityApi(findity)
    refresh = api.authorize()["refresh_token"]
    first = api.token_request(grant_type="refresh_token", refresh_token=refresh)
    assert first.status_code == 200 and first.json()["refresh_token"] != refresh
    again = api.token_request(grant_type="refresh_token", refresh_token=refresh)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_an_expired_access_token_gets_401_and_a_new_one_works(findity_factory):
    clock = Clock()
    sandbox = findity_factory(clock=clock, token_lifetime=5)
    api = FindityApi(sandbox)
    assert api.call("GET", "/exports").status_code == 200
    clock.advance(6)
    expired = api.call("GET", "/exports")
    assert expired.status_code == 401 and expired.json()["code"] == "UNAUTHORIZED"
    api.authorize()
    assert api.call("GET", "/exports").status_code == 200


def test_missing_token_is_401(findity):
    response = FindityApi(findity).http.get(f"{findity.url}/api/v1/connect/organizations/{ORGANIZATION_ID}/exports")
    assert response.status_code == 401


def test_issued_tokens_never_appear_in_the_request_log(findity):
    api = FindityApi(findity)
    api.exports()
    log = str(findity.requests())
    issued = findity.admin("GET", "/findity/issued-tokens")
    assert issued and not any(token in log for token in issued)
    assert CLIENT_ID not in log
