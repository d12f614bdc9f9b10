"""Base Tap: a tap-wide rate limiter and authenticator, api_url normalised once, one-line CLI errors (the settings
every tap shares are in tapkit.settings)."""

from __future__ import annotations

import datetime
import functools
import threading
import typing as t

from singer_sdk import Tap
from singer_sdk.contrib.msgspec import MsgSpecWriter

from tapkit.errors import TapError, one_line_errors
from tapkit.inputs import CheckedInputs
from tapkit.manifest import RunManifest, default_manifest_dir
from tapkit.prefetch import DEFAULT_PARALLEL_DOWNLOADS, DEFAULT_PARALLEL_REQUESTS, ChildReads, Downloads
from tapkit.ratelimit import RollingWindowLimiter
from tapkit.settings import check_url


class ProviderTap(CheckedInputs, Tap):
    """Adds: `rate_limiter`, a single cached `authenticator` for all streams, friendly config errors, inputs
    checked before the first request (tapkit.inputs)."""

    #: msgspec's encoder instead of simplejson: the same JSON (exact decimals as numbers, UTF-8 text) with a
    #: quarter less CPU per record.
    message_writer_class = MsgSpecWriter

    #: The tap's stream classes, except `files`.
    stream_types: t.ClassVar[tuple[type, ...]] = ()
    #: The tap's `files` stream class: discovered only when `files_dir` is set.
    files_stream: t.ClassVar[type | None] = None
    #: Parents of `files` that may read records ahead to start their attachments' downloads (tapkit.prefetch:
    #: only streams whose `get_records` moves no bookmark when it is resumed).
    files_lookahead: t.ClassVar[tuple[str, ...]] = ()
    #: Parents of `files` that start their children's downloads when a page arrives (a `records_key` JSON
    #: page; for streams whose bookmark follows the SDK's consumption of `get_records`).
    files_page_prefetch: t.ClassVar[tuple[str, ...]] = ()
    #: Parents whose children (those with `prefetch_reads`) are read ahead when a page of the parent arrives, up to
    #: `2 × max_parallel_requests` contexts (tapkit.prefetch.ChildReads; a page moves no bookmark).
    child_reads_page_prefetch: t.ClassVar[tuple[str, ...]] = ()

    def files_prefetched(self, context: t.Any) -> None:
        """Called when the SDK syncs a `files` context that was prefetched, after the prefetch ran to its end (the
        child's own `get_records` does not run again: what it would clear up, the tap does here)."""

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """The SDK's check of the settings (which also fills in their defaults), then the one normalisation of
        `api_url`: no trailing slash, so every URL a tap builds is `api_url` + a documented path. The SDK runs
        this in `PluginBase.__init__`, before any stream copies the config."""
        errors = super()._validate_config(raise_errors=raise_errors)
        api_url = self._config.get("api_url")
        if isinstance(api_url, str):
            self._config["api_url"] = api_url.rstrip("/")
        return errors

    def discover_streams(self) -> list[t.Any]:
        types = [*self.stream_types]
        if self.files_stream is not None and self.config.get("files_dir"):
            types.append(self.files_stream)
        return [stream_type(self) for stream_type in types]

    @property
    def streams(self) -> dict[str, t.Any]:
        """The SDK's streams, plus a second parent for child streams that declare `also_child_of` (a stream
        class can name only one `parent_stream_type`; `files` may belong to records of several streams)."""
        streams = super().streams
        if not getattr(self, "_extra_parents_wired", False):
            self._extra_parents_wired = True
            for child in streams.values():
                for parent_type in getattr(child, "also_child_of", ()):
                    for parent in streams.values():
                        if isinstance(parent, parent_type) and child not in parent.child_streams:
                            parent.child_streams.append(child)
            self.downloads.wire(self)
            self.child_reads.wire(self)
        return streams

    @functools.cached_property
    def downloads(self) -> Downloads:
        """The bounded pool of attachment downloads (`max_parallel_downloads`; tapkit.prefetch)."""
        workers = self.config.get("max_parallel_downloads")
        return Downloads(DEFAULT_PARALLEL_DOWNLOADS if workers is None else int(workers))

    @functools.cached_property
    def child_reads(self) -> ChildReads:
        """The bounded pool of child reads ahead of the SDK (`max_parallel_requests`; tapkit.prefetch)."""
        workers = self.config.get("max_parallel_requests")
        if workers is None:  # the tap's own default (tapkit.settings.max_parallel_requests)
            declared = self.config_jsonschema["properties"].get("max_parallel_requests") or {}
            workers = declared.get("default", DEFAULT_PARALLEL_REQUESTS)
        return ChildReads(int(workers))

    @functools.cached_property
    def rate_limiter(self) -> RollingWindowLimiter:
        return RollingWindowLimiter(int(self.config.get("max_requests_per_minute") or 0))

    @functools.cached_property
    def authenticator(self) -> t.Any:
        """The tap's one authenticator; requests side by side (tapkit.prefetch) renew its token one at a time,
        and a request that waited for another's renewal uses that token instead of renewing it again."""
        auth = self.build_authenticator()
        renew, valid = getattr(auth, "update_access_token", None), getattr(auth, "is_token_valid", None)
        if callable(renew) and callable(valid):
            lock = threading.Lock()

            def update_access_token() -> None:
                with lock:
                    if not valid():
                        renew()

            auth.update_access_token = update_access_token
        return auth

    def build_authenticator(self) -> t.Any:  # pragma: no cover - each tap overrides
        raise NotImplementedError

    def check_config(self) -> None:
        """Semantic checks beyond the JSON schema; raise TapError with one actionable line."""
        start = self.config.get("start_date")
        if start:
            try:
                datetime.datetime.fromisoformat(str(start).replace("Z", "+00:00"))
            except ValueError:
                msg = f"start_date {start!r} is not an ISO 8601 date-time (example: 2024-01-01T00:00:00Z)"
                raise TapError(msg) from None
        check_url("api_url", self.config.get("api_url"))
        for name, serial in (
            ("max_parallel_downloads", "1 downloads one file at a time"),
            ("max_parallel_requests", "1 reads one child at a time"),
        ):
            workers = self.config.get(name)
            if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
                msg = f"{name} {workers!r} must be an integer >= 1 ({serial})"
                raise TapError(msg)

    def run_manifest(self, scope_id: str) -> RunManifest:
        """The run manifest of one scope of this tap (its API URL and the tenant ``scope_id``), in
        ``manifest_dir`` (default ``$XDG_STATE_HOME/<tap>/manifests``)."""
        directory = self.config.get("manifest_dir") or default_manifest_dir(self.name)
        return RunManifest(directory, self.name, f"{self.config['api_url']}|{scope_id}")

    def stream_wanted(self, name: str) -> bool:
        """Whether the stream `name` exists and is selected (itself or a descendant)."""
        stream = self.streams.get(name)
        return bool(stream and (stream.selected or stream.has_selected_descendents))

    @classmethod
    def invoke(cls, **kwargs: t.Any) -> None:  # type: ignore[override]
        with one_line_errors(cls.name):
            super().invoke(**kwargs)

    def sync_all(self) -> None:
        self.check_config()
        self.check_inputs()
        try:
            super().sync_all()
        finally:
            self.child_reads.close()
            self.downloads.close()
