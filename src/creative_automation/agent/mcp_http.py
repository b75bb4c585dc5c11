"""The MCP server over streamable HTTP, behind the API key: an ASGI app to mount or serve."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import AuthenticationRequired, CreativeAutomationError
from ..service.api.deps import MAX_KEY_LENGTH
from ..service.api.problems import from_error
from ..service.context import Service
from ..storage import ApiKey
from .mcp_server import SCOPE_KEY, build_mcp_server

PATH = "/mcp"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


class McpHttp:
    """The SDK's streamable HTTP app, reached only with a live API key (`Authorization:
    Bearer <key>` or `X-API-Key`, checked on every request: a key revoked mid-session stops
    working at once); the key is left in the ASGI scope for the tools. `lifespan()` must run
    around it: it starts the SDK's session manager (one per run, so an app may start twice)."""

    def __init__(
        self,
        service: Service,
        *,
        host: str | None = None,
        on_key: Callable[[str], None] | None = None,
    ) -> None:
        self.service = service
        self.server: MCPServer = build_mcp_server(service)
        # DNS-rebinding protection, as the SDK sets it, when served on a loopback address only;
        # mounted in the API, the API key is what stands between a web page and the tools
        self._security = None if host in LOCAL_HOSTS else _OPEN
        self._host = host or "0.0.0.0"
        self._on_key = on_key  # the API's per-key rate limit, when mounted there
        self._app: ASGIApp | None = None

    @asynccontextmanager
    async def lifespan(self) -> AsyncIterator[None]:
        app = self.server.streamable_http_app(
            streamable_http_path=PATH, transport_security=self._security, host=self._host
        )
        async with self.server.session_manager.run():
            self._app = app
            try:
                yield
            finally:
                self._app = None

    def route(self) -> Route:
        """The route to add to an app: /mcp, every method (POST, GET for the stream, DELETE)."""
        return Route(PATH, self, include_in_schema=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        try:
            key = await run_in_threadpool(self._authenticate, request)
        except CreativeAutomationError as exc:
            await from_error(request, exc)(scope, receive, send)
            return
        if self._app is None:
            raise RuntimeError("the MCP app is served outside its lifespan")
        await self._app({**scope, SCOPE_KEY: key}, receive, send)

    def _authenticate(self, request: Request) -> ApiKey:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        plaintext = token.strip() if scheme.lower() == "bearer" else ""
        plaintext = plaintext or request.headers.get("x-api-key", "")
        if not plaintext:
            raise AuthenticationRequired(
                "send an API key as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
            )
        key = None
        if len(plaintext) <= MAX_KEY_LENGTH:
            key = self.service.store.authenticate(plaintext)
        if key is None:
            raise AuthenticationRequired("the API key is unknown or has been revoked")
        if self._on_key is not None:
            self._on_key(key.id)
        return key


_OPEN = TransportSecuritySettings(enable_dns_rebinding_protection=False)


def standalone_app(service: Service, *, host: str) -> Starlette:
    """`cap mcp --http`: the MCP endpoint at /mcp and nothing else."""
    mcp = McpHttp(service, host=host)
    return Starlette(routes=[mcp.route()], lifespan=lambda _app: mcp.lifespan())


__all__ = ["PATH", "McpHttp", "standalone_app"]
