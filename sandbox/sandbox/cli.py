"""``sandbox`` command line: run the emulators, or print a running emulator's ground truth.

sandbox serve [--providers candis] [--host 127.0.0.1] [--candis-port 8701] [--seed 42] [--scale N]
              [--token-lifetime SECONDS] [--export-delay SECONDS] [--rate-limit N]
              [--refresh-token-reuse] [--tenants N] [--candis-tenants N] [--config FILE]
              [--port-file PATH] [--quiet]
sandbox ground-truth --url http://127.0.0.1:8701
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import signal
import sys
import tempfile
import threading
import typing as t
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .framework.latency import Delay, Latency
from .framework.server import ServerThread


@dataclass(frozen=True)
class ProviderEntry:
    default_port: int
    make_app: Callable[[argparse.Namespace, dict[str, Any]], Any]
    description: str


class SettingsError(ValueError):
    """A provider's settings (``--config`` file, ``--tenants``) its config class refuses."""


def _app_factory(
    package: str,
    config_class: str,
    options: tuple[str, ...],
    extra: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Callable[[argparse.Namespace, dict[str, Any]], Any]:
    """``make_app(args, file_settings)`` of one emulator: its ``*Config`` from the ``--config`` file's section
    (``file_settings``; a ``"tenants": N`` there like ``--<provider>-tenants``), the tenants of
    ``--<provider>-tenants`` / ``--tenants``, ``--seed``/``--scale`` (default 42 and 200) and the
    command-line ``options`` that were given (flags only when set), plus the ``extra(settings)`` defaults;
    the package is imported on first use. Later sources win."""

    def make_app(args: argparse.Namespace, file_settings: dict[str, Any]) -> Any:
        module = importlib.import_module(f"{__package__}.{package}")
        config_cls = getattr(module, config_class)
        settings = dict(file_settings)
        if "clock" in settings:
            raise SettingsError(f"{package}: 'clock' is not a setting of the command line")
        tenants = getattr(args, f"{package}_tenants") or args.tenants or settings.pop("tenants", None)
        settings.pop("tenants", None)
        if tenants is not None:
            if isinstance(tenants, bool) or not isinstance(tenants, int) or tenants < 1:
                raise SettingsError(f"{package}: tenants must be an integer >= 1")
            settings.update(config_cls.tenant_settings(tenants))
        for key, default in (("seed", 42), ("scale", 200)):
            value = getattr(args, key)
            settings[key] = value if value is not None else settings.get(key, default)
        for option in options:
            value = getattr(args, option)
            if value is not None and value is not False:
                settings[option] = value
        if extra is not None:
            settings = {**extra(settings), **settings}
        try:
            config = config_cls(**settings)
        except (TypeError, ValueError) as exc:
            raise SettingsError(f"{package}: {exc}") from None
        return module.create_app(config)

    return make_app


def _findity_extra(settings: dict[str, Any]) -> dict[str, Any]:
    # 8 exports already sent (one per voucher format) hold three quarters of the reports; the rest stay
    # READY_TO_SEND for POST /_sandbox/findity/bulk-send.
    return {"export_size": max(1, settings["scale"] * 3 // 32)}


_candis_app = _app_factory(
    "candis", "CandisConfig", ("token_lifetime", "export_delay", "rate_limit", "refresh_token_reuse")
)
_findity_app = _app_factory(
    "findity", "FindityConfig", ("token_lifetime", "rate_limit", "refresh_token_reuse"), _findity_extra
)
# Įvesk publishes no rate limit: off unless asked for; it has no tokens.
_ivesk_app = _app_factory("ivesk", "IveskConfig", ("rate_limit",))
_pleo_app = _app_factory("pleo", "PleoConfig", ("token_lifetime", "rate_limit"))


#: Every emulator the CLI can run, with its default port (pleo 8702, ivesk 8703, findity 8704 to come).
PROVIDERS: dict[str, ProviderEntry] = {
    "candis": ProviderEntry(
        8701, _candis_app, "Candis API (token URL /auth/realms/candis/protocol/openid-connect/token)"
    ),
    "pleo": ProviderEntry(
        8702, _pleo_app, "Pleo Export API v3 (API key plp_sandbox_0rg4n1s4t10n_k3y; token URL {base}/oauth/token)"
    ),
    "ivesk": ProviderEntry(
        8703, _ivesk_app, "Įvesk.lt public API (api_url = base URL; x-api-key dp_sandbox_8f3a1c5e9b7d4f20)"
    ),
    "findity": ProviderEntry(
        8704, _findity_app, "Findity Connect API (api_url {base}/api, token URL {base}/oauth/token)"
    ),
}


def _at_least(minimum: int, kind: type = int) -> t.Callable[[str], t.Any]:
    """An argparse type: a number of `kind` that is at least `minimum`."""

    def parse(text: str) -> t.Any:
        value = kind(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}")
        return value

    return parse


_non_negative_int = _at_least(0)
_positive_int = _at_least(1)
_non_negative_float = _at_least(0, float)


#: what ``--<provider>-tenants N`` makes N of
TENANT_KINDS = {
    "candis": "organizations",
    "pleo": "companies",
    "ivesk": "company codes",
    "findity": "organizations",
}


def _delay(text: str) -> Delay:
    try:
        return Delay.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sandbox", description="Local emulators of accounting export APIs.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run emulators until interrupted (Ctrl+C / SIGTERM)")
    serve.add_argument(
        "--providers",
        default=",".join(PROVIDERS),
        help=f"comma-separated emulators to run (default: all: {','.join(PROVIDERS)})",
    )
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    for name, entry in PROVIDERS.items():
        serve.add_argument(
            f"--{name}-port",
            type=_non_negative_int,
            default=entry.default_port,
            help=f"port for {name} (default {entry.default_port}; 0 = any free port)",
        )
    serve.add_argument("--seed", type=int, help="data seed (default 42)")
    serve.add_argument("--scale", type=_non_negative_int, help="records per stream (default 200)")
    serve.add_argument("--token-lifetime", type=_non_negative_int, help="access-token lifetime in seconds")
    serve.add_argument("--export-delay", type=_non_negative_float, help="seconds a new Candis export stays EXPORTING")
    serve.add_argument("--rate-limit", type=_non_negative_int, help="requests per minute per organization (0 = off)")
    serve.add_argument("--refresh-token-reuse", action="store_true", help="let used refresh tokens keep working")
    serve.add_argument(
        "--latency",
        type=_delay,
        metavar="MS[:JITTER_MS]",
        help="network round trip added to every API request (milliseconds, optional ± jitter; default 0)",
    )
    serve.add_argument(
        "--file-latency",
        type=_delay,
        metavar="MS[:JITTER_MS]",
        help="the same for the pre-signed file hosts (Pleo receipts, Įvesk PDFs; default: --latency)",
    )
    serve.add_argument(
        "--tenants",
        type=_positive_int,
        help="tenants of every emulator (organizations, companies, company codes; default 1, 3, 3, 1)",
    )
    for name, what in TENANT_KINDS.items():
        serve.add_argument(f"--{name}-tenants", type=_positive_int, help=f"{what} of {name} (over --tenants)")
    serve.add_argument(
        "--config",
        metavar="FILE",
        help='JSON {"candis": {setting: value, …, "tenants"?: N}, "pleo": {…}, …}: any setting of each config '
        "class (e.g. an explicit organizations list); command-line flags win",
    )
    serve.add_argument("--port-file", help="write {provider: base_url} as JSON here once listening")
    serve.add_argument("--quiet", action="store_true", help="only print the base URLs and errors")

    truth = sub.add_parser("ground-truth", help="print a running emulator's ground truth (counts, money totals)")
    truth.add_argument("--url", required=True, help="the emulator's base URL, e.g. http://127.0.0.1:8701")
    return parser


def _write_port_file(path: str, urls: dict[str, str]) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".sandbox-ports-", dir=directory)
    with os.fdopen(fd, "w") as fh:
        json.dump(urls, fh)
    os.replace(tmp, path)


def _read_config_file(path: str | None) -> dict[str, dict[str, Any]]:
    """The ``--config`` file: a JSON object of provider sections, each a JSON object of settings."""
    if path is None:
        return {}
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        raise SettingsError(f"--config {path}: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise SettingsError(f'--config {path}: expected {{"candis": {{setting: value, …}}, …}}')
    unknown = sorted(set(data) - set(PROVIDERS))
    if unknown:
        raise SettingsError(
            f"--config {path}: unknown provider(s) {', '.join(unknown)}; available: {', '.join(PROVIDERS)}"
        )
    return data


def _build_apps(args: argparse.Namespace, names: list[str]) -> dict[str, Any]:
    """Every emulator's app, before any starts (a refused setting stops them all: SettingsError)."""
    sections = _read_config_file(args.config)
    apps = {name: PROVIDERS[name].make_app(args, sections.get(name, {})) for name in names}
    api = getattr(args, "latency", None) or Delay()
    files = getattr(args, "file_latency", None) or api
    seed = args.seed if args.seed is not None else 42
    for app in apps.values():
        app.state.provider.latency = Latency(api, files, seed)  # one generator per emulator
    return apps


def serve(args: argparse.Namespace) -> int:
    names = [n.strip() for n in args.providers.split(",") if n.strip()]
    unknown = [n for n in names if n not in PROVIDERS]
    if unknown or not names:
        print(
            f"sandbox: unknown provider(s) {', '.join(unknown) or '(none given)'}; available: {', '.join(PROVIDERS)}",
            file=sys.stderr,
        )
        return 2
    try:
        apps = _build_apps(args, names)
    except SettingsError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 2
    servers: dict[str, ServerThread] = {}
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for name in names:
            port = getattr(args, f"{name}_port")
            try:
                server = ServerThread(
                    apps[name],
                    args.host,
                    port,
                    log_level="warning" if args.quiet else "info",
                    configure_logging=True,
                )
            except OSError as exc:
                print(
                    f"sandbox: cannot listen on {args.host}:{port} for {name}: {exc.strerror or exc}", file=sys.stderr
                )
                return 1
            servers[name] = server.start()
        urls = {name: server.base_url for name, server in servers.items()}
        if args.port_file:  # before the URLs are printed, so a reader of stdout can rely on it
            _write_port_file(args.port_file, urls)
        for name, url in urls.items():
            print(f"{name} {url}", flush=True)
        if not args.quiet:
            print(
                "sandbox: serving; Ctrl+C to stop. Admin endpoints under /_sandbox (see sandbox/README.md).",
                file=sys.stderr,
                flush=True,
            )
        while not stop.wait(0.5):
            pass
        return 0
    finally:
        for server in servers.values():
            server.stop()
        if args.port_file and servers:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(args.port_file)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def ground_truth(args: argparse.Namespace) -> int:
    url = args.url.rstrip("/") + "/_sandbox/ground-truth"
    try:
        with urllib.request.urlopen(url, timeout=300) as response:
            data = json.load(response)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        print(f"sandbox: cannot read {url}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(data, indent=2, ensure_ascii=False))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return ground_truth(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
