"""What the metadata store hands out: plain frozen dataclasses, never ORM objects."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from .models import Base
from .states import (
    AlertStatus,
    CallOutcome,
    CampaignState,
    CreativeStatus,
    DeliveryStatus,
    ReviewDecision,
    Scope,
    Severity,
)

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")
LABEL_LENGTH = 200  # the audit columns naming a key (alerts.acknowledged_by, reviews.api_key)


def from_row(cls: type[T], row: Base, **converted: Any) -> T:
    """Copy the dataclass's fields from the row (same names), with some values converted."""
    values = {f.name: getattr(row, f.name) for f in fields(cls)}
    values.update(converted)
    return cls(**values)


@dataclass(frozen=True, slots=True)
class Campaign:
    """One campaign run by the service, with its lease and progress counters."""

    id: str
    brief_campaign_id: str
    api_key_id: str | None
    state: CampaignState
    brief: dict[str, Any]
    brief_sha256: str
    request_sha256: str
    idempotency_key: str | None
    attempts: int
    creatives_expected: int
    creatives_done: int
    cost_usd: float
    error: str | None
    webhook_url: str | None
    output_uri: str | None
    worker_id: str | None
    heartbeat_at: datetime | None
    cancel_requested: bool
    providers: str | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def terminal(self) -> bool:
        return self.state.terminal


@dataclass(frozen=True, slots=True)
class CampaignPage:
    """A page of campaigns, newest first; pass `next_cursor` back for the next page."""

    items: list[Campaign]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class Creative:
    """A checkpointed creative: written once per (campaign, product, ratio, locale)."""

    id: str
    campaign_id: str
    product_id: str
    aspect_ratio: str
    locale: str
    status: CreativeStatus
    path: str
    cost_usd: float
    record: dict[str, Any]
    created_at: datetime

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.product_id, self.aspect_ratio, self.locale)


@dataclass(frozen=True, slots=True)
class ProviderCall:
    """One call to an image or text provider, whatever its outcome."""

    id: str
    campaign_id: str
    provider: str
    model: str
    latency_s: float
    cost_usd: float
    outcome: CallOutcome
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ApiKey:
    """An API key as the store shows it: never the key, never its hash."""

    id: str
    name: str
    scope: Scope
    prefix: str
    webhook_url: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def label(self) -> str:
        """`key <name> (<prefix>)`: who did something, as the audit columns record it. At most
        LABEL_LENGTH characters: a very long name is shortened, the prefix (unique) kept whole."""
        room = LABEL_LENGTH - len(f"key  ({self.prefix})")
        name = self.name if len(self.name) <= room else self.name[: room - 1] + "…"
        return f"key {name} ({self.prefix})"

    def allows(self, required: Scope) -> bool:
        """True when this key's scope includes `required` (admin ⊇ write ⊇ read)."""
        return not self.revoked and self.scope.allows(required)


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """One webhook notification and where its delivery stands."""

    id: str
    campaign_id: str
    url: str
    event: str
    payload: dict[str, Any]
    attempts: int
    status: DeliveryStatus
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Event:
    """One line of the audit trail (a state change, a claim, a key created or revoked)."""

    id: str
    campaign_id: str | None
    kind: str
    from_state: CampaignState | None
    to_state: CampaignState | None
    detail: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Alert:
    """A condition the monitoring agent found, with its numbers and what to do about it."""

    id: str
    campaign_id: str | None
    rule: str
    severity: Severity
    status: AlertStatus
    fingerprint: str  # rule, campaign and subject: what makes a repeat the same alert
    summary: str
    evidence: dict[str, Any]
    action: str
    occurrences: int
    first_seen_at: datetime
    last_seen_at: datetime
    notified_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None


@dataclass(frozen=True, slots=True)
class Review:
    """One sign-off on a creative, as recorded (append-only: the latest one is current)."""

    id: str
    campaign_id: str
    product_id: str
    aspect_ratio: str
    locale: str
    decision: ReviewDecision
    comment: str
    reviewer: str  # the person, as they named themselves
    api_key: str  # the key that recorded it: "key <name> (<prefix>)"
    created_at: datetime

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.product_id, self.aspect_ratio, self.locale)
