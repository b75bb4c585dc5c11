"""Per-creative checkpoints (written once, whoever writes them) and the provider-call log."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .base import StoreBase
from .campaigns import _get
from .ids import new_id
from .models import CampaignRow, CreativeRow, ProviderCallRow
from .records import Creative, ProviderCall, from_row
from .states import CallOutcome, CreativeStatus

CreativeKey = tuple[str, str, str]  # (product_id, aspect_ratio, locale)
_IDENTITY = ["campaign_id", "product_id", "aspect_ratio", "locale"]


def creative(row: CreativeRow) -> Creative:
    return from_row(Creative, row, status=CreativeStatus(row.status))


@dataclass(frozen=True)
class CreativeCheckpoint:
    """One finished creative, as a worker hands it over."""

    product_id: str
    aspect_ratio: str
    locale: str
    status: CreativeStatus
    path: str
    cost_usd: float = 0.0
    record: dict[str, Any] = field(default_factory=dict)


class CheckpointsMixin(StoreBase):
    def checkpoint_creatives(self, campaign_id: str, items: list[CreativeCheckpoint]) -> int:
        """Record finished creatives (a product × format: one per locale) and add them to the
        campaign's counters, in one transaction; returns how many were new.

        A creative already checkpointed (a retry, a requeued campaign, two workers racing) is
        skipped and not counted again. INSERT ... ON CONFLICT DO NOTHING makes the database
        decide, so this holds across processes and machines, not only within one.
        """
        if not items:
            return 0
        now = self.now()
        new, cost = 0, 0.0
        with self._write() as session:
            _get(session, campaign_id)  # NotFound rather than a foreign-key error
            for item in items:
                values = {
                    "id": new_id("crv"),
                    "campaign_id": campaign_id,
                    "product_id": item.product_id,
                    "aspect_ratio": item.aspect_ratio,
                    "locale": item.locale,
                    "status": CreativeStatus(item.status).value,
                    "path": item.path,
                    "cost_usd": item.cost_usd,
                    "record": item.record,
                    "created_at": now,
                }
                inserted = session.execute(
                    self._insert_ignoring_duplicates(session, values).returning(CreativeRow.id)
                ).first()
                if inserted is not None:
                    new, cost = new + 1, cost + item.cost_usd
            if new:
                session.execute(
                    update(CampaignRow)
                    .where(CampaignRow.id == campaign_id)
                    .values(
                        creatives_done=CampaignRow.creatives_done + new,
                        cost_usd=CampaignRow.cost_usd + cost,
                        updated_at=now,
                    )
                )
        return new

    def checkpoint_creative(
        self,
        campaign_id: str,
        *,
        product_id: str,
        aspect_ratio: str,
        locale: str,
        status: CreativeStatus,
        path: str,
        cost_usd: float = 0.0,
        record: dict[str, Any] | None = None,
    ) -> tuple[Creative, bool]:
        """One creative through `checkpoint_creatives`; the stored row comes back, with
        `created` False when it had been checkpointed before (counters unchanged)."""
        item = CreativeCheckpoint(
            product_id, aspect_ratio, locale, status, path, cost_usd, record or {}
        )
        created = self.checkpoint_creatives(campaign_id, [item]) == 1
        with self._read() as session:
            row = session.scalars(
                select(CreativeRow).where(
                    CreativeRow.campaign_id == campaign_id,
                    CreativeRow.product_id == product_id,
                    CreativeRow.aspect_ratio == aspect_ratio,
                    CreativeRow.locale == locale,
                )
            ).one()
            return creative(row), created

    def _insert_ignoring_duplicates(self, session: Session, values: dict[str, Any]) -> Insert:
        # each dialect has its own insert() for ON CONFLICT; both name the same unique columns
        if session.get_bind().dialect.name == "postgresql":
            pg = postgresql.insert(CreativeRow).values(values)
            return pg.on_conflict_do_nothing(index_elements=_IDENTITY)
        lite = sqlite.insert(CreativeRow).values(values)
        return lite.on_conflict_do_nothing(index_elements=_IDENTITY)

    def finished_creatives(self, campaign_id: str) -> set[CreativeKey]:
        """(product_id, aspect_ratio, locale) of every checkpointed creative, whatever its
        status: what a resumed campaign skips. A failed creative is final for its campaign."""
        with self._read() as session:
            rows = session.execute(
                select(CreativeRow.product_id, CreativeRow.aspect_ratio, CreativeRow.locale).where(
                    CreativeRow.campaign_id == campaign_id
                )
            )
            return {(p, r, loc) for p, r, loc in rows}

    def creatives(self, campaign_id: str) -> list[Creative]:
        """Every checkpointed creative of the campaign, in the order they were written."""
        with self._read() as session:
            rows = session.scalars(
                select(CreativeRow)
                .where(CreativeRow.campaign_id == campaign_id)
                .order_by(CreativeRow.id)
            )
            return [creative(r) for r in rows]

    def record_provider_call(
        self,
        campaign_id: str,
        *,
        provider: str,
        model: str,
        latency_s: float,
        cost_usd: float,
        outcome: CallOutcome,
    ) -> ProviderCall:
        """Log one provider call. Its cost is not added to the campaign's: that total is the
        creatives' costs, as in the manifest, where each source's cost is booked once."""
        with self._write() as session:
            _get(session, campaign_id)
            row = ProviderCallRow(
                id=new_id("pcl"),
                campaign_id=campaign_id,
                provider=provider,
                model=model,
                latency_s=latency_s,
                cost_usd=cost_usd,
                outcome=CallOutcome(outcome).value,
                created_at=self.now(),
            )
            session.add(row)
            session.flush()
            return from_row(ProviderCall, row, outcome=CallOutcome(row.outcome))

    def provider_calls(self, campaign_id: str) -> list[ProviderCall]:
        with self._read() as session:
            rows = session.scalars(
                select(ProviderCallRow)
                .where(ProviderCallRow.campaign_id == campaign_id)
                .order_by(ProviderCallRow.id)
            )
            return [from_row(ProviderCall, r, outcome=CallOutcome(r.outcome)) for r in rows]
