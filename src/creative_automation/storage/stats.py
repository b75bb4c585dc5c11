"""Aggregates for monitoring: counts and histograms computed by the database (GROUP BY)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, and_, case, cast, extract, func, or_, select
from sqlalchemy.orm import QueryableAttribute, Session

from .base import StoreBase
from .campaigns import campaign
from .models import CampaignRow, CreativeRow, ProviderCallRow, WebhookDeliveryRow
from .records import Campaign
from .states import TERMINAL, CallOutcome, CampaignState, CreativeStatus, DeliveryStatus

Column = ColumnElement[Any] | QueryableAttribute[Any]


@dataclass(frozen=True, slots=True)
class Histogram:
    """Cumulative counts per upper bound (Prometheus style), plus the count and the sum."""

    buckets: tuple[tuple[float, int], ...]
    count: int
    total: float


@dataclass(frozen=True, slots=True)
class ProviderTally:
    """One provider's calls in a window: how many ended each way, what they all cost, and the
    median and 95th percentile latency of its successful ones (interpolated between the calls
    seen, never beyond the slowest)."""

    provider: str
    outcomes: dict[CallOutcome, int]
    spend_usd: float
    latency_p50_s: float | None
    latency_p95_s: float | None


@dataclass(frozen=True, slots=True)
class ProviderCallStats:
    """One provider's calls with one outcome: how many, how long, what they cost."""

    provider: str
    outcome: CallOutcome
    latency: Histogram
    cost_usd: float


class StatsMixin(StoreBase):
    def campaign_counts(self) -> dict[CampaignState, int]:
        """Campaigns per state (every state present, zero included)."""
        with self._read() as session:
            rows = session.execute(
                select(CampaignRow.state, func.count()).group_by(CampaignRow.state)
            )
            found = {CampaignState(state): int(n) for state, n in rows}
        return {state: found.get(state, 0) for state in CampaignState}

    def creative_counts(self) -> dict[CreativeStatus, int]:
        """Checkpointed creatives per status (every status present)."""
        with self._read() as session:
            rows = session.execute(
                select(CreativeRow.status, func.count()).group_by(CreativeRow.status)
            )
            found = {CreativeStatus(status): int(n) for status, n in rows}
        return {status: found.get(status, 0) for status in CreativeStatus}

    def delivery_counts(self) -> dict[DeliveryStatus, int]:
        """Webhook deliveries per status (every status present)."""
        with self._read() as session:
            rows = session.execute(
                select(WebhookDeliveryRow.status, func.count()).group_by(WebhookDeliveryRow.status)
            )
            found = {DeliveryStatus(status): int(n) for status, n in rows}
        return {status: found.get(status, 0) for status in DeliveryStatus}

    def campaign_durations(self, bounds: Sequence[float]) -> dict[CampaignState, Histogram]:
        """Seconds from start to finish of finished campaigns, per final state."""
        seconds = self._seconds_between(CampaignRow.started_at, CampaignRow.finished_at)
        query = (
            select(CampaignRow.state, *_histogram_columns(seconds, bounds))
            .where(
                CampaignRow.state.in_([s.value for s in TERMINAL]),
                CampaignRow.started_at.is_not(None),
                CampaignRow.finished_at.is_not(None),
            )
            .group_by(CampaignRow.state)
        )
        with self._read() as session:
            rows = session.execute(query).all()
        return {CampaignState(row[0]): _histogram(row[1:], bounds) for row in rows}

    def provider_call_stats(self, bounds: Sequence[float]) -> list[ProviderCallStats]:
        """Provider calls per (provider, outcome): latency histogram and total cost."""
        query = (
            select(
                ProviderCallRow.provider,
                ProviderCallRow.outcome,
                func.coalesce(func.sum(ProviderCallRow.cost_usd), 0.0),
                *_histogram_columns(ProviderCallRow.latency_s, bounds),
            )
            .group_by(ProviderCallRow.provider, ProviderCallRow.outcome)
            .order_by(ProviderCallRow.provider, ProviderCallRow.outcome)
        )
        with self._read() as session:
            rows = session.execute(query).all()
        return [
            ProviderCallStats(row[0], CallOutcome(row[1]), _histogram(row[3:], bounds), row[2])
            for row in rows
        ]

    def _seconds_between(self, start: Column, end: Column) -> ColumnElement[float]:
        if self.dialect == "postgresql":
            return cast(extract("epoch", end - start), Float)
        # SQLite keeps the UTC timestamps as text, which julianday() reads (days, fractional)
        return (func.julianday(end) - func.julianday(start)) * 86400.0


def _percentile(ordered: Sequence[float], share: float) -> float:
    """Linear interpolation between the closest ranks, as PostgreSQL's percentile_cont."""
    position = (len(ordered) - 1) * share
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _histogram_columns(value: Column, bounds: Sequence[float]) -> list[ColumnElement[Any]]:
    return [
        func.count(),
        func.coalesce(func.sum(value), 0.0),
        *(func.sum(case((value <= bound, 1), else_=0)) for bound in bounds),
    ]


def _histogram(values: Sequence[Any], bounds: Sequence[float]) -> Histogram:
    count, total, *cumulative = values
    return Histogram(
        tuple((bound, int(n or 0)) for bound, n in zip(bounds, cumulative, strict=True)),
        int(count),
        float(total),
    )


class WatchMixin(StoreBase):
    """What the monitoring agent reads each tick: campaigns to watch, recent provider calls."""

    def campaigns_to_watch(self, finished_since: datetime, *, limit: int = 500) -> list[Campaign]:
        """Unfinished campaigns, and those finished since `finished_since`, newest first."""
        query = (
            select(CampaignRow)
            .where(
                or_(
                    CampaignRow.state.not_in([s.value for s in TERMINAL]),
                    CampaignRow.finished_at >= finished_since,
                )
            )
            .order_by(CampaignRow.id.desc())
            .limit(limit)
        )
        with self._read() as session:
            return [campaign(r) for r in session.scalars(query)]

    def provider_tallies(self, since: datetime) -> list[ProviderTally]:
        """Each provider called since `since`, by name: counted and summed by the database
        (GROUP BY over the created_at index), never every call row into this process. The
        percentiles too on PostgreSQL (percentile_cont); SQLite has none, so there the
        successful calls' latencies are read, one column, and interpolated the same way."""
        row = ProviderCallRow
        recent = row.created_at >= since
        counts = (
            select(
                row.provider, row.outcome, func.count(), func.coalesce(func.sum(row.cost_usd), 0.0)
            )
            .where(recent)
            .group_by(row.provider, row.outcome)
        )
        ok = and_(recent, row.outcome == CallOutcome.OK.value)
        with self._read() as session:
            outcomes: dict[str, dict[CallOutcome, int]] = {}
            spend: dict[str, float] = {}
            for provider, outcome, n, cost in session.execute(counts):
                outcomes.setdefault(provider, {})[CallOutcome(outcome)] = int(n)
                spend[provider] = spend.get(provider, 0.0) + float(cost)
            latency = self._latency_percentiles(session, ok)
        return [
            ProviderTally(name, outcomes[name], spend[name], *latency.get(name, (None, None)))
            for name in sorted(outcomes)
        ]

    def _latency_percentiles(
        self, session: Session, where: ColumnElement[bool]
    ) -> dict[str, tuple[float, float]]:
        row = ProviderCallRow
        if self.dialect == "postgresql":
            query = (
                select(
                    row.provider,
                    func.percentile_cont(0.5).within_group(row.latency_s),
                    func.percentile_cont(0.95).within_group(row.latency_s),
                )
                .where(where)
                .group_by(row.provider)
            )
            return {p: (float(p50), float(p95)) for p, p50, p95 in session.execute(query)}
        seen: dict[str, list[float]] = {}
        for provider, seconds in session.execute(
            select(row.provider, row.latency_s).where(where).order_by(row.latency_s)
        ):
            seen.setdefault(provider, []).append(float(seconds))
        return {p: (_percentile(v, 0.5), _percentile(v, 0.95)) for p, v in seen.items()}
