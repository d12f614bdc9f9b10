"""Run an ASGI app with uvicorn in a background thread (tests, the CLI, benchmarks).

``serve_in_thread(app)`` binds 127.0.0.1 on a free port itself (so there is no race for the port), starts
uvicorn on that socket in a thread, waits for uvicorn's startup to finish (an Event set right after
``Server.startup``; no sleeping), yields the base URL and shuts the server down on exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from .middleware import DROP_EXTENSION


class SandboxH11Protocol(H11Protocol):
    """uvicorn's h11 protocol plus an ASGI extension that closes the connection without any response.

    The ``drop`` fault needs a real dropped connection (the client gets ``ConnectionError``), which plain
    ASGI cannot express: raising before the response makes uvicorn answer 500 instead.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        inner = self.app
        close = self._close_transport

        async def app_with_drop(scope: dict, receive: Any, send: Any) -> None:
            scope.setdefault("extensions", {})[DROP_EXTENSION] = close
            await inner(scope, receive, send)

        self.app = app_with_drop

    def connection_made(self, transport: Any) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            # small responses must not wait for the client's delayed ACK (see bind_socket)
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)

    def _close_transport(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, started: threading.Event) -> None:
        super().__init__(config)
        self._started_event = started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
        finally:
            self._started_event.set()


def bind_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose proto says TCP, and
    # without it every response waits ~40 ms (Nagle's algorithm against the client's delayed ACK).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    return sock


class ServerThread:
    """One uvicorn server on its own thread and event loop. ``start()`` returns once it accepts."""

    def __init__(
        self,
        app: Any,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        log_level: str = "warning",
        configure_logging: bool = False,
        graceful_timeout: float = 2.0,
        ssl_certfile: str | None = None,
        ssl_keyfile: str | None = None,
    ) -> None:
        self.host = host
        self._sock = bind_socket(host, port)
        self.port = self._sock.getsockname()[1]
        self._started = threading.Event()
        config = uvicorn.Config(
            app,
            log_level=log_level,
            access_log=False,
            # None leaves the process' logging alone (tests, libraries); the CLI passes uvicorn's defaults.
            log_config=uvicorn.config.LOGGING_CONFIG if configure_logging else None,
            lifespan="off",
            http=SandboxH11Protocol,
            ws="none",
            timeout_graceful_shutdown=graceful_timeout,
            ssl_certfile=ssl_certfile,  # HTTPS (the emulated SNS host, framework/sns.py)
            ssl_keyfile=ssl_keyfile,
        )
        self.server = _Server(config, self._started)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=f"sandbox-{self.port}", daemon=True)

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        scheme = "https" if self.server.config.ssl_certfile else "http"
        return f"{scheme}://{host}:{self.port}"

    def _run(self) -> None:
        try:
            asyncio.run(self.server.serve(sockets=[self._sock]))
        except BaseException as exc:  # noqa: BLE001 - surfaced by start()/stop(); SystemExit on startup failure too
            self._error = exc
        finally:
            self._started.set()
            self._sock.close()

    def start(self, timeout: float = 30.0) -> ServerThread:
        self._thread.start()
        if not self._started.wait(timeout):
            self.stop()
            raise RuntimeError(f"sandbox server on port {self.port} did not start within {timeout} s")
        if self._error is not None or not self.server.started:
            self._thread.join(5)
            raise RuntimeError(f"sandbox server on port {self.port} failed to start: {self._error!r}")
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self._thread.is_alive():  # pragma: no cover - a handler that ignores cancellation
            self.server.force_exit = True
            self._thread.join(timeout)
        self._sock.close()
        # an emulator may own servers of its own (Įvesk's SNS host): they stop with it
        close = getattr(getattr(getattr(self.server.config.app, "state", None), "provider", None), "close", None)
        if callable(close):
            close()


@contextlib.contextmanager
def serve_in_thread(app: Any, host: str = "127.0.0.1", port: int = 0, *, log_level: str = "warning") -> Iterator[str]:
    """``with serve_in_thread(app) as base_url:`` — the app served on a free loopback port."""
    server = ServerThread(app, host, port, log_level=log_level).start()
    try:
        yield server.base_url
    finally:
        server.stop()
