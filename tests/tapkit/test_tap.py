"""tapkit.tap.ProviderTap: what every tap gets from its base class."""

from __future__ import annotations

import pytest
from tap_ivesk.tap import TapIvesk


@pytest.mark.parametrize(
    "api_url", ["https://api.example/pub", "https://api.example/pub/", "https://api.example/pub//"]
)
def test_api_url_is_normalised_once_when_the_config_is_read_and_every_stream_sees_it(api_url) -> None:
    tap = TapIvesk(config={"api_key": "k", "api_url": api_url}, validate_config=True)
    assert tap.config["api_url"] == "https://api.example/pub"
    documents = tap.streams["documents"]
    assert documents.config["api_url"] == "https://api.example/pub"
    assert documents.get_url(None) == "https://api.example/pub/exported"


def test_the_default_api_url_is_used_when_none_is_set() -> None:
    assert TapIvesk(config={"api_key": "k"}, validate_config=True).config["api_url"] == "https://app.ivesk.lt/api/pub"
