"""The errors route and admin code raise, and the checks of admin input that raise them.

A module below every other framework module (it imports none), so the fault rules (``faults.py``) are checked
by the same code as the emulators' admin bodies without an import cycle.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any


class ApiError(Exception):
    """Raised by route code; rendered in the provider's own error shape by the app's exception handler."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.errors = errors
        self.headers = dict(headers or {})


class AdminError(ValueError):
    """Bad input to an admin endpoint (answered 400 ``{"error": ...}``)."""


def admin_object(body: Any, keys: Collection[str], expected: str) -> dict[str, Any]:
    """``body`` if it is a JSON object with no other keys than ``keys``; else AdminError ``expected`` (not an
    object) or naming the unknown keys."""
    if not isinstance(body, dict):
        raise AdminError(expected)
    extra = set(body) - set(keys)
    if extra:
        raise AdminError(f"unknown keys: {', '.join(sorted(extra))}")
    return body


def admin_int(body: Mapping[str, Any], key: str, default: Any, minimum: int = 0, *, null_ok: bool = False) -> Any:
    """``body[key]`` (``default`` when absent) if it is an integer >= ``minimum``, else AdminError. With
    ``null_ok`` a ``None`` (absent with no default, or null) is answered as ``None``."""
    value = body.get(key, default)
    if value is None and null_ok:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise AdminError(f"'{key}' must be an integer >= {minimum}")
    return value
