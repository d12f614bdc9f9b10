"""The storm: 30 % of the requests on every path fail — 429 with Retry-After, 503, dropped connections (some
cut off in the middle of the body) — the OAuth token endpoint included, and every tap still completes and
lands every key of a calm run, once after dedupe.

The faults are seeded, per path group (the token endpoint and everything else), through the sandbox's fault
rules: a rule `{"after": n, "times": 1}` fails the (n+1)-th request of its group, so a storm is the same on
every run of the suite. Small scale, small pages, attachments downloaded (their paths storm too), and
Retry-After mostly 0, so a storm takes seconds; `max_retries` is raised to ride it out.
"""

from __future__ import annotations

import random
import re
import typing as t
import zlib
from collections import Counter
from pathlib import Path

import pytest
from sandbox.candis import TOKEN_PATH as CANDIS_TOKEN_PATH
from sandbox.findity import TOKEN_PATH as FINDITY_TOKEN_PATH
from sandbox.ivesk.parties import COMPANY_CODES
from sandbox.pleo import TOKEN_PATH as PLEO_TOKEN_PATH

from tests.candis.conftest import candis_config
from tests.findity.conftest import findity_config
from tests.helpers import Sandbox, TapRun, run_tap
from tests.ivesk.conftest import ivesk_config
from tests.kill_campaign import key_sets
from tests.pleo.conftest import pleo_config

RATE = 0.3
#: tap -> (sandbox factory fixture, sandbox options, config, the token endpoint's path or None)
TAPS: dict[str, tuple[str, dict[str, t.Any], t.Callable[[Sandbox, Path], dict], str | None]] = {
    "tap-candis": ("candis_factory", {"scale": 20}, candis_config, CANDIS_TOKEN_PATH),
    "tap-pleo": (
        "pleo_factory",
        {"scale": 20},
        lambda sandbox, tmp: pleo_config(sandbox, tmp, oauth=True, page_size=10),
        PLEO_TOKEN_PATH,
    ),
    "tap-ivesk": (
        "ivesk_factory",
        {"scale": 40, "page_size": 10, "columns_page_size": 10},
        lambda sandbox, tmp: ivesk_config(sandbox, company_codes=[COMPANY_CODES[0]], columns=["department"]),
        None,
    ),
    "tap-findity": ("findity_factory", {"scale": 20, "initial_exports": 2}, findity_config, FINDITY_TOKEN_PATH),
}


def storm(seed: int, token_path: str | None, *, api_requests: int = 600, token_requests: int = 30) -> list[dict]:
    """Fault rules failing a seeded 30 % of the first requests of each group (and the first token request)."""
    rng = random.Random(seed)

    def fault() -> dict[str, t.Any]:
        kind = rng.choice(("429", "503", "drop"))
        if kind == "429":
            return {"kind": "status", "status": 429, "retry_after": rng.choice((0, 0, 0, 1))}
        if kind == "503":
            return {"kind": "status", "status": 503, **({"retry_after": 0} if rng.random() < 0.5 else {})}
        return {"kind": "drop", "mode": rng.choice(("reset", "reset", "truncated_body"))}

    groups = [(f"^(?!{re.escape(token_path)}$)" if token_path else "^/", api_requests, False)]
    if token_path:
        groups.append((f"^{re.escape(token_path)}$", token_requests, True))
    rules = []
    for path, count, is_token in groups:
        for index in range(count):
            if (is_token and index == 0) or rng.random() < RATE:
                rules.append({"path": path, "after": index, "times": 1, **fault()})
    return rules


def counts(run: TapRun) -> Counter[str]:
    return Counter(m["stream"] for m in run.messages if m["type"] == "RECORD")


@pytest.mark.parametrize("name", sorted(TAPS))
def test_a_storm_of_429_503_and_dropped_connections_on_every_path_lands_every_key(request, tmp_path, name) -> None:
    fixture, options, make_config, token_path = TAPS[name]
    sandbox: Sandbox = request.getfixturevalue(fixture)(**options)
    config = make_config(sandbox, tmp_path) | {"max_retries": 10, "max_requests_per_minute": 0}
    (tmp_path / "calm").mkdir()
    calm = run_tap(name, config | {"files_dir": str(tmp_path / "calm" / "files")}, tmp_path / "calm")
    assert calm.returncode == 0, calm.stderr[-2000:]
    expected = key_sets([calm])
    truth = sandbox.ground_truth()
    for stream, keys in expected.items():
        if stream != "columns":  # the ground truth counts the code lists of every company, the tap reads one
            assert len(keys) == truth[stream]["count"], stream

    sandbox.clear_requests()
    sandbox.faults(*storm(zlib.crc32(name.encode()), token_path))
    (tmp_path / "storm").mkdir()
    stormy = run_tap(name, config | {"files_dir": str(tmp_path / "storm" / "files")}, tmp_path / "storm")

    assert stormy.returncode == 0, stormy.stderr[-3000:]
    assert key_sets([stormy]) == expected  # every key, and only those (once each after dedupe)
    log = sandbox.requests()
    failed = [r for r in log if r.get("faults")]
    assert 0.2 <= len(failed) / len(log) <= 0.4, (len(failed), len(log))  # it was a storm
    assert {f for r in failed for f in r["faults"]} == {"status", "drop"}
    if token_path:
        assert any(r["path"] == token_path for r in failed)  # the token endpoint too
    per_stream = counts(stormy)
    assert per_stream == counts(calm)  # and no record more than a calm run: a retry re-emits nothing
    received, distinct = sum(per_stream.values()), sum(len(keys) for keys in expected.values())
    again = {s: n - len(expected[s]) for s, n in per_stream.items() if n > len(expected[s])}  # by design
    print(
        f"{name}: {len(log)} requests, {len(failed)} failed ({len(failed) / len(log):.0%}); "
        f"{received} records for {distinct} keys (again: {again or 'none'})"
    )
