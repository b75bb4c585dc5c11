"""The store's plumbing: read and write sessions, error translation, the clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from .engine import describe, translate_errors, writer
from .ids import new_id
from .models import EventRow
from .states import CampaignState

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


class StoreBase:
    """Owns the engine and hands out sessions; the concern modules add the methods."""

    def __init__(self, engine: Engine, *, clock: Clock = utcnow) -> None:
        self.engine = engine
        self._clock = clock
        self._reader = sessionmaker(engine, expire_on_commit=False)
        self._writer = sessionmaker(writer(engine), expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def url(self) -> str:
        """The database URL without its password, for messages."""
        return describe(self.engine)

    def now(self) -> datetime:
        """The store's clock (injectable, so tests move time instead of sleeping)."""
        return self._clock()

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with translate_errors(self.engine), self._reader() as session:
            yield session

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with translate_errors(self.engine), self._writer.begin() as session:
            yield session

    def _event(
        self,
        session: Session,
        kind: str,
        *,
        campaign_id: str | None = None,
        from_state: CampaignState | None = None,
        to_state: CampaignState | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Add an audit event to the caller's transaction: it commits with the change or not."""
        session.add(
            EventRow(
                id=new_id("evt"),
                campaign_id=campaign_id,
                kind=kind,
                from_state=from_state,
                to_state=to_state,
                detail=detail or {},
                created_at=self.now(),
            )
        )

    def close(self) -> None:
        """Close the pooled connections."""
        self.engine.dispose()
