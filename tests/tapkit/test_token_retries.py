"""The token endpoint gets the request policy of the API (tapkit.oauth through tapkit.http.RequestPolicy).

Over real HTTP against the sandboxes, for the three OAuth taps (Candis and Pleo: rotating refresh tokens;
Findity: client credentials): a 503, a 429 with Retry-After or a dropped connection on the token request is
retried and the run completes; an endpoint that stays unavailable ends the run with `token endpoint
unavailable after N tries`; a definite refusal (`invalid_grant`, `invalid_client`) ends it at once, after
one token request, with `credentials rejected`.
"""

from __future__ import annotations

import datetime
import json
import typing as t
from pathlib import Path

import pytest
import requests
from sandbox.candis import TOKEN_PATH as CANDIS_TOKEN_PATH
from sandbox.findity import TOKEN_PATH as FINDITY_TOKEN_PATH
from sandbox.pleo import TOKEN_PATH as PLEO_TOKEN_PATH
from tapkit.http import MalformedResponseError
from tapkit.oauth import RotatingRefreshTokenAuthenticator, rotating_authenticator
from tapkit.ratelimit import RollingWindowLimiter
from tapkit.token_store import RefreshTokenStore

from tests.candis.conftest import candis_config
from tests.findity.conftest import findity_config
from tests.helpers import Sandbox, TapRun, run_tap
from tests.pleo.conftest import pleo_config


def _pleo_oauth(sandbox: Sandbox, tmp: Path, **overrides: t.Any) -> dict:
    return pleo_config(sandbox, tmp, oauth=True, **overrides)


#: tap -> (sandbox fixture, OAuth config for that sandbox, token endpoint path)
TAPS: dict[str, tuple[str, t.Callable[..., dict], str]] = {
    "tap-candis": ("candis", candis_config, CANDIS_TOKEN_PATH),
    "tap-pleo": ("pleo", _pleo_oauth, PLEO_TOKEN_PATH),
    "tap-findity": ("findity", findity_config, FINDITY_TOKEN_PATH),
}


class Setup(t.NamedTuple):
    tap: str
    sandbox: Sandbox
    tmp: Path
    token_path: str

    def config(self, **overrides: t.Any) -> dict:
        return TAPS[self.tap][1](self.sandbox, self.tmp, **{"max_retries": 2, "request_timeout": 5, **overrides})

    def run(self, **overrides: t.Any) -> TapRun:
        workdir = self.tmp / f"run-{len(list(self.tmp.glob('run-*')))}"
        workdir.mkdir()
        return run_tap(self.tap, self.config(**overrides), workdir)

    def token_requests(self) -> list[dict]:
        return [r for r in self.sandbox.requests() if r["path"] == self.token_path]

    def error_line(self, run: TapRun) -> str:
        """The run's one error line (exit 1, no traceback)."""
        assert run.returncode == 1, run.stderr[-2000:]
        assert "Traceback" not in run.stderr, run.stderr[-2000:]
        errors = [line for line in run.stderr.splitlines() if ": error:" in line]
        assert len(errors) == 1 and errors[0].startswith(f"{self.tap}: error: "), run.stderr[-2000:]
        assert errors[0] == run.stderr.strip().splitlines()[-1]
        return errors[0]


@pytest.fixture(params=sorted(TAPS))
def oauth(request: pytest.FixtureRequest, tmp_path: Path) -> Setup:
    fixture, _, token_path = TAPS[request.param]
    return Setup(request.param, request.getfixturevalue(fixture), tmp_path, token_path)


def _unique(records: list[dict]) -> int:
    return len({json.dumps(r, sort_keys=True, default=str) for r in records})


def _assert_every_record_arrived(run: TapRun, sandbox: Sandbox) -> None:
    assert run.returncode == 0, run.stderr[-2000:]
    truth = sandbox.ground_truth()
    emitted = run.streams()
    assert emitted, "the run emitted nothing"
    for stream in emitted:
        assert _unique(run.records(stream)) == truth[stream]["count"], stream


def _ts(entry: dict) -> datetime.datetime:
    return datetime.datetime.fromisoformat(str(entry["ts"]).replace("Z", "+00:00"))


# --- retried, and the run completes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param({"kind": "status", "status": 503}, id="503-once"),
        pytest.param({"kind": "status", "status": 429, "retry_after": 1}, id="429-retry-after-1"),
        pytest.param({"kind": "drop"}, id="dropped-connection"),
        pytest.param({"kind": "malformed", "body": "missing_keys"}, id="200-without-access-token"),
    ],
)
def test_a_token_request_failing_once_is_retried_and_every_record_arrives(oauth: Setup, fault: dict) -> None:
    oauth.sandbox.faults({"path": f"^{oauth.token_path}$", "times": 1, **fault})
    run = oauth.run()
    _assert_every_record_arrived(run, oauth.sandbox)
    tokens = oauth.token_requests()
    assert len(tokens) == 2, tokens  # the failed try and its retry
    assert tokens[0].get("faults") and not tokens[1].get("faults")
    assert "Token request failed (try 1 of 3)" in run.stderr
    if fault.get("retry_after"):
        assert (_ts(tokens[1]) - _ts(tokens[0])).total_seconds() >= 1.0  # Retry-After honoured


def test_a_token_request_timing_out_once_is_retried(findity: Sandbox, tmp_path: Path) -> None:
    # client credentials: a retry after a lost answer is always safe (nothing is spent)
    setup = Setup("tap-findity", findity, tmp_path, FINDITY_TOKEN_PATH)
    findity.faults({"path": f"^{FINDITY_TOKEN_PATH}$", "kind": "slow", "delay": 1.5, "times": 1})
    run = setup.run(request_timeout=1)
    _assert_every_record_arrived(run, findity)
    assert len(setup.token_requests()) == 2
    assert "no response (read timeout 1 s); retrying" in run.stderr


def test_a_garbled_token_answer_is_retried_with_client_credentials(findity: Sandbox, tmp_path: Path) -> None:
    setup = Setup("tap-findity", findity, tmp_path, FINDITY_TOKEN_PATH)
    findity.faults({"path": f"^{FINDITY_TOKEN_PATH}$", "kind": "malformed", "body": "truncated"})
    _assert_every_record_arrived(setup.run(), findity)


# --- unavailable: every try failed -------------------------------------------------------------------------


def test_a_token_endpoint_that_stays_unavailable_ends_the_run_after_the_retries(oauth: Setup) -> None:
    oauth.sandbox.faults(
        {"path": f"^{oauth.token_path}$", "kind": "status", "status": 503, "retry_after": 0, "times": None}
    )
    run = oauth.run()
    line = oauth.error_line(run)
    prefix = f"{oauth.tap}: error: token endpoint unavailable after 3 tries: POST {oauth.token_path}: HTTP 503"
    assert line.startswith(prefix), line
    assert "127.0.0.1" not in line and "check client_id" not in line
    assert len(oauth.token_requests()) == 3  # max_retries=2: three tries, then no more
    assert not run.records("exports") and not run.records("export_jobs")


def test_dropped_connections_on_every_token_try_are_named_in_words(candis: Sandbox, tmp_path: Path) -> None:
    setup = Setup("tap-candis", candis, tmp_path, CANDIS_TOKEN_PATH)
    candis.faults({"path": f"^{CANDIS_TOKEN_PATH}$", "kind": "drop", "times": None})
    line = setup.error_line(setup.run(max_retries=1))
    assert line == (
        f"tap-candis: error: token endpoint unavailable after 2 tries: POST {CANDIS_TOKEN_PATH}: no response "
        "(the server closed the connection without answering)"
    )


# --- refused: fails at once ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tap", "overrides", "expected"),
    [
        ("tap-candis", {"client_secret": "wrong-secret-value"}, "credentials rejected: invalid_client (HTTP 401"),
        ("tap-candis", {"refresh_token": "wrong-refresh-value"}, "credentials rejected: invalid_grant (HTTP 400"),
        ("tap-pleo", {"client_secret": "wrong-secret-value"}, "credentials rejected: invalid_client (HTTP 401"),
        ("tap-pleo", {"refresh_token": "wrong-refresh-value"}, "credentials rejected: invalid_grant (HTTP 400"),
        ("tap-findity", {"client_secret": "wrong-secret-value"}, "credentials rejected: invalid_client (HTTP 401"),
    ],
)
def test_a_definite_refusal_fails_at_once_naming_the_oauth_error(
    request: pytest.FixtureRequest, tmp_path: Path, tap: str, overrides: dict, expected: str
) -> None:
    fixture, _, token_path = TAPS[tap]
    setup = Setup(tap, request.getfixturevalue(fixture), tmp_path, token_path)
    run = setup.run(**overrides)
    line = setup.error_line(run)
    assert line.startswith(f"{tap}: error: {expected} from POST {token_path}"), line
    what = "refresh_token" if "refresh_token" in overrides else "client_id and client_secret"
    assert what in line
    assert "unavailable" not in line
    assert len(setup.token_requests()) == 1  # not retried
    for value in overrides.values():
        assert value not in run.stderr


def test_a_lost_answer_to_a_rotating_refresh_is_explained(candis: Sandbox, tmp_path: Path) -> None:
    """The residual risk of rotation: Candis spends the refresh token and the answer carrying the new one is cut
    off; the retry with the same (now spent) token is refused, and the error says why."""
    setup = Setup("tap-candis", candis, tmp_path, CANDIS_TOKEN_PATH)
    candis.faults({"path": f"^{CANDIS_TOKEN_PATH}$", "kind": "malformed", "body": "truncated"})
    line = setup.error_line(setup.run())
    assert line.startswith("tap-candis: error: credentials rejected: invalid_grant (HTTP 400"), line
    assert "an earlier try got no usable answer (HTTP 200 without an access_token (not OAuth JSON))" in line
    assert len(setup.token_requests()) == 2


def test_an_unwritable_token_store_fails_before_the_refresh_token_is_spent(candis: Sandbox, tmp_path: Path) -> None:
    setup = Setup("tap-candis", candis, tmp_path, CANDIS_TOKEN_PATH)
    (tmp_path / "a-file").write_text("")
    line = setup.error_line(setup.run(token_store_dir=str(tmp_path / "a-file" / "tokens")))
    assert "is not writable (Not a directory)" in line, line
    assert setup.token_requests() == []


# --- the tap-wide rate limit, the rotated token in any answer --------------------------------------------------


def test_token_requests_hold_a_slot_of_the_tap_wide_rate_limiter(candis: Sandbox, tmp_path: Path) -> None:
    from tap_candis.tap import TapCandis

    tap = TapCandis(config=candis_config(candis, tmp_path, max_requests_per_minute=100))
    stream = tap.streams["invoices"]
    auth = stream.authenticator
    assert auth.request_policy.rate_limiter is tap.rate_limiter  # the API requests' limiter

    slept: list[float] = []
    limiter = RollingWindowLimiter(1, clock=lambda: 1000.0 + sum(slept), sleep=slept.append)
    auth.request_policy.rate_limiter = limiter
    limiter.acquire()  # the window's one request is taken: the token request has to wait for it
    auth.update_access_token()
    assert auth.access_token and slept == [60.0]


def test_a_rotated_refresh_token_is_kept_even_from_an_answer_without_access_token(tmp_path: Path) -> None:
    store = RefreshTokenStore(tmp_path, token_url="https://id.invalid/token", client_id="c")
    auth = RotatingRefreshTokenAuthenticator(
        auth_endpoint="https://id.invalid/token", client_id="c", client_secret="s", refresh_token="old", store=store
    )
    response = requests.Response()
    response.status_code = 200
    response._content = b'{"refresh_token": "rotated"}'
    with pytest.raises(MalformedResponseError):
        auth._token_body(response)
    assert auth.refresh_token == "rotated"
    assert store.load("old") == "rotated"


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (400, {"error": "unauthorized_client"}, "credentials rejected: unauthorized_client (HTTP 400"),
        (401, {}, "credentials rejected: no OAuth error code (HTTP 401"),
        (400, {"error": "unsupported_grant_type"}, "token request refused: unsupported_grant_type (HTTP 400"),
        (404, {"error": "not found"}, "token request refused: not found (HTTP 404"),
    ],
)
def test_other_token_answers_name_what_they_are(status: int, body: dict, expected: str) -> None:
    auth = rotating_authenticator(
        "tap-x",
        {"client_id": "c", "client_secret": "s3cr3t", "refresh_token": "r", "token_store_dir": "/nonexistent"},
        token_url="https://id.invalid/realms/x/token",
    )
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps({**body, "error_description": "bad s3cr3t"}).encode()
    error = str(auth.refused(response, check="check the refresh token"))
    assert error.startswith(f"{expected} from POST /realms/x/token)"), error
    assert "s3cr3t" not in error and "id.invalid" not in error
