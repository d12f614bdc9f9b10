"""One scaffold for the plugin commands of every tap (write-backs, uploads): a provider's command module
declares its commands and their handlers; this module does settings, the tap, output and errors, the same
way for every tap, so that a command behaves like the tap it belongs to:

* **Settings** as the tap reads them: `--config FILE` (repeatable, later files win) and/or `--config ENV`
  (the `TAP_<NAME>_*` variables Meltano sets for plugin commands, parsed by the SDK; they win over files);
  ENV when there is no `--config`. Validated by the tap's schema and its `check_config()`.
* **HTTP** only through the tap's streams (tapkit.http: timeouts, retries with Retry-After, `max_retries`,
  401 refresh, rate limit), so a command is as bounded and as polite as the tap; `send_presigned` is the one
  way to a pre-signed storage URL, through the same retry policy but without the credentials.
* **Output**: one human line `<tap>:<command>: ...` per action on stdout; with `--json`, one JSON object per
  action on stdout instead and the human lines on stderr (a pipe gets only JSON lines, a terminal or a
  Meltano log still shows every step).
* **Errors**: `<tap>: error: ...` on stderr, exit status 1, no traceback. An action that fails while the
  command goes on to the next one (one file of many) is reported the same way and also makes it exit 1.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import sys
import threading
import typing as t
from urllib.parse import urlparse

import requests
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

from tapkit.errors import TapError, one_line, one_line_errors
from tapkit.http import RETRY_STATUSES, ProviderClientError, describe
from tapkit.inputs import config_input, warn_unknown_settings

if t.TYPE_CHECKING:
    from collections.abc import Callable, Sequence

#: What one action of a command may fail with while the command goes on with the next one.
ACTION_ERRORS = (TapError, FatalAPIError, RetriableAPIError, requests.RequestException, OSError)


def error_text(exc: BaseException) -> str:
    """One line for an error; a connection error names method and path only (its text holds the whole URL,
    and a pre-signed URL's query is a credential)."""
    if isinstance(exc, requests.RequestException) and exc.request is not None:
        path = urlparse(exc.request.url).path
        return f"{exc.request.method} {path}: {type(exc).__name__}: no answer after the retries"
    return one_line(exc)


class Output:
    """A command's lines (see the module docstring)."""

    def __init__(self, tap_name: str, command: str, *, json_lines: bool) -> None:
        self.tap_name = tap_name
        self.prefix = f"{tap_name}:{command}"
        self.json_lines = json_lines
        self.stdout, self.stderr = sys.stdout, sys.stderr
        self.human = self.stderr if json_lines else self.stdout
        self.failures = 0

    def note(self, message: str) -> None:
        """A step or remark: a human line only."""
        self._line(self.human, f"{self.prefix}: {message}")

    def result(self, message: str, /, **record: t.Any) -> None:
        """An action done: its human line, and with --json its record."""
        self.note(message)
        self._record(record)

    def failed(self, subject: str, error: BaseException | str, /, **record: t.Any) -> None:
        """An action that failed (the command goes on): the error line, and with --json its record with
        `status: failed` and `error`; the command exits 1."""
        self.failures += 1
        text = error if isinstance(error, str) else error_text(error)
        self._line(self.stderr, f"{self.tap_name}: error: {subject}: {text}")
        self._record({**record, "status": "failed", "error": text})

    def write_bytes(self, data: bytes) -> None:
        """Raw bytes (a file's content) on stdout; the human lines move to stderr."""
        if self.json_lines:
            msg = "with --json stdout carries JSON lines: write the content to a file instead"
            raise TapError(msg)
        self.human = self.stderr
        self.stdout.buffer.write(data)
        self.stdout.buffer.flush()

    def _record(self, record: dict[str, t.Any]) -> None:
        if self.json_lines:
            self._line(self.stdout, json.dumps(record, ensure_ascii=False, default=str))

    @staticmethod
    def _line(stream: t.TextIO, text: str) -> None:
        stream.write(text + "\n")
        stream.flush()


@dataclasses.dataclass
class Context:
    """What a handler gets: the tap (settings loaded and checked), the parsed arguments, the output."""

    tap: t.Any
    args: argparse.Namespace
    out: Output

    def stream(self, name: str) -> t.Any:
        """The tap's stream `name`: its request methods carry the tap's whole HTTP policy."""
        return self.tap.streams[name]


@dataclasses.dataclass(frozen=True)
class Arg:
    """One `argparse` argument of a command: `arg("--export-id", required=True)`."""

    flags: tuple[str, ...]
    options: dict[str, t.Any]


def arg(*flags: str, **options: t.Any) -> Arg:
    return Arg(flags, options)


@dataclasses.dataclass(frozen=True)
class Command:
    name: str
    handler: Callable[[Context], None]
    help: str
    args: tuple[Arg, ...]


class CommandLine:
    """The console script of a tap's commands.

        cli = CommandLine(TapX, "tap-x-commands", "What the commands are for.")

        @cli.command("ack", help="confirm what the last run loaded", args=(arg("--dry-run", action="store_true"),))
        def ack(ctx: Context) -> None:
            ctx.out.result("export 1: confirmed", exportId="1")

        main = cli.main  # [project.scripts] tap-x-commands = "tap_x.commands:main"

    With `subcommands=False` the one command's arguments are the script's own (`tap-pleo-ack --dry-run`)."""

    def __init__(self, tap_class: type, prog: str, description: str, *, subcommands: bool = True) -> None:
        self.tap_class = tap_class
        self.prog = prog
        self.description = description
        self.subcommands = subcommands
        self.commands: dict[str, Command] = {}

    def command(
        self, name: str, *, help: str, args: Sequence[Arg] = ()
    ) -> Callable[[Callable[[Context], None]], Callable[[Context], None]]:
        """Decorator: register `handler(ctx)` as the command `name`."""

        def register(handler: Callable[[Context], None]) -> Callable[[Context], None]:
            if not self.subcommands and self.commands:
                msg = f"{self.prog} has subcommands=False: it takes one command"
                raise ValueError(msg)
            self.commands[name] = Command(name, handler, help, tuple(args))
            return handler

        return register

    def parser(self) -> argparse.ArgumentParser:
        parser = argparse.ArgumentParser(prog=self.prog, description=self.description)
        env = f"{self.tap_class.name.upper().replace('-', '_')}_*"
        parser.add_argument(
            "--config",
            action="append",
            metavar="FILE|ENV",
            help=f"the tap's config JSON (repeatable: later files override earlier ones), or ENV for the {env} "
            "environment variables Meltano sets (they override files); default ENV",
        )
        _json_flag(parser, default=False)
        if not self.subcommands:
            (command,) = self.commands.values()
            _add_args(parser, command.args)
            parser.set_defaults(command=command.name)
            return parser
        sub = parser.add_subparsers(dest="command", required=True)
        for command in self.commands.values():
            subparser = sub.add_parser(command.name, help=command.help, description=command.help)
            _json_flag(subparser, default=argparse.SUPPRESS)  # --json also after the command (Meltano's args)
            _add_args(subparser, command.args)
        return parser

    def main(self, argv: Sequence[str] | None = None) -> int:
        """Run the command line `argv`; 0, or 1 if an action failed. A fatal error exits 1 after one line."""
        args = self.parser().parse_args(argv)
        command = self.commands[args.command]
        name = self.tap_class.name
        out = Output(name, command.name, json_lines=args.json_lines)
        try:
            with one_line_errors(name):
                try:
                    command.handler(Context(load_tap(self.tap_class, args.config or ["ENV"]), args, out))
                except requests.RequestException as exc:
                    raise TapError(error_text(exc)) from None
        except KeyboardInterrupt:
            sys.stderr.write(f"{name}: error: interrupted\n")
            return 130
        return 1 if out.failures else 0


def _json_flag(parser: argparse.ArgumentParser, *, default: t.Any) -> None:
    parser.add_argument(
        "--json",
        dest="json_lines",
        action="store_true",
        default=default,
        help="machine output: one JSON object per action on stdout (the human lines go to stderr)",
    )


def _add_args(parser: argparse.ArgumentParser, args: Sequence[Arg]) -> None:
    for argument in args:
        parser.add_argument(*argument.flags, **argument.options)


def load_tap(tap_class: type, configs: Sequence[str]) -> t.Any:
    """The tap with the settings of `--config` values `configs`, validated by its schema and check_config()
    (unknown settings: one warning line, as for the tap)."""
    settings = config_input(tap_class.name, configs)
    # A tap installs SIGINT/SIGTERM handlers that exit 0 ("gracefully shutting down"): right for a tap whose
    # state is written as it goes, wrong for a write-back Meltano must not take for done. Keep the defaults.
    main_thread = threading.current_thread() is threading.main_thread()
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)} if main_thread else {}
    try:
        tap = tap_class(config=settings.config, parse_env_config=settings.parse_env, setup_mapper=False)
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    tap.check_config()
    warn_unknown_settings(tap)
    return tap


def send_presigned(
    stream: t.Any, method: str, url: str, *, body: t.Any = None, headers: dict[str, str] | None = None
) -> requests.Response:
    """One request to a pre-signed storage URL the API handed out (an upload location), through `stream`'s
    retry policy (timeout, `max_retries`, backoff honouring Retry-After) but with none of its credentials or
    default headers: the URL carries its own signature, the API key must never reach another host, and S3
    refuses a second auth mechanism. Not counted against the API's rate limit. A file `body` is streamed and
    rewound before every attempt."""
    if stream.config.get("user_agent"):
        headers = {"User-Agent": str(stream.config["user_agent"]), **(headers or {})}
    prepared = requests.Request(method, url, data=body, headers=headers).prepare()  # not the session's: no auth

    def attempt(request: requests.PreparedRequest, _context: t.Any) -> requests.Response:
        if hasattr(body, "seek"):
            body.seek(0)
        response = stream.requests_session.send(request, timeout=stream.timeout)
        status = response.status_code
        if status in RETRY_STATUSES or status >= 500:
            raise RetriableAPIError(describe(response), response)
        if status >= 400:
            msg = f"{describe(response)}; the storage host refused the pre-signed URL (it may have expired)"
            raise ProviderClientError(msg, status=status, code=None)
        return response

    return stream.request_decorator(attempt)(prepared, None)
