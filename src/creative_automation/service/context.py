"""Everything a service process needs, built once from settings and passed down."""

from __future__ import annotations

from dataclasses import dataclass

from ..settings import Settings
from ..storage import MetadataStore, build_metadata_store
from ..storage.files import OutputStore
from .queue import JobQueue, Runner, build_queue


@dataclass
class Service:
    """The metadata store, the job queue and the file store of one process."""

    settings: Settings
    store: MetadataStore
    queue: JobQueue
    files: OutputStore

    def close(self) -> None:
        self.store.close()


def build_service(settings: Settings, *, runner: Runner | None = None) -> Service:
    """Build the service's parts; the schema must be current (`cap db upgrade`)."""
    store = build_metadata_store(settings)
    return Service(
        settings, store, build_queue(settings, runner), OutputStore(settings.outputs_url)
    )


__all__ = ["Service", "build_service"]
