"""The ASGI middleware every emulator runs behind: request log -> latency (``latency.py``) -> rate limit ->
fault injection -> the published contract's request checks -> API.

Pure ASGI (not ``BaseHTTPMiddleware``), so streamed responses stay streamed and a request costs a few
microseconds here. Admin requests (``/_sandbox/...``) pass straight through, unlogged and unlimited.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

from .faults import FaultRule
from .jsonutil import parse_json
from .provider import ApiError, SandboxProvider
from .requestlog import query_dict
from .timeutil import http_date, iso_ms, to_ms

ADMIN_PREFIX = "/_sandbox"
#: ASGI scope extension set by :mod:`sandbox.framework.server`'s protocol: closes the TCP connection.
DROP_EXTENSION = "sandbox.drop_connection"

_NOT_JSON = object()
_GATEWAY_HTML = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


class SandboxMiddleware:
    def __init__(self, app: Any, provider: SandboxProvider) -> None:
        self.app = app
        self.provider = provider

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        provider = self.provider
        organization = provider.organization_of(scope)
        entry: dict[str, Any] = {
            "ts": iso_ms(provider.now_ms()),
            "method": scope["method"],
            "path": scope["path"],
            "query": query_dict(scope.get("query_string", b"")),
            "status": None,
            "organization": organization,
        }

        async def logging_send(message: dict) -> None:
            if message["type"] == "http.response.start":
                entry["status"] = message["status"]
            await send(message)

        delay = provider.latency.seconds(file=provider.is_file_request(scope)) if provider.latency else 0.0
        if delay:
            await asyncio.sleep(delay / 2)  # the request on its way
            logging_send = _delayed(logging_send, delay / 2)  # the response on its way back
        try:
            await self._handle(scope, receive, logging_send, organization, entry)
        finally:
            provider.request_log.record(entry)

    async def _handle(self, scope: dict, receive: Any, send: Any, organization: str | None, entry: dict) -> None:
        provider = self.provider
        limit = provider.rate_limit
        if limit > 0 and organization is not None and provider.is_rate_limited(scope):
            wait = provider.limiter.check(organization, limit, to_ms(provider.now()) / 1000.0)
            if wait is not None:
                response = provider.error_response(
                    ApiError(
                        429,
                        f"Rate limit of {limit} requests per minute exceeded for organization {organization}",
                        headers={"Retry-After": str(wait)},
                    )
                )
                await response(scope, receive, send)
                return

        pre, terminal = provider.faults.select(scope["method"], scope["path"])
        for rule in pre:
            entry.setdefault("faults", []).append(rule.kind)
            if rule.kind == "slow":
                await asyncio.sleep(rule.delay)
            elif rule.kind == "expire_tokens":
                provider.expire_tokens()
            elif rule.kind == "mutate":
                provider.mutate(rule.params)
        if terminal is None:
            operation = provider.contract.match(scope["method"], scope["path"]) if provider.contract else None
            if operation is not None:
                receive, send = await self._check_contract(operation, scope, receive, send, entry)
                if receive is None:
                    return
            await self.app(scope, receive, send)
            return
        entry.setdefault("faults", []).append(terminal.kind)
        await self._answer_fault(terminal, scope, receive, send)

    async def _check_contract(
        self, operation: Any, scope: dict, receive: Any, send: Any, entry: dict
    ) -> tuple[Any, Any]:
        """Refuse (400, the provider's error body) a request the published contract refuses: parameter types
        and enums, required parameters and body fields. Unknown query parameters are ignored, as APIs do.
        Returns the ``receive`` that replays the body read here (None when refused), and the ``send`` to use
        (one that also logs the response body, when the request log keeps bodies)."""
        provider = self.provider
        raw = await _read_body(receive)
        try:
            body: Any = parse_json(raw, ValueError, empty=None)
        except ValueError:
            body = _NOT_JSON  # the route answers malformed JSON in its own way
        log_bodies = provider.request_log.bodies
        if log_bodies:
            entry["requestBody"] = None if body is _NOT_JSON else body
        if body is not _NOT_JSON:
            query = query_dict(scope.get("query_string", b""), redact=False)
            errors = provider.contract.allowed(
                operation.request_errors(scope["path"], query, body, has_body=bool(raw.strip()))
            )
            if errors:
                message = "; ".join(f"{e.location}: {e.message}" for e in errors[:3])
                response = provider.error_response(
                    ApiError(
                        400,
                        f"Invalid request: {message}",
                        code=provider.contract_error_code,
                        errors=[{"property": e.field, "messages": [e.message]} for e in errors],
                    )
                )
                await response(scope, receive, send)
                return None, send
        return _replaying(raw, receive), (_logging_body(send, entry) if log_bodies else send)

    async def _answer_fault(self, rule: FaultRule, scope: dict, receive: Any, send: Any) -> None:
        provider = self.provider
        if rule.kind == "status":
            headers = {}
            if rule.retry_after == "http-date":
                # An absolute date is read against the client's wall clock, so it uses real time even when
                # the provider runs on an injected clock.
                headers["Retry-After"] = http_date(time.time() + (rule.retry_after_seconds or 0))
            elif rule.retry_after is not None:
                headers["Retry-After"] = str(rule.retry_after)
            message = rule.message or f"Injected fault: HTTP {rule.status}"
            response = provider.error_response(ApiError(rule.status, message, code=rule.code, headers=headers))
            await response(scope, receive, send)
        elif rule.kind == "drop":
            await self._drop(rule, scope, receive, send)
        elif rule.kind == "malformed":
            if rule.body == "html":
                await _send_raw(send, 200, b"text/html", _GATEWAY_HTML)
            elif rule.body == "missing_keys":
                await _send_raw(send, 200, b"application/json", b"{}")
            else:  # truncated: the real answer, cut in half
                chunks: list[bytes] = []

                async def capture(message: dict) -> None:
                    if message["type"] == "http.response.body":
                        chunks.append(message.get("body", b""))

                await self.app(scope, receive, capture)
                body = b"".join(chunks)
                await _send_raw(send, 200, b"application/json", body[: len(body) // 2])

    async def _drop(self, rule: FaultRule, scope: dict, receive: Any, send: Any) -> None:
        drop = scope.get("extensions", {}).get(DROP_EXTENSION)
        if rule.mode == "truncated_body" or drop is None:
            # Promise a body, send part of it, then end the connection (the protocol's drop hook, or, on a
            # server without it, returning an incomplete response, which ASGI servers answer by closing):
            # the client sees an incomplete read.
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")],
                }
            )
            await send({"type": "http.response.body", "body": b'{"truncated": "by the sandbox', "more_body": True})
        if drop is None:
            return
        drop()
        # Wait until the server has seen the connection go, so it neither answers 500 nor logs an error.
        with contextlib.suppress(TimeoutError):  # the transport is closed either way
            await asyncio.wait_for(_wait_disconnect(receive), 1.0)


def _delayed(send: Any, seconds: float) -> Any:
    """A ``send`` whose response starts ``seconds`` later (asynchronously: other requests go on)."""

    async def delayed_send(message: dict) -> None:
        if message["type"] == "http.response.start":
            await asyncio.sleep(seconds)
        await send(message)

    return delayed_send


async def _read_body(receive: Any) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _replaying(raw: bytes, receive: Any) -> Any:
    """A ``receive`` that first gives the app the body already read, then the client's next messages."""
    replayed = False

    async def replay() -> dict:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": raw, "more_body": False}
        return await receive()

    return replay


def _logging_body(send: Any, entry: dict) -> Any:
    """A ``send`` that also puts the response's content type and parsed JSON body into the log ``entry``."""
    captured: list[bytes] = []

    async def capturing_send(message: dict) -> None:
        if message["type"] == "http.response.start":
            headers = dict(message.get("headers") or [])
            entry["contentType"] = headers.get(b"content-type", b"").decode("latin-1")
        elif message["type"] == "http.response.body":
            captured.append(message.get("body", b""))
            if not message.get("more_body") and entry.get("contentType", "").startswith("application/json"):
                try:
                    entry["responseBody"] = json.loads(b"".join(captured))
                except ValueError:
                    entry["responseBody"] = None
        await send(message)

    return capturing_send


async def _wait_disconnect(receive: Any) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _send_raw(send: Any, status: int, content_type: bytes, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
