"""ASGI middleware: the request body limit (counted while it arrives) and request metrics."""

from __future__ import annotations

import json
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ...errors import PayloadTooLarge
from ..metrics import HttpMetrics
from .problems import PROBLEM_JSON, problem_type


class BodyLimit:
    """Refuse a body over `max_bytes` with 413: at once when Content-Length says so, else as
    soon as the bytes received pass the limit (chunked uploads), so nothing past the limit is
    ever read, let alone buffered."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, send, f"the body is {declared} bytes")
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise PayloadTooLarge(self._detail(f"the body passed {self.max_bytes} bytes"))
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except PayloadTooLarge:
            # raised outside a route (where the problem handler answers it): answer here
            if started:
                raise
            await self._refuse(scope, send, f"the body passed {self.max_bytes} bytes")

    def _detail(self, what: str) -> str:
        return f"{what}; the limit is {self.max_bytes} bytes (CAP_MAX_REQUEST_BYTES)"

    async def _refuse(self, scope: Scope, send: Send, what: str) -> None:
        body = json.dumps(
            {
                "type": problem_type("too-large"),
                "title": "The request is too large",
                "status": 413,
                "detail": self._detail(what),
                "instance": scope.get("path", ""),
            }
        ).encode()
        headers = [
            (b"content-type", PROBLEM_JSON.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class RequestMetrics:
    """Counts requests and times them per route template (never per raw path: ids would make
    one series per campaign)."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        start = time.perf_counter()

        async def watched(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watched)
        finally:
            self.metrics.observe(
                scope["method"], _route(scope), status, time.perf_counter() - start
            )


def _route(scope: Scope) -> str:
    # the router leaves the matched route in the (shared, mutated) scope
    route: Any = scope.get("route")
    return str(getattr(route, "path", "unmatched"))
