"""Fault rules a test switches on through ``POST /_sandbox/faults``.

A rule matches requests by ``path`` (a regular expression, ``re.search`` against the request path) and an
optional ``method``; it skips the first ``after`` matching requests and then hits the next ``times`` ones
(``times: null`` = every one). Kinds:

* ``status``  — answer ``status`` with the provider's error body; optional ``retry_after``: an int
  (seconds) or ``"http-date"`` (an HTTP-date ``retry_after_seconds`` ahead); optional ``code``/``message``.
* ``slow``    — wait ``delay`` seconds, then serve normally.
* ``drop``    — close the connection without any response (client: ``ConnectionError``);
  ``mode: "truncated_body"`` instead sends headers and half a body, then closes (``ChunkedEncodingError``).
* ``malformed`` — ``body``: ``"html"`` (200 text/html gateway page), ``"truncated"`` (200, the real JSON
  body cut in half) or ``"missing_keys"`` (200 ``{}``).
* ``expire_tokens`` — revoke all access tokens just before serving the request (so it gets 401).
* ``mutate``  — provider-specific change just before serving (e.g. modify records during pagination).

Pre-actions (``slow``, ``expire_tokens``, ``mutate``) of every matching rule run; then the first matching
terminal fault (``status``, ``drop``, ``malformed``), if any, answers instead of the API.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import admin_int

KINDS = ("status", "slow", "drop", "malformed", "expire_tokens", "mutate")
PRE_ACTIONS = ("slow", "expire_tokens", "mutate")
MALFORMED_BODIES = ("html", "truncated", "missing_keys")
DROP_MODES = ("reset", "truncated_body")


@dataclass
class FaultRule:
    path: str
    kind: str
    method: str | None = None
    times: int | None = 1
    after: int = 0
    status: int | None = None
    retry_after: int | str | None = None
    retry_after_seconds: int | None = None
    code: str | None = None
    message: str | None = None
    delay: float = 0.0
    mode: str = "reset"
    body: str | None = None
    params: dict[str, Any] = field(default_factory=dict)  # kind-specific extras (e.g. mutate's stream/count)
    seen: int = 0
    hits: int = 0
    _regex: re.Pattern | None = field(default=None, repr=False)

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method != method:
            return False
        assert self._regex is not None
        return self._regex.search(path) is not None

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times

    def view(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "kind": self.kind,
            "method": self.method,
            "times": self.times,
            "after": self.after,
            "seen": self.seen,
            "hits": self.hits,
        }
        if self.kind == "status":
            out.update(
                status=self.status,
                retry_after=self.retry_after,
                retry_after_seconds=self.retry_after_seconds,
                code=self.code,
                message=self.message,
            )
        elif self.kind == "slow":
            out["delay"] = self.delay
        elif self.kind == "drop":
            out["mode"] = self.mode
        elif self.kind == "malformed":
            out["body"] = self.body
        out.update(self.params)
        return out


_COMMON = {"path", "kind", "method", "times", "after"}
_ALLOWED = {
    "status": _COMMON | {"status", "retry_after", "retry_after_seconds", "code", "message"},
    "slow": _COMMON | {"delay"},
    "drop": _COMMON | {"mode"},
    "malformed": _COMMON | {"body"},
    "expire_tokens": _COMMON,
    "mutate": None,  # provider-specific keys, validated by the provider
}


def parse_rule(raw: Any, validate_mutate: Callable[[dict[str, Any]], None] | None = None) -> FaultRule:
    if not isinstance(raw, dict):
        raise ValueError("a fault rule must be a JSON object")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise ValueError(f"'kind' must be one of {', '.join(KINDS)}")
    path = raw.get("path")
    if not isinstance(path, str) or not path:
        raise ValueError("'path' (a regular expression) is required")
    try:
        regex = re.compile(path)
    except re.error as exc:
        raise ValueError(f"'path' is not a valid regular expression: {exc}") from None
    allowed = _ALLOWED[kind]
    if allowed is not None and set(raw) - allowed:
        raise ValueError(f"unknown keys for kind {kind!r}: {', '.join(sorted(set(raw) - allowed))}")
    method = raw.get("method")
    if method is not None and not isinstance(method, str):
        raise ValueError("'method' must be a string")
    times = admin_int(raw, "times", 1, 1, null_ok=True)  # null: every matching request
    rule = FaultRule(
        path=path,
        kind=kind,
        method=method.upper() if method else None,
        times=times,
        after=admin_int(raw, "after", 0, null_ok=True),
        _regex=regex,
    )
    if kind == "status":
        rule.status = admin_int(raw, "status", None, 100, null_ok=True)
        if rule.status is None or rule.status > 599:
            raise ValueError("'status' (an HTTP status code) is required for kind 'status'")
        ra = raw.get("retry_after")
        if ra == "http-date":
            rule.retry_after = ra
            rule.retry_after_seconds = admin_int(raw, "retry_after_seconds", 1, 0, null_ok=True)
        elif ra is not None:
            rule.retry_after = admin_int(raw, "retry_after", None, 0, null_ok=True)
        for key in ("code", "message"):
            if raw.get(key) is not None and not isinstance(raw[key], str):
                raise ValueError(f"'{key}' must be a string")
        rule.code, rule.message = raw.get("code"), raw.get("message")
    elif kind == "slow":
        delay = raw.get("delay")
        if isinstance(delay, bool) or not isinstance(delay, (int, float)) or delay < 0:
            raise ValueError("'delay' (seconds, >= 0) is required for kind 'slow'")
        rule.delay = float(delay)
    elif kind == "drop":
        rule.mode = raw.get("mode", "reset")
        if rule.mode not in DROP_MODES:
            raise ValueError(f"'mode' must be one of {', '.join(DROP_MODES)}")
    elif kind == "malformed":
        rule.body = raw.get("body")
        if rule.body not in MALFORMED_BODIES:
            raise ValueError(f"'body' must be one of {', '.join(MALFORMED_BODIES)}")
    elif kind == "mutate":
        rule.params = {k: v for k, v in raw.items() if k not in _COMMON}
        if validate_mutate is None:
            raise ValueError("this provider has no 'mutate' fault")
        validate_mutate(rule.params)
    return rule


def parse_rules(payload: Any, validate_mutate: Callable[[dict[str, Any]], None] | None = None) -> list[FaultRule]:
    raws = payload if isinstance(payload, list) else [payload]
    return [parse_rule(r, validate_mutate) for r in raws]


class FaultInjector:
    """The active rules, in the order they were added."""

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()

    def add(self, rules: list[FaultRule]) -> None:
        with self._lock:
            self._rules.extend(rules)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def remaining(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.view() for r in self._rules if not r.exhausted]

    def select(self, method: str, path: str) -> tuple[list[FaultRule], FaultRule | None]:
        """Rules that fire for this request: (pre-actions, terminal fault or None). Counts the request."""
        pre: list[FaultRule] = []
        terminal: FaultRule | None = None
        with self._lock:
            if not self._rules:
                return pre, None
            for rule in self._rules:
                if rule.exhausted or not rule.matches(method, path):
                    continue
                rule.seen += 1
                if rule.seen <= rule.after:
                    continue
                if rule.kind in PRE_ACTIONS:
                    rule.hits += 1
                    pre.append(rule)
                elif terminal is None:
                    rule.hits += 1
                    terminal = rule
            self._rules = [r for r in self._rules if not r.exhausted]
        return pre, terminal
