"""Outgoing webhook POSTs of the emulators (Įvesk's SNS deliveries, Pleo's Standard Webhooks)."""

from __future__ import annotations

import urllib.error
import urllib.request


def post(url: str, body: bytes, headers: dict[str, str], timeout: float = 10.0) -> int:
    """POST `body` to the subscriber's `url`; its HTTP status, or 0 when it gave no answer (refused, dropped,
    timed out): the caller's retry policy decides what comes next."""
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return 0
