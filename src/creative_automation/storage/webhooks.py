"""Webhook delivery rows: an outbox the service fills and a sender drains, with retries."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import NotFound
from .base import StoreBase
from .campaigns import _get
from .ids import new_id
from .models import WebhookDeliveryRow
from .records import WebhookDelivery, from_row
from .states import DeliveryStatus

# How long a sender has to deliver what it took before another sender may take it again.
DEFAULT_DELIVERY_LEASE = timedelta(minutes=1)


def delivery(row: WebhookDeliveryRow) -> WebhookDelivery:
    return from_row(WebhookDelivery, row, status=DeliveryStatus(row.status))


class WebhooksMixin(StoreBase):
    def enqueue_webhook(
        self, campaign_id: str, url: str, event: str, payload: dict[str, Any]
    ) -> WebhookDelivery:
        """A pending delivery of `event` to `url`, due now."""
        now = self.now()
        with self._write() as session:
            _get(session, campaign_id)
            row = WebhookDeliveryRow(
                id=new_id("whd"),
                campaign_id=campaign_id,
                url=url,
                event=event,
                payload=payload,
                attempts=0,
                status=DeliveryStatus.PENDING.value,
                next_attempt_at=now,
                created_at=now,
            )
            session.add(row)
            session.flush()
            return delivery(row)

    def due_webhooks(
        self, limit: int = 50, *, lease: timedelta = DEFAULT_DELIVERY_LEASE
    ) -> list[WebhookDelivery]:
        """Take up to `limit` pending deliveries that are due, oldest due first.

        Taking one pushes its next_attempt_at `lease` ahead, so concurrent senders do not take
        the same delivery; one that is never marked (its sender died) is due again after the
        lease. Delivery is therefore at least once: receivers dedupe on the delivery id.
        """
        now = self.now()
        with self._write() as session:
            rows = list(
                session.scalars(
                    select(WebhookDeliveryRow)
                    .where(
                        WebhookDeliveryRow.status == DeliveryStatus.PENDING.value,
                        WebhookDeliveryRow.next_attempt_at <= now,
                    )
                    .order_by(WebhookDeliveryRow.next_attempt_at, WebhookDeliveryRow.id)
                    .limit(limit)
                    # PostgreSQL: two senders skip each other's rows instead of queueing
                    .with_for_update(skip_locked=True)
                )
            )
            for row in rows:
                row.next_attempt_at = now + lease
            session.flush()
            return [delivery(r) for r in rows]

    def mark_delivered(self, delivery_id: str) -> WebhookDelivery:
        with self._write() as session:
            row = _delivery(session, delivery_id)
            row.attempts += 1
            row.status = DeliveryStatus.DELIVERED.value
            row.next_attempt_at = None
            session.flush()
            return delivery(row)

    def mark_delivery_failed(
        self, delivery_id: str, error: str, *, retry_at: datetime | None
    ) -> WebhookDelivery:
        """Count a failed attempt; due again at `retry_at`, or failed for good when None (the
        sender owns the back-off policy and the attempt limit)."""
        with self._write() as session:
            row = _delivery(session, delivery_id)
            row.attempts += 1
            row.last_error = error
            row.next_attempt_at = retry_at
            row.status = (DeliveryStatus.PENDING if retry_at else DeliveryStatus.FAILED).value
            session.flush()
            return delivery(row)

    def deliveries(self, campaign_id: str) -> list[WebhookDelivery]:
        with self._read() as session:
            rows = session.scalars(
                select(WebhookDeliveryRow)
                .where(WebhookDeliveryRow.campaign_id == campaign_id)
                .order_by(WebhookDeliveryRow.id)
            )
            return [delivery(r) for r in rows]


def _delivery(session: Session, delivery_id: str) -> WebhookDeliveryRow:
    row = session.get(WebhookDeliveryRow, delivery_id, with_for_update=True)
    if row is None:
        raise NotFound(f"no webhook delivery {delivery_id}")
    return row
