"""``POST /_sandbox/reset`` validates before it assigns: a refused reset changes nothing, and later resets work."""

from __future__ import annotations

import importlib

import pytest
import requests
from sandbox.framework.server import serve_in_thread

# (package, config class, a reset every provider's config refuses as a whole, though each value is an int >= 0)
CASES = [
    ("candis", "CandisConfig", {"scale": 50_000_000}),
    ("pleo", "PleoConfig", {"scale": 10_000_000}),
    ("ivesk", "IveskConfig", {"scale": 50_000_000}),
    ("findity", "FindityConfig", {"scale": 50_000_000}),
    ("findity", "FindityConfig", {"export_size": 0}),
]


@pytest.mark.parametrize("package,config_class,refused", CASES, ids=[f"{c[0]}-{next(iter(c[2]))}" for c in CASES])
def test_a_refused_reset_changes_nothing_and_the_next_resets_work(
    package: str, config_class: str, refused: dict
) -> None:
    module = importlib.import_module(f"sandbox.{package}")
    app = module.create_app(getattr(module, config_class)(seed=42, scale=40))
    with serve_in_thread(app) as base, requests.Session() as http:
        config = http.get(base + "/_sandbox/config", timeout=10).json()
        truth = http.get(base + "/_sandbox/ground-truth", timeout=30).json()

        answer = http.post(base + "/_sandbox/reset", json=refused, timeout=10)
        assert answer.status_code == 400 and "error" in answer.json(), answer.text
        assert http.get(base + "/_sandbox/config", timeout=10).json() == config
        assert http.get(base + "/_sandbox/ground-truth", timeout=30).json() == truth

        again = http.post(base + "/_sandbox/reset", json={}, timeout=30)
        assert again.status_code == 200, again.text
        assert again.json() == config
        assert http.get(base + "/_sandbox/ground-truth", timeout=30).json() == truth

        changed = http.post(base + "/_sandbox/reset", json={"seed": 7, "scale": 30}, timeout=30)
        assert changed.status_code == 200, changed.text
        assert (changed.json()["seed"], changed.json()["scale"]) == (7, 30)
