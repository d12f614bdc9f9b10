"""tapkit.settings: the settings helpers and checks the four taps share."""

from __future__ import annotations

import pytest
from tapkit.errors import TapError
from tapkit.settings import REFRESH_TOKEN_FLOW, require_settings, token_client_auth


@pytest.mark.parametrize(("default", "allowed"), [("basic", ["basic", "post"]), ("post", ["post", "basic"])])
def test_token_client_auth_offers_the_providers_way_first(default, allowed) -> None:
    prop = token_client_auth(default, "how").to_dict()["token_client_auth"]
    assert prop["default"] == default
    assert prop["enum"] == allowed


def test_the_refresh_token_flow_is_not_required_when_the_other_credential_is_set() -> None:
    require_settings({"access_token": "t"}, REFRESH_TOKEN_FLOW, "hint", unless="access_token")
    with pytest.raises(TapError, match=r"missing setting\(s\) client_secret, refresh_token: set them"):
        require_settings({"client_id": "c"}, REFRESH_TOKEN_FLOW, "set them", unless="access_token")
