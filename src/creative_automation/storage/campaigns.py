"""Campaigns: idempotent creation, reads and pages, validated state transitions, cancellation."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import IdempotencyConflict, InvalidTransition, LeaseLost, NotFound
from .base import StoreBase
from .ids import new_id
from .models import ApiKeyRow, CampaignRow, CreativeRow, EventRow
from .records import Campaign, CampaignPage, Event, from_row
from .states import RETRYABLE, CampaignState, CreativeStatus, check_transition

MAX_PAGE = 500


def brief_sha256(brief: dict[str, Any]) -> str:
    """A hash of the brief's content, independent of key order and whitespace."""
    canonical = json.dumps(brief, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def campaign(row: CampaignRow) -> Campaign:
    return from_row(Campaign, row, state=CampaignState(row.state))


def event(row: EventRow) -> Event:
    return from_row(
        Event,
        row,
        from_state=CampaignState(row.from_state) if row.from_state else None,
        to_state=CampaignState(row.to_state) if row.to_state else None,
    )


class CampaignsMixin(StoreBase):
    def create_campaign(
        self,
        brief: dict[str, Any],
        *,
        api_key_id: str | None = None,
        idempotency_key: str | None = None,
        webhook_url: str | None = None,
        creatives_expected: int = 0,
        request_sha256: str | None = None,
    ) -> tuple[Campaign, bool]:
        """Queue a campaign for `brief` (already validated); `created` is False when the same
        idempotency key already named a campaign for this exact brief, which is returned.

        The same key with a different request raises IdempotencyConflict: `request_sha256`
        (default: the brief's) is what must match. Keys are scoped to the
        API key that sent them (None, the CLI, is one scope of its own).
        """
        brief_digest = brief_sha256(brief)
        # the request's own digest when it carried more than the brief (uploads, a webhook)
        digest = request_sha256 or brief_digest
        if idempotency_key is not None:
            existing = self._by_idempotency_key(api_key_id, idempotency_key, digest)
            if existing is not None:
                return existing, False
        now = self.now()
        row = CampaignRow(
            id=new_id("cmp"),
            brief_campaign_id=str(brief.get("campaign_id", "")),
            api_key_id=api_key_id,
            state=CampaignState.QUEUED,
            brief=brief,
            brief_sha256=brief_digest,
            request_sha256=digest,
            idempotency_key=idempotency_key,
            attempts=0,
            creatives_expected=creatives_expected,
            creatives_done=0,
            cost_usd=0.0,
            webhook_url=webhook_url,
            cancel_requested=False,
            created_at=now,
            updated_at=now,
        )
        try:
            with self._write() as session:
                if api_key_id is not None and session.get(ApiKeyRow, api_key_id) is None:
                    raise NotFound(f"no API key {api_key_id}")  # not a foreign-key error
                session.add(row)
                session.flush()  # the unique constraints fire here, before the event row
                self._event(
                    session,
                    "created",
                    campaign_id=row.id,
                    to_state=CampaignState.QUEUED,
                    detail={"api_key_id": api_key_id, "idempotency_key": idempotency_key},
                )
                return campaign(row), True
        except IntegrityError:
            # another request with the same key won the race between our read and our insert
            if idempotency_key is None:
                raise
            existing = self._by_idempotency_key(api_key_id, idempotency_key, digest)
            if existing is None:
                raise
            return existing, False

    def _by_idempotency_key(
        self, api_key_id: str | None, idempotency_key: str, digest: str
    ) -> Campaign | None:
        with self._read() as session:
            row = session.scalars(
                select(CampaignRow).where(
                    CampaignRow.api_key_id.is_(None)
                    if api_key_id is None
                    else CampaignRow.api_key_id == api_key_id,
                    CampaignRow.idempotency_key == idempotency_key,
                )
            ).one_or_none()
            if row is None:
                return None
            if row.request_sha256 != digest:
                raise IdempotencyConflict(
                    f"idempotency key {idempotency_key!r} was already used for campaign "
                    f"{row.id} with a different request (brief, uploaded files or webhook)",
                    campaign_id=row.id,
                )
            return campaign(row)

    def get_campaign(self, campaign_id: str) -> Campaign:
        with self._read() as session:
            return campaign(_get(session, campaign_id))

    def list_campaigns(
        self,
        *,
        state: CampaignState | Collection[CampaignState] | None = None,
        api_key_id: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> CampaignPage:
        """Campaigns newest first (ids are time-ordered), `limit` at a time; `cursor` is the
        previous page's `next_cursor`. `api_key_id` keeps one key's campaigns only."""
        if not 1 <= limit <= MAX_PAGE:
            raise ValueError(f"limit must be between 1 and {MAX_PAGE}, not {limit}")
        query = select(CampaignRow).order_by(CampaignRow.id.desc()).limit(limit + 1)
        if isinstance(state, CampaignState):
            query = query.where(CampaignRow.state == state)
        elif state is not None:
            query = query.where(CampaignRow.state.in_(list(state)))
        if api_key_id is not None:
            query = query.where(CampaignRow.api_key_id == api_key_id)
        if cursor is not None:
            query = query.where(CampaignRow.id < cursor)
        with self._read() as session:
            rows = list(session.scalars(query))
        items = [campaign(r) for r in rows[:limit]]
        return CampaignPage(items, items[-1].id if len(rows) > limit else None)

    def campaign_ids(self, *, api_key_id: str) -> list[str]:
        """Every campaign id one API key made (what its alerts may name), newest first."""
        query = (
            select(CampaignRow.id)
            .where(CampaignRow.api_key_id == api_key_id)
            .order_by(CampaignRow.id.desc())
        )
        with self._read() as session:
            return list(session.scalars(query))

    def transition(
        self,
        campaign_id: str,
        to_state: CampaignState,
        detail: dict[str, Any] | None = None,
        *,
        worker_id: str | None = None,
        error: str | None = None,
        output_uri: str | None = None,
    ) -> Campaign:
        """Move the campaign to `to_state` if the state table allows it (InvalidTransition
        otherwise), writing its event in the same transaction.

        With `worker_id`, the change is made only while that worker holds the lease (LeaseLost
        otherwise), so a worker that was presumed dead cannot overwrite its successor's work.
        Going back to queued releases the lease; a terminal state stamps finished_at.
        """
        with self._write() as session:
            row = _get(session, campaign_id, lock=True)
            if worker_id is not None and row.worker_id != worker_id:
                raise LeaseLost(
                    f"campaign {campaign_id} is leased to {row.worker_id or 'no worker'}, "
                    f"not {worker_id}"
                )
            return campaign(self._move(session, row, to_state, detail, error, output_uri))

    def _move(
        self,
        session: Session,
        row: CampaignRow,
        to_state: CampaignState,
        detail: dict[str, Any] | None,
        error: str | None = None,
        output_uri: str | None = None,
    ) -> CampaignRow:
        current = CampaignState(row.state)
        check_transition(row.id, current, to_state)
        now = self.now()
        row.state = to_state
        row.updated_at = now
        if current is CampaignState.QUEUED and row.started_at is None:
            row.started_at = now
        if to_state is CampaignState.QUEUED:
            row.worker_id, row.heartbeat_at = None, None
        if to_state.terminal:
            row.finished_at = now
        if error is not None:
            row.error = error
        if output_uri is not None:
            row.output_uri = output_uri
        self._event(
            session,
            "state",
            campaign_id=row.id,
            from_state=current,
            to_state=to_state,
            detail={**(detail or {}), **({"error": error} if error else {})},
        )
        session.flush()
        return row

    def request_cancel(self, campaign_id: str, detail: dict[str, Any] | None = None) -> Campaign:
        """Ask for the campaign to stop. A queued one is cancelled at once (nobody runs it);
        a running one is flagged, and its worker cancels it at its next check. Cancelling a
        cancelled campaign changes nothing; any other finished one raises InvalidTransition."""
        with self._write() as session:
            row = _get(session, campaign_id, lock=True)
            current = CampaignState(row.state)
            if current is CampaignState.CANCELLED:
                return campaign(row)
            check_transition(row.id, current, CampaignState.CANCELLED)
            row.cancel_requested = True
            row.updated_at = self.now()
            self._event(session, "cancel_requested", campaign_id=row.id, detail=detail)
            if current is CampaignState.QUEUED:
                self._move(session, row, CampaignState.CANCELLED, detail)
            session.flush()
            return campaign(row)

    def retry_campaign(self, campaign_id: str, detail: dict[str, Any] | None = None) -> Campaign:
        """Queue a failed, partially succeeded or cancelled campaign again (InvalidTransition for
        any other state). Its failed creatives' checkpoints are dropped, so the run makes them
        again; the finished ones are kept and skipped. Error, cancel flag, lease and times are
        cleared; the counters are recomputed from the checkpoints that remain."""
        with self._write() as session:
            row = _get(session, campaign_id, lock=True)
            current = CampaignState(row.state)
            if current not in RETRYABLE:
                allowed = ", ".join(sorted(RETRYABLE))
                raise InvalidTransition(
                    f"campaign {campaign_id} is {current}: only a campaign that is {allowed} "
                    "can be retried"
                )
            dropped = len(
                session.execute(
                    delete(CreativeRow)
                    .where(
                        CreativeRow.campaign_id == campaign_id,
                        CreativeRow.status == CreativeStatus.FAILED.value,
                    )
                    .returning(CreativeRow.id)
                ).all()
            )
            done, cost = session.execute(
                select(
                    func.count(CreativeRow.id), func.coalesce(func.sum(CreativeRow.cost_usd), 0)
                ).where(CreativeRow.campaign_id == campaign_id)
            ).one()
            now = self.now()
            row.state = CampaignState.QUEUED
            row.creatives_done, row.cost_usd = int(done), float(cost)
            row.error, row.cancel_requested = None, False
            row.worker_id, row.heartbeat_at = None, None
            row.started_at, row.finished_at = None, None
            row.updated_at = now
            self._event(
                session,
                "state",
                campaign_id=row.id,
                from_state=current,
                to_state=CampaignState.QUEUED,
                detail={**(detail or {}), "retry": True, "failed_creatives_dropped": dropped},
            )
            session.flush()
            return campaign(row)

    def events(self, campaign_id: str) -> list[Event]:
        """The campaign's audit trail, oldest first."""
        with self._read() as session:
            _get(session, campaign_id)
            rows = session.scalars(
                select(EventRow).where(EventRow.campaign_id == campaign_id).order_by(EventRow.id)
            )
            return [event(r) for r in rows]

    def audit(self, *, limit: int = 100) -> list[Event]:
        """The latest events of every kind (key events included), newest first."""
        with self._read() as session:
            rows = session.scalars(select(EventRow).order_by(EventRow.id.desc()).limit(limit))
            return [event(r) for r in rows]


def _get(session: Session, campaign_id: str, *, lock: bool = False) -> CampaignRow:
    # FOR UPDATE on PostgreSQL serialises writers of one campaign; SQLite's writers already
    # hold the database's write lock (BEGIN IMMEDIATE), and SQLAlchemy omits the clause there
    row = session.get(CampaignRow, campaign_id, with_for_update=lock)
    if row is None:
        raise NotFound(f"no campaign {campaign_id}")
    return row
