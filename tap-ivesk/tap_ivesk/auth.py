"""Įvesk credentials: the account's API key in the `x-api-key` header."""

from __future__ import annotations

import typing as t

from singer_sdk.authenticators import APIKeyAuthenticator


def build_authenticator(tap_name: str, config: t.Mapping[str, t.Any]) -> t.Any:
    return APIKeyAuthenticator(key="x-api-key", value=str(config.get("api_key") or ""), location="header")
