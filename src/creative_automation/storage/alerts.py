"""Alerts: raised once per condition (repeats counted, notifications throttled), acknowledged,
resolved when the condition clears; and the agent's own audit events."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import NotFound
from .base import StoreBase
from .ids import new_id
from .models import AlertRow, CampaignRow
from .records import Alert, from_row
from .states import AlertStatus, Severity

MAX_ALERTS = 500
_UNRESOLVED = (AlertStatus.OPEN.value, AlertStatus.ACKNOWLEDGED.value)


@dataclass(frozen=True)
class AlertDraft:
    """What a rule found: the store makes it an alert, or counts it on the one still open."""

    rule: str
    severity: Severity
    summary: str
    action: str
    evidence: dict[str, Any] = field(default_factory=dict)
    campaign_id: str | None = None
    subject: str = ""  # what within the campaign (a product, a provider), if the rule has one

    @property
    def fingerprint(self) -> str:
        return f"{self.rule}:{self.campaign_id or '*'}:{self.subject}"


@dataclass(frozen=True)
class Raised:
    """An alert after `raise_alert`: `new` when it opened now; `notify` when its channels should
    hear of it (new, worse than before, or still open after the throttle interval)."""

    alert: Alert
    new: bool
    notify: bool


def alert(row: AlertRow) -> Alert:
    return from_row(Alert, row, severity=Severity(row.severity), status=AlertStatus(row.status))


class AlertsMixin(StoreBase):
    def raise_alert(self, draft: AlertDraft, *, throttle: timedelta) -> Raised:
        """Open an alert for the draft's condition, or count a repeat on the unresolved one.

        A repeat notifies again only when it got more severe, or when the alert is still open
        (not acknowledged) and was last notified longer than `throttle` ago. Two agents raising
        the same condition at once make one alert: the unique index on unresolved fingerprints
        turns the loser's insert into a repeat.
        """
        try:
            return self._raise(draft, throttle)
        except IntegrityError:
            return self._raise(draft, throttle)  # the other insert won: now it is a repeat

    def _raise(self, draft: AlertDraft, throttle: timedelta) -> Raised:
        now = self.now()
        with self._write() as session:
            row = _unresolved(session, draft.fingerprint)
            if row is None:
                if draft.campaign_id is not None and not session.get(
                    CampaignRow, draft.campaign_id
                ):
                    raise NotFound(f"no campaign {draft.campaign_id}")
                row = AlertRow(
                    id=new_id("alr"),
                    campaign_id=draft.campaign_id,
                    rule=draft.rule,
                    severity=draft.severity,
                    status=AlertStatus.OPEN,
                    fingerprint=draft.fingerprint,
                    summary=draft.summary,
                    evidence=draft.evidence,
                    action=draft.action,
                    occurrences=1,
                    first_seen_at=now,
                    last_seen_at=now,
                    notified_at=now,
                )
                session.add(row)
                session.flush()
                self._event(
                    session,
                    "alert",
                    campaign_id=draft.campaign_id,
                    detail={"alert_id": row.id, "rule": draft.rule, "severity": draft.severity},
                )
                return Raised(alert(row), True, True)
            worse = draft.severity.rank > Severity(row.severity).rank
            stale = row.notified_at is None or row.notified_at <= now - throttle
            notify = worse or (row.status == AlertStatus.OPEN and stale)
            row.occurrences += 1
            row.last_seen_at = now
            row.summary, row.evidence, row.action = draft.summary, draft.evidence, draft.action
            if worse:
                row.severity = draft.severity
                row.status = AlertStatus.OPEN  # an acknowledged alert that got worse is news
            if notify:
                row.notified_at = now
            session.flush()
            return Raised(alert(row), False, notify)

    def resolve_cleared(self, scope: Iterable[str], firing: Collection[str]) -> list[Alert]:
        """Resolve the unresolved alerts whose fingerprint starts with one of `scope` (the
        conditions just evaluated) and is not in `firing` (those that still hold)."""
        prefixes = tuple(scope)
        if not prefixes:
            return []
        now = self.now()
        with self._write() as session:
            rows = session.scalars(select(AlertRow).where(AlertRow.status.in_(_UNRESOLVED))).all()
            cleared = [
                r
                for r in rows
                if r.fingerprint.startswith(prefixes) and r.fingerprint not in firing
            ]
            for row in cleared:
                row.status, row.resolved_at = AlertStatus.RESOLVED, now
                self._event(
                    session,
                    "alert_resolved",
                    campaign_id=row.campaign_id,
                    detail={"alert_id": row.id, "rule": row.rule},
                )
            session.flush()
            return [alert(r) for r in cleared]

    def list_alerts(
        self,
        *,
        status: AlertStatus | Collection[AlertStatus] | None = None,
        campaign_id: str | None = None,
        campaign_ids: Collection[str] | None = None,
        include_global: bool = False,
        limit: int = 100,
    ) -> list[Alert]:
        """Alerts newest first; `status` and the campaign filters narrow them (with
        `include_global`, `campaign_ids` keeps the deployment's own alerts too: providers)."""
        if not 1 <= limit <= MAX_ALERTS:
            raise ValueError(f"limit must be between 1 and {MAX_ALERTS}, not {limit}")
        query = select(AlertRow).order_by(AlertRow.id.desc()).limit(limit)
        if isinstance(status, AlertStatus):
            query = query.where(AlertRow.status == status)
        elif status is not None:
            query = query.where(AlertRow.status.in_([s.value for s in status]))
        if campaign_id is not None:
            query = query.where(AlertRow.campaign_id == campaign_id)
        if campaign_ids is not None:
            wanted = AlertRow.campaign_id.in_(list(campaign_ids))
            query = query.where(or_(wanted, AlertRow.campaign_id.is_(None)) if include_global
                                else wanted)  # fmt: skip
        with self._read() as session:
            return [alert(r) for r in session.scalars(query)]

    def get_alert(self, alert_id: str) -> Alert:
        with self._read() as session:
            return alert(_get_alert(session, alert_id))

    def acknowledge_alert(self, alert_id: str, by: str) -> Alert:
        """Someone has seen it: it stops re-notifying until it gets worse. A resolved alert
        stays resolved."""
        with self._write() as session:
            row = _get_alert(session, alert_id)
            if row.status == AlertStatus.OPEN:
                row.status = AlertStatus.ACKNOWLEDGED
                row.acknowledged_at, row.acknowledged_by = self.now(), by
                self._event(
                    session,
                    "alert_acknowledged",
                    campaign_id=row.campaign_id,
                    detail={"alert_id": row.id, "by": by},
                )
            session.flush()
            return alert(row)

    def record_event(
        self, kind: str, detail: dict[str, Any], *, campaign_id: str | None = None
    ) -> None:
        """An audit event on its own (the agent's healing steps, its notifications)."""
        with self._write() as session:
            self._event(session, kind, campaign_id=campaign_id, detail=detail)

    def set_campaign_providers(self, campaign_id: str, providers: str | None) -> None:
        """The provider order this campaign runs with from its next run (None: the
        deployment's)."""
        with self._write() as session:
            row = session.get(CampaignRow, campaign_id, with_for_update=True)
            if row is None:
                raise NotFound(f"no campaign {campaign_id}")
            row.providers = providers
            row.updated_at = self.now()


def _unresolved(session: Session, fingerprint: str) -> AlertRow | None:
    # FOR UPDATE: two agents counting a repeat at once on PostgreSQL would otherwise both read
    # the same count and one increment would be lost (SQLite's writers are serialised already)
    return session.scalars(
        select(AlertRow)
        .where(AlertRow.fingerprint == fingerprint, AlertRow.status.in_(_UNRESOLVED))
        .with_for_update()
    ).one_or_none()


def _get_alert(session: Session, alert_id: str) -> AlertRow:
    row = session.get(AlertRow, alert_id)
    if row is None:
        raise NotFound(f"no alert {alert_id}")
    return row


__all__ = ["AlertDraft", "AlertsMixin", "Raised"]
