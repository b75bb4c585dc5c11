"""Worker leases on campaigns: claim, heartbeat, release, and finding leases gone stale."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ..errors import LeaseLost, NotFound
from .base import StoreBase
from .campaigns import _get, campaign
from .models import CampaignRow
from .records import Campaign
from .states import TERMINAL

# A worker that has not heartbeaten for this long is presumed dead; its campaign may be taken
# over. Workers heartbeat several times within it (the service picks the interval).
DEFAULT_LEASE = timedelta(minutes=2)
_LIVE = CampaignRow.state.not_in([s.value for s in TERMINAL])


class LeasesMixin(StoreBase):
    def claim(
        self, campaign_id: str, worker_id: str, *, stale_after: timedelta = DEFAULT_LEASE
    ) -> Campaign | None:
        """Take the campaign's lease for `worker_id` and count an attempt; None when another
        live worker holds it or the campaign is finished (a duplicate queue delivery).

        The lease is free when nobody holds it, when this worker already does, or when its
        holder's heartbeat is older than `stale_after`. One conditional UPDATE decides, so two
        workers claiming at once never both win.
        """
        now = self.now()
        with self._write() as session:
            won = session.execute(
                update(CampaignRow)
                .where(
                    CampaignRow.id == campaign_id,
                    _LIVE,
                    or_(
                        CampaignRow.worker_id.is_(None),
                        CampaignRow.worker_id == worker_id,
                        CampaignRow.heartbeat_at < now - stale_after,
                    ),
                )
                .values(
                    worker_id=worker_id,
                    heartbeat_at=now,
                    attempts=CampaignRow.attempts + 1,
                    updated_at=now,
                )
                .returning(CampaignRow.worker_id)
            ).first()
            row = _get(session, campaign_id)
            if won is None:
                return None
            self._event(
                session,
                "claimed",
                campaign_id=campaign_id,
                detail={"worker_id": worker_id, "attempt": row.attempts},
            )
            return campaign(row)

    def heartbeat(self, campaign_id: str, worker_id: str) -> Campaign:
        """Renew the lease; LeaseLost if another worker took it over (or the campaign ended).
        The campaign comes back, so the worker sees `cancel_requested` at the same time."""
        now = self.now()
        with self._write() as session:
            renewed = self._renew(session, [campaign_id], worker_id, now)
            row = _get(session, campaign_id)
            if not renewed:
                raise LeaseLost(
                    f"campaign {campaign_id} is no longer leased to {worker_id} "
                    f"(state {row.state}, worker {row.worker_id or 'none'})"
                )
            return campaign(row)

    def heartbeat_many(self, campaign_ids: list[str], worker_id: str) -> dict[str, bool]:
        """Renew the leases a worker holds on several campaigns in one statement: each one
        renewed maps to its `cancel_requested`; one missing was taken over or has ended."""
        if not campaign_ids:
            return {}
        with self._write() as session:
            return self._renew(session, campaign_ids, worker_id, self.now())

    @staticmethod
    def _renew(
        session: Session, campaign_ids: list[str], worker_id: str, now: datetime
    ) -> dict[str, bool]:
        rows = session.execute(
            update(CampaignRow)
            .where(CampaignRow.id.in_(campaign_ids), CampaignRow.worker_id == worker_id, _LIVE)
            .values(heartbeat_at=now)
            .returning(CampaignRow.id, CampaignRow.cancel_requested)
        )
        return {cid: bool(cancel) for cid, cancel in rows}

    def release(self, campaign_id: str, worker_id: str) -> bool:
        """Give the lease back (a worker shutting down), so the campaign can be taken over at
        once instead of after `stale_after`; False if this worker did not hold it."""
        with self._write() as session:
            released = session.execute(
                update(CampaignRow)
                .where(CampaignRow.id == campaign_id, CampaignRow.worker_id == worker_id)
                .values(worker_id=None, heartbeat_at=None, updated_at=self.now())
                .returning(CampaignRow.id)
            ).first()
            if released is None:
                if session.get(CampaignRow, campaign_id) is None:
                    raise NotFound(f"no campaign {campaign_id}")
                return False
            self._event(
                session, "released", campaign_id=campaign_id, detail={"worker_id": worker_id}
            )
            return True

    def stale_campaigns(self, older_than: timedelta = DEFAULT_LEASE) -> list[Campaign]:
        """Unfinished campaigns whose worker has not heartbeaten for `older_than`: their
        worker died. The caller requeues them (transition to queued, then enqueue)."""
        cutoff = self.now() - older_than
        with self._read() as session:
            rows = session.scalars(
                select(CampaignRow)
                .where(_LIVE, CampaignRow.worker_id.is_not(None))
                .where(CampaignRow.heartbeat_at < cutoff)
                .order_by(CampaignRow.heartbeat_at)
            )
            return [campaign(r) for r in rows]
