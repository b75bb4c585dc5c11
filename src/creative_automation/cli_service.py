"""`cap serve` and `cap worker`: the service's processes, thin adapters over service/."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from .cli_console import fail
from .errors import CreativeAutomationError
from .settings import load_settings

HOST = typer.Option("--host", help="Interface to listen on (0.0.0.0 in a container).")


def serve(
    host: Annotated[str, HOST] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8000,
    embedded_workers: Annotated[
        int,
        typer.Option(
            "--embedded-workers",
            min=0,
            help="Campaigns run at once inside this process (0: API only, run `cap worker`s).",
        ),
    ] = 2,
) -> None:
    """Run the HTTP API (OpenAPI docs at /docs), with workers inside it for one machine."""
    import uvicorn

    from .service.api.app import create_app
    from .service.context import build_service
    from .service.worker import EmbeddedWorker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = load_settings()
        service = build_service(settings)
        service.store.ensure_schema()  # a fresh data dir just works; an old schema is refused
        worker = EmbeddedWorker(settings, embedded_workers) if embedded_workers else None
    except CreativeAutomationError as exc:
        fail(exc)
    if worker is not None:
        worker.start()
    try:
        uvicorn.run(create_app(service), host=host, port=port, log_level="info")
    finally:
        if worker is not None:
            worker.stop()
        service.close()


def worker(
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=256, help="Campaigns run at once.")
    ] = 4,
) -> None:
    """Run campaigns from the queue. SIGTERM finishes the campaigns in hand, then exits; Ctrl-C
    stops at once (another worker resumes them when their lease runs out)."""
    from .service.worker import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        run_worker(load_settings(), concurrency)
    except CreativeAutomationError as exc:
        fail(exc)


__all__ = ["serve", "worker"]
