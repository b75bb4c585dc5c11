"""The metadata store's tables: SQLAlchemy 2 typed models, portable to SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from .states import (
    AlertStatus,
    CallOutcome,
    CampaignState,
    CreativeStatus,
    DeliveryStatus,
    ReviewDecision,
    Scope,
    Severity,
    sql_values,
)

# Named constraints: Alembic can then drop and alter them by name on both databases (SQLite's
# batch mode needs the names to recreate a table).
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
ID = String(32)  # "<prefix>_" + a 26-character ULID


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in, timezone-aware UTC out, on both databases.

    PostgreSQL keeps the zone (timestamptz); SQLite has no zone, so UTC is stored without one
    and put back on read. Naive datetimes are refused: their meaning depends on the machine.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()}: give it a timezone")
        value = value.astimezone(UTC)
        # SQLite compares stored timestamps as text: one zone-less form keeps that ordering right
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, datetime: UTCDateTime}


def _one_of(column: str, values: str) -> CheckConstraint:
    return CheckConstraint(f"{column} IN ({values})", name=column)


class ApiKeyRow(Base):
    __tablename__ = "api_keys"
    __table_args__ = (_one_of("scope", sql_values(Scope)),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(16))
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    key_sha256: Mapped[str] = mapped_column(String(64), unique=True)  # never the key itself
    webhook_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class CampaignRow(Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        _one_of("state", sql_values(CampaignState)),
        # an Idempotency-Key names one campaign per API key ...
        UniqueConstraint("api_key_id", "idempotency_key"),
        # ... and, for campaigns made without a key (the CLI), one campaign overall: a unique
        # constraint alone would not do it, since NULL api_key_ids never collide
        Index(
            "uq_campaigns_idempotency_key_keyless",
            "idempotency_key",
            unique=True,
            sqlite_where=text("api_key_id IS NULL"),
            postgresql_where=text("api_key_id IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    brief_campaign_id: Mapped[str] = mapped_column(String(64), index=True)
    api_key_id: Mapped[str | None] = mapped_column(ForeignKey("api_keys.id"), index=True)
    state: Mapped[str] = mapped_column(String(32), index=True)
    brief: Mapped[dict[str, Any]]
    brief_sha256: Mapped[str] = mapped_column(String(64))
    # what an Idempotency-Key replay must match: the brief, its uploads and its webhook URL
    request_sha256: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    attempts: Mapped[int]
    creatives_expected: Mapped[int]
    creatives_done: Mapped[int]
    cost_usd: Mapped[float] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
    webhook_url: Mapped[str | None] = mapped_column(Text)
    output_uri: Mapped[str | None] = mapped_column(Text)
    worker_id: Mapped[str | None] = mapped_column(String(200))
    heartbeat_at: Mapped[datetime | None]
    cancel_requested: Mapped[bool]
    # a provider order for this campaign alone (CAP_IMAGE_PROVIDERS' syntax), set when the
    # monitoring agent moves it off a provider that is down; NULL: the deployment's order
    providers: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class CreativeRow(Base):
    __tablename__ = "creatives"
    __table_args__ = (
        # the checkpoint's identity: a creative is written once, whoever writes it twice
        UniqueConstraint("campaign_id", "product_id", "aspect_ratio", "locale"),
        _one_of("status", sql_values(CreativeStatus)),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    product_id: Mapped[str] = mapped_column(String(64))
    aspect_ratio: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(35))
    status: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(Text)
    cost_usd: Mapped[float] = mapped_column(Float)
    record: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class ProviderCallRow(Base):
    __tablename__ = "provider_calls"
    __table_args__ = (_one_of("outcome", sql_values(CallOutcome)),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    campaign_id: Mapped[str] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    provider: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(128))
    latency_s: Mapped[float] = mapped_column(Float)
    cost_usd: Mapped[float] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(index=True)  # read by time window


class WebhookDeliveryRow(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        _one_of("status", sql_values(DeliveryStatus)),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    campaign_id: Mapped[str] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(Text)
    event: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    attempts: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class EventRow(Base):
    __tablename__ = "events"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    # NULL for events about API keys; deleted with its campaign like every other child row
    campaign_id: Mapped[str | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class AlertRow(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        _one_of("severity", sql_values(Severity)),
        _one_of("status", sql_values(AlertStatus)),
        # one unresolved alert per condition: a repeat counts an occurrence on it (two agents
        # raising at once included); once resolved, the same condition opens a new one
        Index(
            "uq_alerts_fingerprint_unresolved",
            "fingerprint",
            unique=True,
            sqlite_where=text("status != 'resolved'"),
            postgresql_where=text("status != 'resolved'"),
        ),
        Index("ix_alerts_status_last_seen_at", "status", "last_seen_at"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    campaign_id: Mapped[str | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    rule: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    fingerprint: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]]
    action: Mapped[str] = mapped_column(Text)
    occurrences: Mapped[int]
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    notified_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    resolved_at: Mapped[datetime | None]


class ReviewRow(Base):
    __tablename__ = "reviews"
    __table_args__ = (
        _one_of("decision", sql_values(ReviewDecision)),
        # append-only: a creative's current decision is its latest row, found through this
        Index(
            "ix_reviews_creative_created_at",
            "campaign_id",
            "product_id",
            "aspect_ratio",
            "locale",
            "created_at",
        ),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    product_id: Mapped[str] = mapped_column(String(64))
    aspect_ratio: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(35))
    decision: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text)
    reviewer: Mapped[str] = mapped_column(String(120))  # the person, as they named themselves
    api_key: Mapped[str] = mapped_column(String(200))  # the key that recorded it (its label)
    created_at: Mapped[datetime]
