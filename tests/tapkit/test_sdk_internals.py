"""The singer-sdk internals the taps and tapkit rely on, pinned so an SDK upgrade that changes them fails here.

singer-sdk is pinned `~=0.54.9`, but these are private (underscore) names, attributes the SDK sets on its own
objects, or behaviour of its sync loop that no changelog promises. Each test says which tap or tapkit code
depends on it (file and function; line numbers as of this writing) and what breaks if it changes. One file
for all four taps and tapkit (tap-findity's uses included), so an upgrade has one place to look.
"""

from __future__ import annotations

import inspect
import json
import logging
import re
import typing as t

import pytest
import requests
from singer_sdk import RESTStream, Stream, Tap
from singer_sdk import typing as th
from singer_sdk.authenticators import OAuthAuthenticator
from singer_sdk.pagination import BaseAPIPaginator

# --- a tiny in-memory tap: a parent stream and its child, recording what the SDK calls and when --------------


class _Parent(Stream):
    name = "pin_parent"
    primary_keys = ("id",)
    schema = th.PropertiesList(th.Property("id", th.IntegerType)).to_dict()

    def get_records(self, context: t.Any) -> t.Iterable[dict]:
        for number in (1, 2, 3):
            self._tap.events.append(("yield", number))
            yield {"id": number}

    def generate_child_contexts(self, record: dict, context: t.Any) -> t.Iterable[dict]:
        self._tap.events.append(("contexts", record["id"]))
        yield {"pid": record["id"]}


class _Child(Stream):
    name = "pin_child"
    primary_keys = ("id",)
    parent_stream_type = _Parent
    state_partitioning_keys: t.ClassVar[list[str]] = []
    schema = th.PropertiesList(th.Property("id", th.IntegerType), th.Property("pid", th.IntegerType)).to_dict()

    def get_records(self, context: t.Any) -> t.Iterable[dict]:
        self._tap.events.append(("child", context["pid"], dict(self.context or {})))
        yield {"id": context["pid"] * 10, "pid": context["pid"]}


class _Extra(_Child):
    """A child the SDK did not wire (no parent_stream_type): tapkit's `also_child_of` appends such streams."""

    name = "pin_extra"
    parent_stream_type = None

    def get_records(self, context: t.Any) -> t.Iterable[dict]:
        self._tap.events.append(("extra", context["pid"]))
        return iter(())


class _MiniTap(Tap):
    name = "tap-sdk-pin"
    config_jsonschema = th.PropertiesList(th.Property("x", th.StringType)).to_dict()

    def discover_streams(self) -> list[Stream]:
        return [_Parent(self), _Child(self)]


def _tap(cls: type[Tap] = _MiniTap) -> t.Any:
    tap = cls(config={}, parse_env_config=False, validate_config=True)
    tap.events = []
    return tap


def _messages(capsys: pytest.CaptureFixture[str]) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]


def _params(func: t.Callable) -> list[str]:
    return list(inspect.signature(func).parameters)


# --- Stream._tap ------------------------------------------------------------------------------------------


def test_a_stream_holds_its_tap_as__tap() -> None:
    """`Stream._tap` (set by `Stream.__init__`) is how streams reach tap-wide objects:
    tapkit/tapkit/http.py ProviderHTTPMixin.authenticator (l.109), ._request (l.156) and .open_stream (l.189: the rate
    limiter); tap-findity/tap_findity/streams.py ExportsStream.get_records (l.82, manifest.begin),
    VouchersStream.get_records (l.198/207, manifest.note/complete), _VoucherChild.vouchers_in (l.249,
    `_tap.streams`); tap-pleo client.py/files.py/streams_*.py (company_id, manifest, stream_wanted,
    streams); tap-candis client.py/files.py/streams.py (organization_id, stream_wanted,
    failed_postings_cache, run_started_at); tap-ivesk files.py/streams.py (pdf_urls, stream_wanted)."""
    tap = _tap()
    stream = tap.streams["pin_parent"]
    assert getattr(stream, "_tap", None) is tap, "singer-sdk no longer keeps the tap on Stream._tap"
    assert tap.streams["pin_child"]._tap is tap


# --- RESTStream._request ----------------------------------------------------------------------------------


class _Items(RESTStream):
    name = "pin_items"
    url_base = "https://api.invalid"
    path = "/items"
    schema = th.PropertiesList(th.Property("id", th.IntegerType)).to_dict()

    def _request(self, prepared_request: requests.PreparedRequest, context: t.Any) -> requests.Response:
        self._tap.events.append(("_request", prepared_request.url, context))
        response = requests.Response()
        response.status_code = 200
        response._content = b'[{"id": 1}]'
        response.request = prepared_request
        return response


def test_rest_stream__request_has_the_signature_tapkit_overrides_and_request_records_goes_through_it() -> None:
    """tapkit/tapkit/http.py ProviderHTTPMixin._request (l.155) overrides `RESTStream._request(prepared_request,
    context)` to hold a rate-limit slot around every API request, and ProviderHTTPMixin.send_json (l.172) and
    tap-pleo/tap_pleo/client.py PleoStream.send (l.83) call `self.request_decorator(self._request)(prepared,
    None)`. If the SDK renames `_request`, or `request_records` stops sending through it, the rate limit
    (`max_requests_per_minute`) is silently bypassed."""
    assert _params(RESTStream._request) == ["self", "prepared_request", "context"], (
        "singer-sdk changed RESTStream._request(prepared_request, context)"
    )
    assert _params(RESTStream.request_decorator) == ["self", "func"]
    tap = _tap()
    stream = _Items(tap)
    assert list(stream.request_records({"k": 1})) == [{"id": 1}]
    assert tap.events == [("_request", "https://api.invalid/items", {"k": 1})], (
        "RESTStream.request_records no longer sends its requests through self._request"
    )


class _OnePage(BaseAPIPaginator[dict]):
    def get_next(self, response: requests.Response) -> None:
        return None


def test_prepare_request_builds_the_request_of_the_paginators_current_page() -> None:
    """tap-candis/tap_candis/streams.py InvoicesStream.request_records runs the SDK's page loop itself (its
    paginator decides what is emitted) and builds each request as the SDK does, with
    `self._prepare_request(context=..., page=paginator)`: the URL, `get_url_params(context,
    paginator.current_value)` encoded as the SDK encodes them, and the headers."""
    assert _params(RESTStream._prepare_request) == ["self", "context", "page"], "singer-sdk changed _prepare_request"
    paginator = _OnePage({"page": 2})
    stream = _Items(_tap())
    stream.get_url_params = lambda context, token: {"k": context["k"], "page": token["page"], "s": "A,B"}
    prepared = stream._prepare_request(context={"k": 1}, page=paginator)
    assert prepared.url == "https://api.invalid/items?k=1&page=2&s=A%2CB"


# --- Stream._write_schema_message ------------------------------------------------------------------------


def test_sync_writes_schema_only_through__write_schema_message_once_per_sync(capsys, monkeypatch) -> None:
    """tapkit/tapkit/http.py ProviderHTTPMixin._write_schema_message (l.119) overrides the private
    `Stream._write_schema_message()` (and calls it via super()) so a child stream sends its SCHEMA once per run
    instead of once per parent record. That only works while the SDK writes SCHEMA nowhere else and calls this
    method on every `sync` (i.e. once per child context)."""
    assert _params(Stream._write_schema_message) == ["self"]
    tap = _tap()
    tap.sync_all()
    schemas = [m["stream"] for m in _messages(capsys) if m["type"] == "SCHEMA"]
    assert schemas.count("pin_child") == 3, "the SDK no longer writes a child's SCHEMA on each of its syncs"

    calls: list[str] = []
    monkeypatch.setattr(Stream, "_write_schema_message", lambda self: calls.append(self.name))
    _tap().sync_all()
    assert not [m for m in _messages(capsys) if m["type"] == "SCHEMA"], (
        "the SDK writes SCHEMA messages other than through Stream._write_schema_message"
    )
    assert calls == ["pin_parent", "pin_child", "pin_child", "pin_child"]


# --- the sync loop: child contexts right after each record, children synced before the next record ---------


def test_children_are_synced_right_after_each_parent_record_with_self_context_set(capsys) -> None:
    """tap-findity/tap_findity/streams.py: VouchersStream.get_records sets `self._current` just before each
    `yield` (l.200-205) and VouchersStream.generate_child_contexts reads it (l.214), and ExportsStream.get_records
    begins the export's manifest entry just before its `yield` (l.82-83: "the SDK syncs vouchers, rows and files
    of this export before resuming here"). Both need the SDK to call `generate_child_contexts(record, context)`
    for each record, and sync the children, before it asks `get_records` for the next record.
    tap-candis/tap_candis/streams.py (the get_new_paginator of ExportsStream, KeysetStream and InvoicesStream) and
    tap-ivesk/tap_ivesk/streams.py (DocumentsStream._emitted) read `self.context`, which `Stream.sync` sets to the
    context being synced."""
    tap = _tap()
    tap.sync_all()
    capsys.readouterr()
    assert tap.events == [
        ("yield", 1),
        ("contexts", 1),
        ("child", 1, {"pid": 1}),
        ("yield", 2),
        ("contexts", 2),
        ("child", 2, {"pid": 2}),
        ("yield", 3),
        ("contexts", 3),
        ("child", 3, {"pid": 3}),
    ], "singer-sdk changed when it calls generate_child_contexts / syncs child streams, or what self.context is"


def test__sync_children_syncs_every_selected_stream_in_child_streams(capsys) -> None:
    """tap-findity/tap_findity/streams.py VouchersStream.generate_child_contexts (l.231) calls the private
    `Stream._sync_children(child_context)` itself for a batch whose last voucher a stream map filtered out.
    tapkit/tapkit/tap.py ProviderTap.streams (l.86-87) appends extra children to `parent.child_streams`
    (`also_child_of`), which only works while the SDK syncs children by iterating that list.
    tap-findity streams.py (l.185) and tapkit/tapkit/tap.py ProviderTap.stream_wanted (l.121) read
    `child_streams`, `selected` and `has_selected_descendents`."""
    assert _params(Stream._sync_children) == ["self", "child_context"], (
        "singer-sdk changed Stream._sync_children(child_context)"
    )

    class _ExtraTap(_MiniTap):
        def discover_streams(self) -> list[Stream]:
            return [*super().discover_streams(), _Extra(self)]

    tap = _tap(_ExtraTap)
    parent = tap.streams["pin_parent"]
    assert isinstance(parent.child_streams, list)
    assert parent.child_streams == [tap.streams["pin_child"]]
    assert parent.has_selected_descendents is True and tap.streams["pin_child"].selected is True
    parent.child_streams.append(tap.streams["pin_extra"])
    parent._sync_children({"pid": 7})
    capsys.readouterr()
    assert tap.events == [("child", 7, {"pid": 7}), ("extra", 7)], (
        "Stream._sync_children no longer syncs each selected stream of child_streams with the given context"
    )


def test_the_sdk_skips_the_children_of_a_record_its_primary_stream_map_filters_out(capsys) -> None:
    """tap-findity/tap_findity/streams.py VouchersStream.generate_child_contexts (l.218) asks
    `self.stream_maps[0].get_filter_result(record)` because the SDK syncs a record's children only when that is
    true (and still calls generate_child_contexts for the filtered record): the earlier vouchers of the batch
    are then synced with `_sync_children` (l.231) so they are not lost with the filtered one."""
    tap = _tap()
    parent = tap.streams["pin_parent"]
    primary = parent.stream_maps[0]
    assert _params(primary.get_filter_result) == ["record"]
    assert primary.get_filter_result({"id": 1}) is True, "an unmapped stream's primary map filters records out"
    primary.get_filter_result = lambda record: record["id"] != 2
    tap.sync_all()
    capsys.readouterr()
    assert ("contexts", 2) in tap.events, "the SDK no longer calls generate_child_contexts for a filtered record"
    assert [e[1] for e in tap.events if e[0] == "child"] == [1, 3], (
        "the SDK no longer skips the children of a record filtered out by stream_maps[0].get_filter_result"
    )


# --- type conformance -------------------------------------------------------------------------------------


class _Loose(_Parent):
    """TYPE_CONFORMANCE_LEVEL is set by the test (NONE), so an SDK without it fails that test, not the module."""

    name = "pin_conform_none"

    def get_records(self, context: t.Any) -> t.Iterable[dict]:
        yield {"id": 1, "unknown": "kept"}

    def generate_child_contexts(self, record: dict, context: t.Any) -> t.Iterable[dict]:
        return iter(())


class _Strict(_Loose):
    name = "pin_conform_recursive"
    TYPE_CONFORMANCE_LEVEL = Stream.TYPE_CONFORMANCE_LEVEL  # the SDK's default


class _Open(_Strict):
    name = "pin_conform_open"
    schema = {**_Parent.schema, "additionalProperties": True}


def _conformance_tap(*streams: type[Stream]) -> t.Any:
    class _ConformanceTap(_MiniTap):
        def discover_streams(self) -> list[Stream]:
            return [s(self) for s in streams]

    return _tap(_ConformanceTap)


def test_type_conformance_none_leaves_records_alone_and_the_default_drops_what_the_schema_lacks(
    capsys,
    caplog,
    monkeypatch,
) -> None:
    """tap-findity/tap_findity/streams.py _SchemaFieldsOnly (l.107) sets `TYPE_CONFORMANCE_LEVEL =
    TypeConformanceLevel.NONE` (imported from `singer_sdk.helpers.conform`, l.19) and does itself, in
    `schema_fields` (l.114-124), the one thing the SDK's conformance did for those records: drop the properties
    the (effective) schema lacks unless it allows additional properties, warning once with the SDK's wording.
    tap-candis/tap_candis/client.py (l.9, l.51) uses `TypeConformanceLevel.ROOT_ONLY`. If NONE starts dropping or
    converting, or the default rule changes, tap-findity's records would differ from the SDK's."""
    from singer_sdk.helpers.conform import TypeConformanceLevel

    assert {"NONE", "ROOT_ONLY", "RECURSIVE"} <= set(TypeConformanceLevel.__members__)
    assert Stream.TYPE_CONFORMANCE_LEVEL == TypeConformanceLevel.RECURSIVE
    monkeypatch.setattr(_Loose, "TYPE_CONFORMANCE_LEVEL", TypeConformanceLevel.NONE, raising=False)
    tap = _conformance_tap(_Loose, _Strict, _Open)
    assert tap.streams["pin_conform_none"].effective_schema == _Parent.schema  # no catalog: the schema
    with caplog.at_level(logging.WARNING):
        tap.sync_all()
    records = {m["stream"]: m["record"] for m in _messages(capsys) if m["type"] == "RECORD"}
    assert records == {
        "pin_conform_none": {"id": 1, "unknown": "kept"},
        "pin_conform_recursive": {"id": 1},
        "pin_conform_open": {"id": 1, "unknown": "kept"},
    }, "singer-sdk's type conformance (NONE / the default) changed what it keeps"
    warnings = [r.getMessage() for r in caplog.records if "not found in catalog schema" in r.getMessage()]
    assert warnings == [
        "Properties ('unknown',) were present in the 'pin_conform_recursive' stream but not "
        "found in catalog schema. Ignoring."
    ], "the SDK's unmapped-properties warning changed"


# --- OAuthAuthenticator internals ---------------------------------------------------------------------------


def test_oauth_authenticator_sets_the_attributes_tapkit_reads_and_calls_its_hooks() -> None:
    """tapkit/tapkit/oauth.py RenewingOAuthAuthenticator posts with the SDK's private `self._session`
    (l.69), reads/sets `access_token`, `last_refreshed`, `expires_in` (l.44-56, l.84-88), `refresh_token`
    (l.133), `client_id`, `client_secret`, `auth_endpoint`, and overrides `is_token_valid()` (l.44),
    `update_access_token()` and `oauth_request_body` (l.136-145); tap-findity/tap_findity/auth.py
    ClientCredentialsAuthenticator overrides the last two (l.40, l.43). The SDK must keep calling
    `is_token_valid()` and then `update_access_token()` when it authenticates a request."""
    assert {"auth_endpoint", "client_id", "client_secret"} <= set(_params(OAuthAuthenticator.__init__))
    auth = OAuthAuthenticator(auth_endpoint="https://id.invalid/token", client_id="c", client_secret="s")
    assert isinstance(getattr(auth, "_session", None), requests.Session), (
        "OAuthAuthenticator no longer has a requests.Session in _session"
    )
    assert (auth.access_token, auth.refresh_token, auth.last_refreshed, auth.expires_in) == (None, None, None, None)
    assert (auth.auth_endpoint, auth.client_id, auth.client_secret) == ("https://id.invalid/token", "c", "s")
    assert isinstance(inspect.getattr_static(OAuthAuthenticator, "oauth_request_body"), property)

    calls: list[str] = []

    class _Auth(OAuthAuthenticator):
        def is_token_valid(self) -> bool:
            calls.append("is_token_valid")
            return self.access_token is not None

        def update_access_token(self) -> None:
            calls.append("update_access_token")
            self.access_token = "tok"

    auth = _Auth(auth_endpoint="https://id.invalid/token", client_id="c", client_secret="s")
    for _ in range(2):
        request = auth(requests.Request("GET", "https://api.invalid/x").prepare())
        assert request.headers["Authorization"] == "Bearer tok"
    assert calls == ["is_token_valid", "update_access_token", "is_token_valid"], (
        "OAuthAuthenticator no longer renews through is_token_valid() / update_access_token()"
    )


# --- PluginBase._validate_config and _config ----------------------------------------------------------------


class _NormalisingTap(_MiniTap):
    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        errors = super()._validate_config(raise_errors=raise_errors)
        self._config["x"] = str(self._config.get("x") or "").upper()
        return errors


def test_validate_config_runs_before_any_stream_copies_the_config_and__config_is_what_config_shows() -> None:
    """tapkit/tapkit/tap.py ProviderTap._validate_config overrides `PluginBase._validate_config(raise_errors)` to
    normalise `api_url` in `self._config` (the dict behind the read-only `config`). It relies on the SDK calling it
    in `PluginBase.__init__` after the config is assembled and before `setup_mapper` builds the catalog (and so
    the streams, which copy the config): otherwise streams would see the untrimmed URL."""
    assert _params(Tap._validate_config) == ["self", "raise_errors"], "singer-sdk changed _validate_config"
    tap = _NormalisingTap(config={"x": "abc"}, parse_env_config=False, validate_config=True)
    assert tap.config["x"] == "ABC", "config is no longer a view of _config"
    assert tap.streams["pin_parent"].config["x"] == "ABC", "streams copied the config before _validate_config"


# --- message writer -------------------------------------------------------------------------------------------


def test_a_tap_writes_with_its_message_writer_class() -> None:
    """tapkit/tapkit/tap.py ProviderTap (l.11, l.61) sets `message_writer_class = MsgSpecWriter` from
    `singer_sdk.contrib.msgspec` (a quarter less CPU per record than the default writer)."""
    from singer_sdk.contrib.msgspec import MsgSpecWriter

    class _MsgSpecTap(_MiniTap):
        message_writer_class = MsgSpecWriter

    assert isinstance(_tap(_MsgSpecTap).message_writer, MsgSpecWriter), (
        "singer-sdk no longer builds a tap's writer from message_writer_class"
    )


# --- names the taps add to SDK objects do not collide with the SDK's own ----------------------------------------

_OWN_NAMES: list[tuple[type, str, tuple[str, ...]]] = [
    (
        RESTStream,
        "tapkit/tapkit/http.py ProviderHTTPMixin",
        ("_tapkit_schema_sent", "_tapkit_required", "_tapkit_refreshed_once"),
    ),
    (
        RESTStream,
        "tap-findity/tap_findity/streams.py, files.py",
        (
            "_current",
            "_pending",
            "_pending_rows",
            "_batch",
            "_batches",
            "_children_wanted",
            "_schema_fields",
            "_unknown_warned",
            "_minor",
            "_basis_of",
        ),
    ),
    (
        RESTStream,
        "tap-pleo/tap_pleo/client.py, streams_entries.py, streams_export.py, files.py",
        (
            "_tapkit_no_body",
            "_window_start",
            "_list",
            "_claim",
            "_emit",
            "_store",
            "_export_item_files",
            "_entry_receipts",
        ),
    ),
    (
        RESTStream,
        "tap-candis/tap_candis/streams.py",
        ("_pending", "_create_exports", "_wait_until_done", "_bookmark", "_emit"),
    ),
    (RESTStream, "tap-ivesk/tap_ivesk/streams.py", ("_load_position", "_emitted")),
    (
        BaseAPIPaginator,
        "tap-candis/tap_candis/pagination.py UpdatedWindowPaginator",
        ("_window", "_before", "_again", "_narrowed", "_after"),
    ),
    (Tap, "tapkit/tapkit/tap.py ProviderTap.streams", ("_extra_parents_wired",)),
    (
        OAuthAuthenticator,
        "tapkit/tapkit/oauth.py, tap-findity/tap_findity/auth.py",
        (
            "_client_auth",
            "_timeout",
            "_renew_margin",
            "_user_agent",
            "refresh_count",
            "_post_form",
            "_token_body",
            "_accept",
            "_error_body",
            "_error_code",
            "_post",
            "_fallback",
            "_configured_refresh_token",
            "_store",
            "_refresh_token",
        ),
    ),
]


@pytest.mark.parametrize(
    ("base", "where", "names"), _OWN_NAMES, ids=[f"{b.__name__}:{w.split()[0]}" for b, w, _ in _OWN_NAMES]
)
def test_the_private_names_our_subclasses_add_are_unused_by_the_sdk(
    base: type, where: str, names: tuple[str, ...]
) -> None:
    """The taps and tapkit keep their own state in underscore attributes and methods on subclasses of SDK
    classes (`where`). An SDK release that starts using one of these names itself would be overwritten by, or
    overwrite, ours without any error: fail here instead."""
    sdk_classes = [c for c in base.__mro__ if c.__module__.startswith("singer_sdk")]
    sources = {c.__qualname__: inspect.getsource(c) for c in sdk_classes}
    clashes = sorted(
        {
            f"{name} (in {cls})"
            for name in names
            for cls, source in sources.items()
            if re.search(rf"\b{re.escape(name)}\b", source)
        }
    )
    assert not clashes, f"singer-sdk now uses names that {where} also defines: {', '.join(clashes)}"
