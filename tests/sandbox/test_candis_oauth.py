"""Candis emulator: Keycloak refresh-token grant, Bearer checks, organization access."""

from __future__ import annotations

import json

from sandbox.candis import CLIENT_ID, CLIENT_SECRET, INITIAL_REFRESH_TOKEN, TOKEN_PATH


def test_refresh_returns_documented_fields_and_a_new_refresh_token(candis):
    response = candis.token_request()
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 1209600
    assert body["refresh_expires_in"] == 15551995
    assert body["not-before-policy"] == 0
    assert body["scope"] == "exports core_data offline_access"
    assert body["refresh_token"] != INITIAL_REFRESH_TOKEN
    assert body["access_token"] and body["session_state"]
    assert response.headers["cache-control"] == "no-store"


def test_used_refresh_token_is_rejected_and_the_rotated_one_works(candis):
    first = candis.token_request(INITIAL_REFRESH_TOKEN)
    assert first.status_code == 200
    again = candis.token_request(INITIAL_REFRESH_TOKEN)
    assert again.status_code == 400
    assert again.json() == {"error": "invalid_grant", "error_description": "Token is not active"}
    rotated = candis.token_request(first.json()["refresh_token"])
    assert rotated.status_code == 200
    assert rotated.json()["refresh_token"] != first.json()["refresh_token"]


def test_refresh_token_reuse_can_be_switched_on(candis):
    candis.admin("POST", "/config", {"refresh_token_reuse": True})
    assert candis.token_request(INITIAL_REFRESH_TOKEN).status_code == 200
    assert candis.token_request(INITIAL_REFRESH_TOKEN).status_code == 200


def test_client_secret_post_form_fields_authenticate_the_client(candis):
    response = candis.token_request(basic=False)
    assert response.status_code == 200, response.text


def test_wrong_client_credentials_are_401_invalid_client(candis):
    url = candis.base_url + TOKEN_PATH
    data = {"grant_type": "refresh_token", "refresh_token": INITIAL_REFRESH_TOKEN}
    basic = candis.http.post(url, data=data, auth=(CLIENT_ID, "wrong"))
    form = candis.http.post(url, data={**data, "client_id": CLIENT_ID, "client_secret": "wrong"})
    missing = candis.http.post(url, data=data)
    for response in (basic, form, missing):
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
        assert "error_description" in response.json()
    # a failed client authentication does not spend the refresh token
    assert candis.token_request(INITIAL_REFRESH_TOKEN).status_code == 200


def test_other_grant_types_are_unsupported(candis):
    response = candis.http.post(
        candis.base_url + TOKEN_PATH, data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, CLIENT_SECRET)
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_unknown_refresh_token_is_invalid_grant(candis):
    response = candis.token_request("not-a-token")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_discovery_lists_both_client_authentication_methods(candis):
    body = candis.http.get(candis.base_url + "/auth/realms/candis/.well-known/openid-configuration").json()
    assert body["token_endpoint"] == candis.base_url + TOKEN_PATH
    assert set(body["token_endpoint_auth_methods_supported"]) == {"client_secret_basic", "client_secret_post"}


def test_missing_or_invalid_bearer_token_is_401_in_candis_error_shape(candis):
    missing = candis.get("exports")
    assert missing.status_code == 401
    body = missing.json()
    assert body["errorCode"] == "UNAUTHORIZED" and body["message"] and body["requestId"]
    candis.access_token = "forged"
    assert candis.get("exports").status_code == 401


def test_access_token_expires_after_token_lifetime(make_candis, clock):
    candis = make_candis(clock=clock, token_lifetime=300).login()
    assert candis.get("invoices", params={"limit": 1}).status_code == 200
    clock.advance(299)
    assert candis.get("invoices", params={"limit": 1}).status_code == 200
    clock.advance(1)
    expired = candis.get("invoices", params={"limit": 1})
    assert expired.status_code == 401
    assert expired.json()["errorCode"] == "UNAUTHORIZED"
    candis.login()  # the refresh token is still valid
    assert candis.get("invoices", params={"limit": 1}).status_code == 200


def test_refresh_token_expires_after_refresh_lifetime(make_candis, clock):
    candis = make_candis(clock=clock, refresh_lifetime=3600).login()
    clock.advance(3600)
    assert candis.token_request().json() == {"error": "invalid_grant", "error_description": "Token is not active"}


def test_token_lifetime_changed_at_run_time_applies_to_new_tokens(make_candis, clock):
    candis = make_candis(clock=clock)
    candis.admin("POST", "/config", {"token_lifetime": 60})
    body = candis.token_request().json()
    assert body["expires_in"] == 60
    candis.access_token = body["access_token"]
    clock.advance(59)
    assert candis.get("exports").status_code == 200
    clock.advance(1)
    assert candis.get("exports").status_code == 401


def test_organization_info_names_the_tokens_organization(candis):
    candis.login()
    assert candis.get("/v1/organizations/info").json() == {"id": "alpha-organization", "name": "Alpha Handels GmbH"}


def test_other_organization_is_403_and_unknown_is_404(candis):
    candis.login()
    forbidden = candis.get("/v1/organizations/beta-organization/exports")
    assert forbidden.status_code == 403 and forbidden.json()["errorCode"] == "FORBIDDEN"
    unknown = candis.get("/v1/organizations/gamma-organization/exports")
    assert unknown.status_code == 404 and unknown.json()["errorCode"] == "NOT_FOUND"


def test_request_log_never_holds_tokens_or_secrets(candis):
    candis.login()
    candis.get("invoices", params={"limit": 2, "access_token": candis.access_token})
    log = candis.admin("GET", "/requests")
    text = json.dumps(log)
    for secret in (candis.access_token, candis.refresh_token, INITIAL_REFRESH_TOKEN, CLIENT_SECRET):
        assert secret not in text
    entry = log[-1]
    assert entry["path"] == "/v1/organizations/alpha-organization/invoices"
    assert entry["query"]["limit"] == "2" and entry["query"]["access_token"] == "[REDACTED]"
    assert entry["status"] == 200 and entry["organization"] == "alpha-organization" and entry["method"] == "GET"
