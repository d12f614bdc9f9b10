"""Small request helpers shared by the emulators."""

from __future__ import annotations

from typing import Any


class ScopeHeaders:
    """Read-only view of ASGI scope headers with ``get`` (lower-case names), for code that has no Request."""

    def __init__(self, scope: dict[str, Any]) -> None:
        self._scope = scope

    def get(self, name: str) -> str | None:
        wanted = name.encode()
        for key, value in self._scope.get("headers", ()):
            if key.lower() == wanted:
                return value.decode("latin-1")
        return None


def base_url(request: Any) -> str:
    """The public base URL of a request, without a trailing slash."""
    return str(request.base_url).rstrip("/")
