"""`webhooks`: the receiver's command line.

    webhooks serve [--host H] [--port P] [--port-file FILE]     the receiver, until Ctrl+C / SIGTERM
    webhooks drain [--follow [--interval S]] [--tenant NAME]    run each pending tenant's `meltano run`
    webhooks events [--status pending|done] [--json]            what the store holds

Common options: --project-root (MELTANO_PROJECT_ROOT), --tenants-file (TENANTS_FILE), --store (WEBHOOKS_STORE).
Errors end in one line `webhooks: error: ...`, exit 1.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import logging
import signal
import socket
import sys
import threading
import typing as t
from pathlib import Path

from orchestrate.tenants import TenantsFileError, load_fleet

from webhooks.settings import Settings
from webhooks.store import STORE_ERRORS, EventStore, StoreError


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        project_root=args.project_root,
        tenants_file=Path(args.tenants_file) if args.tenants_file else None,
        store=args.store,
        **{k: getattr(args, k) for k in ("host", "port") if getattr(args, k, None) is not None},
    )


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from webhooks.app import Receiver

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = _settings(args)
    receiver = Receiver(settings)
    receiver.tenants.current()  # read the tenants file now: its problems are logged at start
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.host, settings.port))
    except OSError as exc:
        sock.close()
        raise RuntimeError(f"cannot listen on {settings.host}:{settings.port}: {exc.strerror}") from None
    sock.listen(128)
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    url = f"http://{host}:{sock.getsockname()[1]}"
    # access_log off: a Findity URL carries its tenant's secret; the receiver logs each request itself
    config = uvicorn.Config(receiver.app, access_log=False, log_config=None, lifespan="off", ws="none")
    server = uvicorn.Server(config)
    port_file = Path(args.port_file) if args.port_file else None
    if port_file:
        port_file.write_text(url + "\n", encoding="utf-8")
    print(f"webhooks {url} (store {receiver.store.describe()}, tenants {settings.tenants_file})", flush=True)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        receiver.store.close()
        if port_file:
            port_file.unlink(missing_ok=True)
    return 0


def drain(args: argparse.Namespace) -> int:
    from webhooks.drain import drain_lock, drain_once

    settings = _settings(args)
    stop = threading.Event()
    if args.follow:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
    lock = settings.project_root / ".meltano" / "webhooks" / "drain.lock"
    failed = False
    with EventStore.open(settings.store) as store, drain_lock(lock):
        while True:
            fleet = load_fleet(settings.tenants_file, settings.meltano_yml)
            results = drain_once(
                store,
                fleet,
                project_root=settings.project_root,
                meltano=args.meltano,
                only=args.tenant or (),
                log=lambda line: print(line, file=sys.stderr, flush=True),
            )
            failed = any(not r.ok for r in results)
            if not args.follow or stop.wait(args.interval):  # the pause between two looks at the store
                break
    return 1 if failed else 0


def events(args: argparse.Namespace) -> int:
    settings = _settings(args)
    with EventStore.open(settings.store) as store:
        rows = store.events(args.status)
    for event in rows:
        if args.json:
            print(json.dumps(dataclasses.asdict(event), default=str))
        else:
            extra = f" ({event.last_error})" if event.last_error else ""
            print(f"{event.status:8} {event.provider:8} {event.tenant:24} {event.kind:22} {event.event_id}{extra}")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="webhooks", description="Receive, store and act on the providers' webhooks.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--project-root", help="the Meltano project (default MELTANO_PROJECT_ROOT or .)")
    common.add_argument("--tenants-file", help="default TENANTS_FILE or <project root>/tenants.yml")
    common.add_argument("--store", help="SQLite file or postgresql:// URL (default WEBHOOKS_STORE)")
    commands = top.add_subparsers(dest="command", required=True)
    s = commands.add_parser("serve", parents=[common], help="run the receiver")
    s.add_argument("--host", help="default WEBHOOKS_HOST or 127.0.0.1")
    s.add_argument("--port", type=int, help="default WEBHOOKS_PORT or 8780; 0 = any free port")
    s.add_argument("--port-file", help="write the receiver's URL there once listening (removed on exit)")
    s.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    s.set_defaults(run=serve)
    d = commands.add_parser("drain", parents=[common], help="run the meltano run of every tenant with pending events")
    d.add_argument("--follow", action="store_true", help="keep draining until Ctrl+C / SIGTERM")
    d.add_argument("--interval", type=float, default=5.0, help="seconds between two passes with --follow (default 5)")
    d.add_argument("--tenant", action="append", help="only this tenant (repeatable)")
    d.add_argument("--meltano", help="the meltano executable (default: beside this Python, else on PATH)")
    d.set_defaults(run=drain)
    e = commands.add_parser("events", parents=[common], help="list the stored events")
    e.add_argument("--status", choices=["pending", "done"])
    e.add_argument("--json", action="store_true", help="one JSON object per line")
    e.set_defaults(run=events)
    return top


def main(argv: t.Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except TenantsFileError as exc:
        print(f"webhooks: error: {exc.path}: {'; '.join(exc.problems)}", file=sys.stderr)
    except (StoreError, RuntimeError, ValueError) as exc:
        print(f"webhooks: error: {exc}", file=sys.stderr)
    except STORE_ERRORS as exc:
        print(f"webhooks: error: event store: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        with contextlib.suppress(Exception):
            print("webhooks: interrupted", file=sys.stderr)
        return 130
    return 1


if __name__ == "__main__":
    sys.exit(main())
