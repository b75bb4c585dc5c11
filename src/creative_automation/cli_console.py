"""Where every `cap` command prints: standard output, and errors as one readable block."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

from .errors import CreativeAutomationError


def out() -> Console:
    """Standard output, sized for the terminal at the time of printing."""
    return Console()


def err() -> Console:
    return Console(stderr=True, soft_wrap=True)  # paths in errors must stay copy-pasteable


def fail(exc: CreativeAutomationError, code: int = 1) -> NoReturn:
    """One readable block, never a traceback, for anything the user can fix; then exit."""
    err().print(f"[bold red]error:[/] {exc}", markup=True, highlight=False)
    raise typer.Exit(code)


__all__ = ["err", "fail", "out"]
