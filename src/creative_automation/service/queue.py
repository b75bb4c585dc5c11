"""The job queue: Huey on SQLite (embedded default), on Redis at scale, or immediate (tests)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from huey.api import TaskWrapper

from ..errors import ConfigError, CreativeAutomationError, QueueUnavailable
from ..settings import Settings

RUN_CAMPAIGN = "cap.run_campaign"
REQUEUE_STALE = "cap.requeue_stale"
Runner = Callable[[str], None]


class JobQueue:
    """Enqueues campaigns by id; the worker that dequeues one runs it with `runner`.

    A process that only submits (the API) has no runner; `cap worker` and `cap serve` give one.
    """

    def __init__(self, huey: Huey, backend: str, runner: Runner | None = None) -> None:
        self.huey = huey
        self.backend = backend
        self._runner = runner
        self._run: TaskWrapper = huey.task(name=RUN_CAMPAIGN)(self._execute)

    def set_runner(self, runner: Runner) -> None:
        self._runner = runner

    def _execute(self, campaign_id: str) -> None:
        if self._runner is None:
            raise ConfigError("this process only submits campaigns; run `cap worker` to run them")
        self._runner(campaign_id)

    def enqueue_campaign(self, campaign_id: str) -> str:
        """Put the campaign on the queue; returns the task id. QueueUnavailable when the queue's
        storage cannot be reached."""
        try:
            result = self._run(campaign_id)
        except CreativeAutomationError:  # immediate mode runs the task right here: its errors
            raise  # are the campaign's, not the queue's
        except Exception as exc:  # the storage driver's own errors (redis, sqlite3)
            raise QueueUnavailable(f"cannot enqueue on the {self.backend} queue: {exc}") from None
        task_id: str = result.id if result is not None else ""
        return task_id

    def depth(self) -> int:
        """Tasks waiting to be picked up."""
        try:
            return int(self.huey.pending_count())
        except Exception as exc:
            raise QueueUnavailable(f"the {self.backend} queue cannot be read: {exc}") from None

    def ping(self) -> None:
        """Raise QueueUnavailable unless the queue's storage answers."""
        self.depth()


def queue_backend(settings: Settings) -> str:
    """CAP_QUEUE, else Redis when CAP_REDIS_URL is set, else SQLite in the data dir."""
    if settings.queue is not None:
        return settings.queue
    return "redis" if settings.redis_url else "sqlite"


def build_huey(settings: Settings) -> tuple[Huey, str]:
    backend = queue_backend(settings)
    options: dict[str, Any] = {"results": False, "utc": True}
    if backend == "immediate":
        return MemoryHuey(settings.queue_name, immediate=True, **options), backend
    if backend == "redis":
        if not settings.redis_url:
            raise ConfigError("CAP_QUEUE=redis needs CAP_REDIS_URL")
        try:
            import redis  # noqa: F401  (the driver Huey's Redis storage needs)
        except ImportError:
            raise ConfigError(
                "the Redis queue needs the redis package: pip install 'creative-automation[redis]'"
            ) from None
        return RedisHuey(settings.queue_name, url=settings.redis_url, **options), backend
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / "queue.db"
    return SqliteHuey(settings.queue_name, filename=str(path), **options), backend


def build_queue(settings: Settings, runner: Runner | None = None) -> JobQueue:
    """The configured queue with the campaign task registered (and run by `runner`, if any)."""
    huey, backend = build_huey(settings)
    return JobQueue(huey, backend, runner)


__all__ = ["REQUEUE_STALE", "RUN_CAMPAIGN", "JobQueue", "build_queue", "queue_backend"]
