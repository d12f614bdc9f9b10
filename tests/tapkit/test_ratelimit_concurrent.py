"""tapkit.ratelimit shared by concurrent workers: at the provider's own budget, over a network whose round trips
jitter (so requests reach the server in another order than they took their slots), the server's rolling
window never sees one request too many: no 429."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import requests
from sandbox.framework.latency import Delay, Latency
from sandbox.framework.ratelimit import RollingWindowLimiter as ServerLimiter
from sandbox.framework.server import serve_in_thread
from sandbox.ivesk import API_KEY, IveskConfig, create_app
from tapkit.ratelimit import RollingWindowLimiter

WORKERS = 8
BUDGET = 8  # requests per window, the server's and the client's
WINDOW = 1.0  # seconds (the providers' is 60; a short one lets the test cross several windows)
REQUESTS = 48  # six windows' worth


def test_eight_workers_at_the_budget_never_get_a_429_with_latency_on() -> None:
    app = create_app(IveskConfig(scale=5, rate_limit=BUDGET))
    provider = app.state.provider
    provider.limiter = ServerLimiter(window=WINDOW)
    provider.latency = Latency(api=Delay(60, 55), seed=11)  # 5-115 ms: arrivals overtake one another
    limiter = RollingWindowLimiter(BUDGET, WINDOW)
    statuses: list[int] = []
    lock = threading.Lock()
    local = threading.local()

    def one(_: int) -> None:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        with limiter.slot():
            response = session.get(f"{base}/exported", headers={"x-api-key": API_KEY}, timeout=30)
        with lock:
            statuses.append(response.status_code)

    with serve_in_thread(app) as base, ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(one, range(REQUESTS)))
    assert len(statuses) == REQUESTS
    assert statuses.count(429) == 0, f"{statuses.count(429)} of {REQUESTS} requests got 429"
    assert set(statuses) == {200}
    assert limiter.waited > 0  # the budget was reached: the workers had to wait for slots
