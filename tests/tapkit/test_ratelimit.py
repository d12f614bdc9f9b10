"""tapkit.ratelimit: a rolling window; a slot counts from the response's arrival (never before the server's stamp)."""

from __future__ import annotations

import pytest
from tapkit.ratelimit import RollingWindowLimiter


def _limiter(limit: int) -> tuple[RollingWindowLimiter, list[float], list[float]]:
    clock, slept = [0.0], []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    return RollingWindowLimiter(limit, 60, clock=lambda: clock[0], sleep=sleep), clock, slept


def test_rate_limiter_waits_for_the_oldest_call_to_leave_the_window() -> None:
    clock = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    limiter = RollingWindowLimiter(3, 60, clock=lambda: clock[0], sleep=sleep)
    for _ in range(3):
        assert limiter.acquire() == 0.0
        clock[0] += 1
    assert limiter.acquire() == pytest.approx(57.0)
    assert slept == [pytest.approx(57.0)]


def test_a_slot_is_reusable_a_full_window_after_its_response_arrived() -> None:
    limiter, clock, slept = _limiter(2)
    with limiter.slot():
        clock[0] += 5.0  # the request took 5 s (connection setup, token refresh, slow network)
    with limiter.slot():
        clock[0] += 0.5
    with limiter.slot() as waited:  # the first slot frees 60 s after its response (t=5), not its start (t=0)
        pass
    assert waited == pytest.approx(59.5) and slept == [pytest.approx(59.5)]
    assert clock[0] == pytest.approx(65.0)


def test_a_failed_request_still_holds_its_slot() -> None:
    limiter, clock, _slept = _limiter(1)
    with pytest.raises(ConnectionError), limiter.slot():
        clock[0] += 2.0
        raise ConnectionError
    assert limiter.acquire() == pytest.approx(60.0)


def test_zero_disables_the_limit() -> None:
    limiter, _, slept = _limiter(0)
    for _ in range(1000):
        with limiter.slot():
            pass
    assert not slept


def test_downloads_from_another_host_do_not_use_the_api_limit() -> None:
    import types

    import requests
    from tapkit.http import ProviderHTTPMixin

    limiter, _, _ = _limiter(1)
    sent: list[str] = []
    stream = types.SimpleNamespace(
        url_base="https://api.example.com/v1",
        timeout=5,
        _tap=types.SimpleNamespace(rate_limiter=limiter),
        authenticator=lambda request: request,
        validate_status=lambda response: None,
        requests_session=types.SimpleNamespace(send=lambda request, **_: sent.append(request.url) or request),
    )
    for url in ("https://storage.example.net/r1?sig=x", "https://storage.example.net/r2?sig=y"):
        ProviderHTTPMixin.open_stream(stream, requests.Request("GET", url).prepare(), None)
    assert len(sent) == 2 and not limiter._calls  # no slot taken, so nothing waited
    ProviderHTTPMixin.open_stream(stream, requests.Request("GET", "https://api.example.com/v1/files/1").prepare(), None)
    assert len(limiter._calls) == 1
