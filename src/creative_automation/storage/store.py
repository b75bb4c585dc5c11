"""MetadataStore: the one way the service reaches the metadata database."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Engine

from ..settings import Settings
from . import migrate
from .alerts import AlertsMixin
from .base import Clock, utcnow
from .campaigns import CampaignsMixin
from .checkpoints import CheckpointsMixin
from .engine import build_engine
from .keys import KeysMixin
from .leases import LeasesMixin
from .migrate import SchemaStatus
from .reviews import ReviewsMixin
from .stats import StatsMixin, WatchMixin
from .webhooks import WebhooksMixin


class MetadataStore(
    CampaignsMixin,
    LeasesMixin,
    CheckpointsMixin,
    KeysMixin,
    WebhooksMixin,
    StatsMixin,
    AlertsMixin,
    WatchMixin,
    ReviewsMixin,
):
    """Campaigns, their leases and checkpoints, provider calls, API keys, webhook deliveries,
    the audit trail, monitoring aggregates (stats.py), the agent's alerts and people's reviews
    of creatives, on SQLite or PostgreSQL. Methods take and return plain values and frozen
    dataclasses (records.py); each call is one transaction.
    Thread-safe: build one per process and share it."""

    def __init__(self, engine: Engine, *, clock: Clock = utcnow) -> None:
        super().__init__(engine, clock=clock)

    # --- schema (Alembic, shipped in the package) ---
    def upgrade(self, revision: str = "head") -> None:
        migrate.upgrade(self.engine, revision)

    def downgrade(self, revision: str = "base") -> None:
        migrate.downgrade(self.engine, revision)

    def current_revision(self) -> str | None:
        return migrate.current_revision(self.engine)

    def head_revision(self) -> str:
        return migrate.head_revision()

    def schema_status(self) -> SchemaStatus:
        return migrate.schema_status(self.engine)

    def ensure_schema(self) -> None:
        """Create a missing schema; SchemaError if it is at another revision (see migrate)."""
        migrate.ensure_schema(self.engine)

    def __enter__(self) -> MetadataStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def build_metadata_store(settings: Settings, *, clock: Clock = utcnow) -> MetadataStore:
    """The store named by CAP_DATABASE_URL (default: SQLite at <data_dir>/cap.db). The schema
    is not touched: call `upgrade()` or `ensure_schema()`."""
    return MetadataStore(build_engine(settings.metadata_url), clock=clock)
