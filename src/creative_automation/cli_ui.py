"""`cap ui`: the web UI (Streamlit), a client of the API at CAP_API_URL with CAP_API_KEY."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from .cli_console import fail, out
from .errors import ConfigError, CreativeAutomationError
from .settings import load_settings

APP = Path(__file__).with_name("ui") / "app.py"


def streamlit_command(host: str, port: int) -> list[str]:
    """The Streamlit server for the UI: headless, no usage statistics sent anywhere, no file
    watcher (an installed package does not change under it)."""
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.address", host,
        "--server.port", str(port),
        "--server.headless", "true",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "minimal",
        "--theme.base", "light",
        "--theme.primaryColor", "#1f5fbf",  # a calm blue: red would read as an error
    ]  # fmt: skip


def ui(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8501,
) -> None:
    """Run the web UI for creative teams: submit, watch, review and approve campaigns."""
    try:
        settings = load_settings()
        if settings.api_key is None:
            raise ConfigError(
                "CAP_API_KEY is not set: the UI acts as the holder of an API key "
                "(cap keys create --name ui)"
            )
    except CreativeAutomationError as exc:
        fail(exc)
    out().print(f"UI on [bold]http://{host}:{port}[/] · API {settings.api_url}", highlight=False)
    command = streamlit_command(host, port)
    sys.stdout.flush()
    # this process becomes the Streamlit server: signals (Ctrl-C, a supervisor's SIGTERM)
    # reach it directly, and no child is left behind
    os.execv(command[0], command)


__all__ = ["streamlit_command", "ui"]
