"""The emulators' authorization endpoints (Candis' Keycloak, Pleo with PKCE) and what their token endpoints do
with codes and refresh tokens: single-use, short-lived, bound to the redirect URI, the PKCE verifier and
ONE organization."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
import secrets
import typing as t
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from sandbox.candis.config import initial_refresh_token
from sandbox.framework.server import serve_in_thread

from sandbox import candis as candis_sandbox
from sandbox import pleo as pleo_sandbox
from tests.sandbox.conftest import Clock

REDIRECT = "http://127.0.0.1:53682/callback"
ORGANIZATIONS = ["alpha-organization", "gamma-organization"]


@dataclasses.dataclass
class Provider:
    url: str
    authorize_path: str
    token_path: str
    client: tuple[str, str]
    scope: str

    def begin(self, **params: t.Any) -> requests.Response:
        query = {"response_type": "code", "client_id": self.client[0], "redirect_uri": REDIRECT, "scope": self.scope}
        query |= {"state": "st4te"} | params
        return requests.get(self.url + self.authorize_path, params=query, allow_redirects=False, timeout=10)

    def decide(self, page: requests.Response, decision: str, organization: str | None = None) -> requests.Response:
        assert page.status_code == 200, page.text
        action = re.search(r'action="([^"]+)"', page.text)
        request_id = re.search(r'name="request" value="([^"]+)"', page.text)
        assert action and request_id
        offered = re.findall(r'<option value="([^"]+)"', page.text)
        # as a browser: the selected option, the first one unless another is chosen
        form = {"request": request_id.group(1), "decision": decision, "organization": organization or offered[0]}
        return requests.post(self.url + action.group(1), data=form, allow_redirects=False, timeout=10)

    def code(self, verifier: str | None = None, organization: str | None = None) -> str:
        params = {"code_challenge": challenge(verifier), "code_challenge_method": "S256"} if verifier else {}
        answer = self.decide(self.begin(**params), "approve", organization)
        assert answer.status_code == 303, answer.text
        query = redirected(answer)
        assert query["state"] == "st4te"
        return query["code"]

    def token(self, **form: str | None) -> requests.Response:
        data = {k: v for k, v in form.items() if v is not None}
        return requests.post(self.url + self.token_path, data=data, auth=self.client, timeout=10)

    def exchange(self, code: str, verifier: str | None = None, redirect_uri: str = REDIRECT) -> requests.Response:
        return self.token(grant_type="authorization_code", code=code, redirect_uri=redirect_uri, code_verifier=verifier)

    def get(self, path: str, access_token: str, **params: t.Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {access_token}"}
        return requests.get(self.url + path, headers=headers, params=params, timeout=10)


def challenge(verifier: str | None) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256((verifier or "").encode()).digest()).decode().rstrip("=")


def redirected(answer: requests.Response) -> dict[str, str]:
    location = answer.headers["location"]
    assert location.startswith(REDIRECT + "?")
    return {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def candis(clock: Clock) -> Iterator[Provider]:
    config = candis_sandbox.CandisConfig(scale=10, organizations=ORGANIZATIONS, clock=clock)
    with serve_in_thread(candis_sandbox.create_app(config)) as url:
        yield Provider(
            url,
            "/auth/realms/candis/protocol/openid-connect/auth",
            candis_sandbox.TOKEN_PATH,
            (candis_sandbox.CLIENT_ID, candis_sandbox.CLIENT_SECRET),
            "exports core_data offline_access",
        )


@pytest.fixture
def pleo(clock: Clock) -> Iterator[Provider]:
    with serve_in_thread(pleo_sandbox.create_app(pleo_sandbox.PleoConfig(scale=10, clock=clock))) as url:
        yield Provider(
            url,
            "/oauth/authorize",
            pleo_sandbox.TOKEN_PATH,
            (pleo_sandbox.CLIENT_ID, pleo_sandbox.CLIENT_SECRET),
            "export-jobs:read companies:read",
        )


@pytest.fixture(params=["candis", "pleo"])
def provider(request: pytest.FixtureRequest) -> Provider:
    return request.getfixturevalue(request.param)


def test_candis_discovery_names_the_authorization_endpoint_it_serves(candis: Provider) -> None:
    discovery = requests.get(candis.url + "/auth/realms/candis/.well-known/openid-configuration", timeout=10).json()
    assert discovery["authorization_endpoint"] == candis.url + candis.authorize_path
    page = requests.get(discovery["authorization_endpoint"], params={"client_id": "x"}, timeout=10)
    assert page.status_code == 400 and "Client not found" in page.text


def test_a_consent_for_one_organization_gives_tokens_that_read_only_that_organization(candis: Provider) -> None:
    page = candis.begin()
    assert re.findall(r'<option value="([^"]+)"', page.text) == ORGANIZATIONS
    body = candis.exchange(candis.code(organization="gamma-organization")).json()
    assert body["scope"] == "exports core_data offline_access" and body["refresh_token"]
    access = body["access_token"]
    assert candis.get("/v1/organizations/info", access).json()["id"] == "gamma-organization"
    assert candis.get("/v1/organizations/gamma-organization/invoices", access).status_code == 200
    assert candis.get("/v1/organizations/alpha-organization/invoices", access).status_code == 403
    # its refresh token is single-use, and the rotated one stays bound to the organization
    first = candis.token(grant_type="refresh_token", refresh_token=body["refresh_token"])
    assert first.status_code == 200
    again = candis.token(grant_type="refresh_token", refresh_token=body["refresh_token"])
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    rotated = first.json()["access_token"]
    assert candis.get("/v1/organizations/info", rotated).json()["id"] == "gamma-organization"
    assert candis.get("/v1/organizations/alpha-organization/invoices", rotated).status_code == 403


def test_each_organization_starts_with_its_own_single_use_refresh_token(candis: Provider) -> None:
    for slug in ORGANIZATIONS:
        token = initial_refresh_token(slug, ORGANIZATIONS)
        answer = candis.token(grant_type="refresh_token", refresh_token=token)
        assert answer.status_code == 200
        assert candis.get("/v1/organizations/info", answer.json()["access_token"]).json()["id"] == slug
        assert candis.token(grant_type="refresh_token", refresh_token=token).json()["error"] == "invalid_grant"


def test_a_denied_consent_redirects_with_access_denied_and_the_state(provider: Provider) -> None:
    params = {"code_challenge": challenge("v" * 43), "code_challenge_method": "S256"}
    answer = provider.decide(provider.begin(**params), "deny")
    assert answer.status_code == 303
    query = redirected(answer)
    assert query["error"] == "access_denied" and query["state"] == "st4te" and "code" not in query


def test_a_code_is_single_use_and_presenting_it_again_revokes_its_tokens(provider: Provider) -> None:
    verifier = secrets.token_urlsafe(48)
    code = provider.code(verifier)
    first = provider.exchange(code, verifier)
    assert first.status_code == 200, first.text
    again = provider.exchange(code, verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    path = "/v1/organizations/info" if "candis" in provider.token_path else "/v1/companies"
    assert provider.get(path, first.json()["access_token"]).status_code == 401
    refreshed = provider.token(grant_type="refresh_token", refresh_token=first.json()["refresh_token"])
    assert refreshed.status_code == 400


def test_a_code_lives_sixty_seconds(provider: Provider, clock: Clock) -> None:
    verifier = secrets.token_urlsafe(48)
    code = provider.code(verifier)
    clock.advance(61)
    late = provider.exchange(code, verifier)
    assert late.status_code == 400 and late.json() == {"error": "invalid_grant", "error_description": "Code is expired"}


def test_the_redirect_uri_must_be_the_one_of_the_request(provider: Provider) -> None:
    verifier = secrets.token_urlsafe(48)
    answer = provider.exchange(provider.code(verifier), verifier, redirect_uri="http://127.0.0.1:1/other")
    assert answer.status_code == 400 and answer.json()["error_description"] == "Incorrect redirect_uri"


def test_pleo_requires_pkce_and_the_exchange_verifies_the_code_verifier(pleo: Provider) -> None:
    missing = pleo.begin()
    assert missing.status_code == 303 and redirected(missing)["error"] == "invalid_request"
    plain = pleo.begin(code_challenge="x" * 43, code_challenge_method="plain")
    assert redirected(plain)["error"] == "invalid_request"
    verifier = secrets.token_urlsafe(48)
    wrong = pleo.exchange(pleo.code(verifier), secrets.token_urlsafe(48))
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    without = pleo.exchange(pleo.code(verifier), None)
    assert without.status_code == 400 and without.json()["error"] == "invalid_grant"
    right = pleo.exchange(pleo.code(verifier), verifier)
    assert right.status_code == 200 and right.json()["refresh_token"].startswith("pleo_rt_")
    assert pleo.get("/v1/companies", right.json()["access_token"]).status_code == 200


def test_candis_checks_a_pkce_challenge_when_the_request_carried_one(candis: Provider) -> None:
    verifier = secrets.token_urlsafe(48)
    assert candis.exchange(candis.code(verifier), "w" * 64).json()["error"] == "invalid_grant"
    assert candis.exchange(candis.code(), None).status_code == 200  # PKCE is optional at Keycloak


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"client_id": "someone-else"}, "Client not found."),
        ({"redirect_uri": "https://evil.example/callback"}, "Invalid parameter: redirect_uri"),
        ({"redirect_uri": None}, "Invalid parameter: redirect_uri"),
    ],
)
def test_an_unknown_client_or_a_redirect_off_loopback_gets_an_error_page_and_no_redirect(
    provider: Provider, params: dict, message: str
) -> None:
    answer = provider.begin(**params)
    assert answer.status_code == 400 and "location" not in answer.headers
    assert message in answer.text and answer.headers["content-type"].startswith("text/html")


def test_other_request_errors_go_back_to_the_client(provider: Provider) -> None:
    params = {"code_challenge": challenge("v" * 43), "code_challenge_method": "S256"}
    assert redirected(provider.begin(response_type="token", **params))["error"] == "unsupported_response_type"
    assert redirected(provider.begin(scope="everything", **params))["error"] == "invalid_scope"


def test_a_consent_form_is_single_use(provider: Provider) -> None:
    page = provider.begin(code_challenge=challenge("v" * 43), code_challenge_method="S256")
    assert provider.decide(page, "approve").status_code == 303
    assert provider.decide(page, "approve").status_code == 400
