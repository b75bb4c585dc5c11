"""Per-creative checkpoints (written once, whoever writes them) and the provider-call log."""

from __future__ import annotations

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


class CheckpointsMixin(StoreBase):
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
        """Record a finished creative and add it to the campaign's counters, atomically.

        A creative already checkpointed (a retry, a requeued campaign, two workers racing) is a
        no-op: the stored row comes back with `created` False and the counters stay as they
        were. INSERT ... ON CONFLICT DO NOTHING makes the database decide, so this holds across
        processes and machines, not only within one.
        """
        values = {
            "id": new_id("crv"),
            "campaign_id": campaign_id,
            "product_id": product_id,
            "aspect_ratio": aspect_ratio,
            "locale": locale,
            "status": CreativeStatus(status).value,
            "path": path,
            "cost_usd": cost_usd,
            "record": record or {},
            "created_at": self.now(),
        }
        with self._write() as session:
            _get(session, campaign_id)  # NotFound rather than a foreign-key error
            inserted = session.execute(
                self._insert_ignoring_duplicates(session, values).returning(CreativeRow.id)
            ).first()
            if inserted is not None:
                session.execute(
                    update(CampaignRow)
                    .where(CampaignRow.id == campaign_id)
                    .values(
                        creatives_done=CampaignRow.creatives_done + 1,
                        cost_usd=CampaignRow.cost_usd + cost_usd,
                        updated_at=values["created_at"],
                    )
                )
            row = session.scalars(
                select(CreativeRow).where(
                    CreativeRow.campaign_id == campaign_id,
                    CreativeRow.product_id == product_id,
                    CreativeRow.aspect_ratio == aspect_ratio,
                    CreativeRow.locale == locale,
                )
            ).one()
            return creative(row), inserted is not None

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
