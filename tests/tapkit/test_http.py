"""tapkit.http: Retry-After in seconds or as an HTTP date."""

from __future__ import annotations

import datetime
import email.utils

import requests
from tapkit.http import retry_after_seconds


def _response(retry_after: str) -> requests.Response:
    response = requests.Response()
    response.headers["Retry-After"] = retry_after
    return response


def test_retry_after_seconds_and_http_date() -> None:
    now = datetime.datetime(2026, 1, 1, 12, 0, 0, tzinfo=datetime.UTC)
    assert retry_after_seconds(_response("7")) == 7.0
    date = email.utils.format_datetime(now + datetime.timedelta(seconds=30), usegmt=True)
    assert retry_after_seconds(_response(date), now=now) == 30.0
    assert retry_after_seconds(_response("garbage")) is None
