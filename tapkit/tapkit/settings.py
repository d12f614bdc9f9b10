"""Settings (the taps' `config_jsonschema`): one call per setting, the settings several taps share, and the
checks the JSON schema cannot express. A setting's title and description are what `--about` and Meltano show."""

from __future__ import annotations

import typing as t

from singer_sdk import typing as th

from tapkit.errors import TapError
from tapkit.prefetch import DEFAULT_PARALLEL_DOWNLOADS, DEFAULT_PARALLEL_REQUESTS

Strings = th.ArrayType(th.StringType)
#: the settings of the rotating refresh-token flow that must all be set (Candis, Pleo)
REFRESH_TOKEN_FLOW = ("client_id", "client_secret", "refresh_token")


def setting(name: str, kind: t.Any, title: str, description: str, **kwargs: t.Any) -> th.Property:
    """One setting; `kwargs` are `th.Property`'s (`default`, `required`, `allowed_values`, ...)."""
    return th.Property(name, kind, title=title, description=description, **kwargs)


def secret(name: str, title: str, description: str, **kwargs: t.Any) -> th.Property:
    """A secret text setting: masked by Meltano, never logged."""
    return setting(name, th.StringType, title, description, secret=True, **kwargs)


def common_properties(api_url: str, *, rate_limit: int = 0) -> list[th.Property]:
    """Settings all four taps accept (DESIGN.md settings contract + request policy)."""
    url_text = f"Provider base URL, the part before the documented paths (default {api_url})."
    return [
        setting("api_url", th.StringType, "API URL", url_text, default=api_url),
        setting(
            "start_date",
            th.DateTimeType,
            "Start date",
            "Earliest data to extract (ISO 8601, UTC if no offset), where the API can filter.",
        ),
        setting(
            "files_dir",
            th.StringType,
            "Files directory",
            "When set, attachments are downloaded here: a local path or an fsspec URL such as s3://bucket/prefix. "
            "The `files` stream is only emitted when set.",
        ),
        setting("user_agent", th.StringType, "User agent", "User-Agent header sent with every request."),
        setting(
            "request_timeout",
            th.IntegerType,
            "Request timeout",
            "Seconds to wait for each HTTP response before retrying.",
            default=60,
        ),
        setting(
            "max_retries",
            th.IntegerType,
            "Max retries",
            "Retries per request for 429, 5xx, timeouts, dropped connections and garbled bodies (Retry-After is "
            "honoured) before the run fails.",
            default=6,
        ),
        setting(
            "max_requests_per_minute",
            th.IntegerType,
            "Max requests per minute",
            "Client-side rate limit shared by all streams (0 disables).",
            default=rate_limit,
        ),
        setting(
            "max_parallel_downloads",
            th.IntegerType,
            "Max parallel downloads",
            "Attachments (files_dir) downloaded at the same time; 1 downloads one after another. Downloads from "
            "the API host count against max_requests_per_minute, pre-signed storage URLs do not.",
            default=DEFAULT_PARALLEL_DOWNLOADS,
        ),
    ]


def max_parallel_requests(children: str, default: int = DEFAULT_PARALLEL_REQUESTS) -> th.Property:
    """`max_parallel_requests`: how many of the tap's `children` (one request chain per parent record) are read
    at the same time, ahead of the records being emitted (tapkit.prefetch.ChildReads); `default` when unset."""
    return setting(
        "max_parallel_requests",
        th.IntegerType,
        "Max parallel requests",
        f"{children} read at the same time, ahead of the records being emitted (which keep their order); 1 reads "
        "one after another. Every request counts against max_requests_per_minute.",
        default=default,
    )


def token_client_auth(default: str, description: str) -> th.Property:
    """How the OAuth client authenticates at the token endpoint: `basic` or `post`, the provider's way first."""
    other = "post" if default == "basic" else "basic"
    return setting(
        "token_client_auth",
        th.StringType,
        "Token client authentication",
        description,
        default=default,
        allowed_values=[default, other],
    )


def manifest_dir(tap_name: str, purpose: str) -> th.Property:
    """Where the run manifest for the write-back is kept (tapkit.manifest), `purpose` saying what it records."""
    default = f"$XDG_STATE_HOME/{tap_name}/manifests"
    return setting("manifest_dir", th.StringType, "Manifest directory", f"{purpose} Default: {default}.")


def check_url(name: str, value: t.Any) -> None:
    """TapError unless the setting `name` is an http(s) URL."""
    url = str(value or "")
    if not url.startswith(("http://", "https://")):
        msg = f"{name} {url!r} must start with http:// or https://"
        raise TapError(msg)


def require_settings(
    config: t.Mapping[str, t.Any], keys: t.Iterable[str], hint: str, *, unless: str | None = None
) -> None:
    """TapError naming every missing one of `keys`, followed by `hint`; none is needed when `unless` is set
    (the other way to authenticate)."""
    if unless and config.get(unless):
        return
    missing = [k for k in keys if not config.get(k)]
    if missing:
        msg = f"missing setting(s) {', '.join(missing)}: {hint}"
        raise TapError(msg)
