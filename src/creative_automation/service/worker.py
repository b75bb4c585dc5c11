"""`cap worker`: a Huey consumer running campaigns, plus the scan that requeues lost ones."""

from __future__ import annotations

import ctypes
import logging
import os
import socket
import threading
import time
import uuid
from datetime import timedelta
from typing import Any

from huey.consumer import Consumer

from ..errors import CreativeAutomationError, InvalidTransition, LeaseLost
from ..imaging.threads import one_thread_per_kernel
from ..providers.budget import Budget
from ..providers.setup import build_chain
from ..settings import Settings
from ..storage import CampaignState
from . import webhooks
from .context import Service, build_service
from .runner import CampaignRunner

log = logging.getLogger(__name__)
_M_ARENA_MAX = -8  # mallopt parameter number, from glibc's malloc.h


def worker_id() -> str:
    """host:pid:random — unique per process, readable in the audit trail."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def requeue_lost(service: Service) -> list[str]:
    """Campaigns whose worker vanished (lease gone stale) go back on the queue, resumed from
    their checkpoints by whoever picks them up; so do queued campaigns that never reached the
    queue (an API that died between its insert and its enqueue), when the queue is empty.
    Several workers may scan at once: the state table lets only one requeue each campaign."""
    store, lease = service.store, timedelta(seconds=service.settings.lease_s)
    requeued = []
    for campaign in store.stale_campaigns(lease):
        try:
            store.transition(
                campaign.id,
                CampaignState.QUEUED,
                {"reason": "worker lost", "worker_id": campaign.worker_id},
            )
        except (InvalidTransition, LeaseLost):
            continue  # finished meanwhile, or another scanner got there first
        service.queue.enqueue_campaign(campaign.id)
        requeued.append(campaign.id)
    if service.queue.depth() == 0:
        cutoff = store.now() - lease
        page = store.list_campaigns(state=CampaignState.QUEUED, limit=200)
        for campaign in page.items:
            if campaign.worker_id is None and campaign.updated_at < cutoff:
                service.queue.enqueue_campaign(campaign.id)
                requeued.append(campaign.id)
    if requeued:
        log.warning("requeued %d campaign(s): %s", len(requeued), ", ".join(requeued))
    return requeued


class Scanner:
    """The worker's housekeeping thread: webhooks due are sent as soon as a campaign ends (and
    retried when their back-off is over, checked every few seconds); lost campaigns are
    requeued every half lease."""

    WEBHOOK_TICK_S = 2.0

    def __init__(self, service: Service, wake: threading.Event | None = None) -> None:
        self.service = service
        self.wake = wake or threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="housekeeping", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.wake.set()
        self._thread.join()

    def _loop(self) -> None:
        every = self.service.settings.lease_s / 2
        next_scan = time.monotonic() + every
        while not self._stop.is_set():
            self.wake.wait(self.WEBHOOK_TICK_S)
            self.wake.clear()
            try:
                webhooks.deliver_due(self.service)
                if time.monotonic() >= next_scan:
                    next_scan = time.monotonic() + every
                    requeue_lost(self.service)
            except CreativeAutomationError as exc:
                log.warning("housekeeping failed: %s", exc)


def prepare(settings: Settings) -> tuple[Service, CampaignRunner]:
    """The service with this process's runner. The provider chain is built once now: a
    provider named without credentials fails at start-up, and the SDKs are imported before
    the first campaign rather than during it. Campaigns are this process's parallelism: its
    image kernels run on one thread each."""
    one_thread_per_kernel()
    build_chain(settings, Budget())
    service = build_service(settings)
    service.store.ensure_schema()
    runner = CampaignRunner(service, worker_id())
    service.queue.set_runner(runner)
    return service, runner


class _QuietConsumer(Consumer):  # type: ignore[misc]  # huey ships no type information
    """A consumer that leaves signals alone: it runs inside a process that owns them (the API
    server in `cap serve`, a test), which stops it with `stop()`."""

    def _set_signal_handlers(self) -> None:
        pass


def consumer(service: Service, concurrency: int, *, embedded: bool = False) -> Consumer:
    """A Huey consumer with `concurrency` worker threads, one per campaign in hand (each waits
    on its providers most of the time, and hands its rendering to the runner's render
    threads). Idle workers poll the
    SQLite queue every 0.25 s at most; on Redis they block on the list instead."""
    options: dict[str, Any] = {
        "workers": concurrency,
        "worker_type": "thread",
        "periodic": False,
        "initial_delay": 0.05,
        "backoff": 1.5,
        "max_delay": 0.25,
    }
    if embedded:
        return _QuietConsumer(service.queue.huey, **options)
    # SIGTERM (what Kubernetes and docker send) finishes the campaigns in hand, then exits
    return service.queue.huey.create_consumer(graceful_signal="TERM", **options)


class EmbeddedWorker:
    """Workers inside another process (`cap serve`, tests): start() and stop()."""

    def __init__(self, settings: Settings, concurrency: int = 2) -> None:
        self.service, self.runner = prepare(settings)
        self._consumer = consumer(self.service, concurrency, embedded=True)
        self._scanner = Scanner(self.service, self.runner.finished)

    def start(self) -> EmbeddedWorker:
        self._consumer.start()
        self._scanner.start()
        return self

    def stop(self) -> None:
        """Finish the campaigns in hand, then stop."""
        self._scanner.stop()
        self._consumer.stop(graceful=True)
        self.runner.close()
        self.service.close()


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """Cap glibc's malloc arenas. By default each thread that allocates gets its own (up to
    8 per core), and a worker's campaign threads each leave one holding freed image buffers:
    peak RSS grows with the thread count rather than with the work. False where the C library
    is not glibc (the setting then stays the platform's own)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(_M_ARENA_MAX, arenas))
    except (OSError, AttributeError):
        return False


def run_worker(settings: Settings, concurrency: int) -> None:
    """Run until SIGINT/SIGTERM: the consumer, plus the requeue scan."""
    limit_malloc_arenas()  # before any thread allocates
    service, runner = prepare(settings)
    scanner = Scanner(service, runner.finished)
    scanner.start()
    log.info("worker %s: %s queue, %d thread(s)", runner.worker_id, service.queue.backend,
             concurrency)  # fmt: skip
    try:
        consumer(service, concurrency).run()
    finally:
        scanner.stop()
        runner.close()
        service.close()


__all__ = [
    "EmbeddedWorker",
    "Scanner",
    "consumer",
    "limit_malloc_arenas",
    "prepare",
    "requeue_lost",
    "run_worker",
    "worker_id",
]
