"""`cap mcp`: the MCP server for AI assistants, over stdio or streamable HTTP."""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from .cli_console import fail
from .errors import CreativeAutomationError
from .settings import load_settings


def mcp(
    http: Annotated[
        bool,
        typer.Option("--http", help="Serve streamable HTTP at /mcp, behind the API keys."),
    ] = False,
    host: Annotated[str, typer.Option("--host", help="Interface for --http.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port for --http.")] = 8765,
) -> None:
    """Serve the platform over the Model Context Protocol: tools to check and submit briefs and
    explain campaigns, their creatives, findings and alerts. Over stdio (the default, for a local
    assistant) it acts as you, with full access; over --http every request needs an API key."""
    # stdout is the protocol's channel over stdio: every log line goes to stderr
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    from .service.context import build_service

    try:
        settings = load_settings()
        service = build_service(settings)
        service.store.ensure_schema()
    except CreativeAutomationError as exc:
        fail(exc)
    try:
        if http:
            import uvicorn

            from .agent.mcp_http import standalone_app

            uvicorn.run(standalone_app(service, host=host), host=host, port=port, log_level="info")
        else:
            from .agent.mcp_server import build_mcp_server

            build_mcp_server(service).run("stdio")
    finally:
        service.close()


__all__ = ["mcp"]
