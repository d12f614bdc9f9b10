"""The tap's inputs checked before anything is extracted: config files, state, catalog and bookmarks.

The SDK reads `--config` files in a click callback (a missing or broken file is a Python traceback), takes
`--state` and `--catalog` as open files it parses later (a broken state says `Expecting value: line 1` without
naming the state; a JSON list is taken for a path), accepts a catalog that selects a stream the tap does not
have (exit 0, no records), and only meets a bookmark that is not a timestamp halfway through the run, if at
all. Each of these ends here in one line that names the input and what to do, before the first request.
"""

from __future__ import annotations

import copy
import io
import json
import sys
import typing as t
from pathlib import Path

import click
from singer_sdk.plugin_base import _ConfigInput

from tapkit.errors import TapError
from tapkit.timeutil import parse_utc

if t.TYPE_CHECKING:
    from singer_sdk import Tap


def read_json_object(kind: str, path: str) -> str:
    """The text of the JSON file `path` holding an object, or TapError naming the file (`kind`) and the
    position of the first syntax error."""
    file = Path(path)
    if not file.is_file():
        msg = f"{kind} file {path} does not exist" if not file.exists() else f"{kind} file {path} is not a file"
        raise TapError(msg)
    try:
        text = file.read_text(encoding="utf-8")
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        msg = f"{kind} file {path} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        raise TapError(msg) from None
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"{kind} file {path} cannot be read: {exc}"
        raise TapError(msg) from None
    if not isinstance(value, dict):
        msg = f"{kind} file {path} must hold a JSON object, not {type(value).__name__}"
        raise TapError(msg)
    return text


def config_input(tap_name: str, values: t.Sequence[str]) -> _ConfigInput:
    """`--config` values (files, merged in order, and/or ENV) as the SDK's CLI takes them."""
    for value in values:
        if value != "ENV":
            try:
                read_json_object("config", value)
            except TapError as exc:
                prefix = tap_name.upper().replace("-", "_")
                msg = f"{exc}; pass --config with a JSON object file, or --config ENV to read {prefix}_* variables"
                raise TapError(msg) from None
    return _ConfigInput.from_cli_args(*values)


def exit_with_line(tap_name: str, exc: TapError) -> t.NoReturn:
    """End a CLI callback with the one-line error (click would print a traceback for an exception)."""
    sys.stderr.write(f"{tap_name}: error: {exc}\n")
    sys.stderr.flush()
    raise click.exceptions.Exit(1)


class CheckedInputs:
    """Tap mixin: the CLI's `--config`, `--state` and `--catalog` checked as they are read, and
    `check_inputs()` for what needs the tap (the catalog's streams, the bookmarks, unknown settings)."""

    name: t.ClassVar[str]

    @classmethod
    def cb_config(cls, ctx: click.Context, param: click.Option, value: tuple[str, ...]) -> _ConfigInput:
        try:
            return config_input(cls.name, value)
        except TapError as exc:
            exit_with_line(cls.name, exc)

    @classmethod
    def get_singer_command(cls) -> click.Command:
        command = super().get_singer_command()  # type: ignore[misc]
        for param in command.params:
            if param.name in ("state", "catalog"):
                param.type = click.STRING
                param.callback = cls._json_object_option
        return command

    @classmethod
    def _json_object_option(cls, ctx: click.Context, param: click.Parameter, value: str | None) -> t.IO[str] | None:
        """`--state` / `--catalog`: the file's text as the open file the SDK's invoke() expects."""
        if value is None:
            return None
        try:
            return io.StringIO(read_json_object(str(param.name), value))
        except TapError as exc:
            exit_with_line(cls.name, exc)

    def check_inputs(self: t.Any) -> None:
        warn_unknown_settings(self)
        check_catalog(self)
        check_bookmarks(self)


def warn_unknown_settings(tap: Tap) -> None:
    """One warning line naming config keys the tap does not have (a typo is otherwise silently ignored)."""
    schema = copy.deepcopy(type(tap).config_jsonschema)
    type(tap).append_builtin_config(schema)
    unknown = sorted(set(tap.config) - set(schema.get("properties", {})))
    if unknown:
        tap.logger.warning(
            "unknown setting(s) ignored: %s (`%s --about` lists the settings)", ", ".join(unknown), tap.name
        )


def check_catalog(tap: Tap) -> None:
    """TapError when the input catalog selects a stream the tap does not have."""
    catalog = tap.input_catalog
    if catalog is None:
        return
    unknown = sorted(
        entry.tap_stream_id
        for entry in catalog.values()
        if entry.tap_stream_id not in tap.streams and _selected(entry.metadata.root)
    )
    if unknown:
        hint = "; the files stream needs files_dir" if "files" in unknown and "files" not in tap.streams else ""
        msg = (
            f"catalog selects stream(s) {', '.join(unknown)} that {tap.name} does not have (its streams: "
            f"{', '.join(sorted(tap.streams))}){hint}: run --discover for a catalog of this tap"
        )
        raise TapError(msg)


def _selected(root: t.Any) -> bool:
    return bool(root.selected or (root.selected is None and root.selected_by_default))


def check_bookmarks(tap: Tap) -> None:
    """TapError when a bookmark's value cannot be a value of its stream's replication key."""
    bookmarks = (tap.state or {}).get("bookmarks") or {}
    if not isinstance(bookmarks, dict):
        msg = "state: `bookmarks` must be an object of stream names"
        raise TapError(msg)
    for name, bookmark in bookmarks.items():
        stream = tap.streams.get(name)
        if stream is None or not stream.replication_key or not isinstance(bookmark, dict):
            continue
        key_schema = stream.schema.get("properties", {}).get(stream.replication_key, {})
        for entry in [bookmark, *(bookmark.get("partitions") or [])]:
            value = entry.get("replication_key_value") if isinstance(entry, dict) else None
            if value is not None and not _fits(key_schema, value):
                kind = "a date-time" if key_schema.get("format") == "date-time" else f"a {key_schema.get('type')}"
                msg = (
                    f"state: the bookmark of stream {name} is {value!r}, not {kind} "
                    f"({stream.replication_key}): fix or remove it in the state file"
                )
                raise TapError(msg)


def _fits(key_schema: dict, value: t.Any) -> bool:
    types = key_schema.get("type") or []
    types = [types] if isinstance(types, str) else types
    if key_schema.get("format") == "date-time":
        try:
            parse_utc(value) if isinstance(value, str) else None
        except ValueError:
            return False
        return isinstance(value, str)
    if "integer" in types:
        return isinstance(value, int) and not isinstance(value, bool)
    if "number" in types:
        return isinstance(value, int | float) and not isinstance(value, bool)
    return True
