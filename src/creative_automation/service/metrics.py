"""Prometheus metrics: service-wide numbers read from the metadata store at scrape time (the
workers run in other processes and machines), plus the API process's own request metrics."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from ..storage.stats import Histogram as StoredHistogram
from ..storage.stats import ProviderCallStats
from .context import Service
from .provider_stats import remote_providers, shared_breaker_states

log = logging.getLogger(__name__)
CAMPAIGN_SECONDS = (1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
PROVIDER_SECONDS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0)
BREAKER_STATES = ("closed", "half-opened", "opened")


class StoreCollector(Collector):
    """Reads aggregates (GROUP BY, never every row) from the store and the queue's depth on
    each scrape, so every API replica reports the same, service-wide numbers."""

    def __init__(
        self, service: Service, providers: Callable[[], Sequence[str]] | None = None
    ) -> None:
        self.service = service
        # whose breakers to report: the configured remote providers unless told otherwise
        self._providers = providers or (lambda: remote_providers(service))

    def collect(self) -> Iterator[Metric]:
        yield from self._store()
        yield from self._queue()
        yield from self._breakers()

    def _store(self) -> Iterator[Metric]:
        store = self.service.store
        up = GaugeMetricFamily("cap_store_up", "1 when the metadata store answered this scrape")
        try:
            campaigns = store.campaign_counts()
            durations = store.campaign_durations(CAMPAIGN_SECONDS)
            creatives = store.creative_counts()
            calls = store.provider_call_stats(PROVIDER_SECONDS)
            deliveries = store.delivery_counts()
        except Exception as exc:  # whatever the database says, the scrape still answers
            log.warning("metrics: the metadata store did not answer: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        by_state = GaugeMetricFamily("cap_campaigns", "Campaigns by state", labels=["state"])
        for state, n in campaigns.items():
            by_state.add_metric([state.value], n)
        yield by_state
        duration = HistogramMetricFamily(
            "cap_campaign_duration_seconds",
            "Start to finish of finished campaigns, by final state",
            labels=["state"],
        )
        for state, histogram in durations.items():
            duration.add_metric([state.value], *_buckets(histogram))
        yield duration
        made = GaugeMetricFamily(
            "cap_creatives", "Checkpointed creatives by status", labels=["status"]
        )
        for status, n in creatives.items():
            made.add_metric([status.value], n)
        yield made
        yield from _provider_metrics(calls)
        webhooks = GaugeMetricFamily(
            "cap_webhook_deliveries", "Webhook deliveries by status", labels=["status"]
        )
        for delivery_status, n in deliveries.items():
            webhooks.add_metric([delivery_status.value], n)
        yield webhooks

    def _queue(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("cap_queue_up", "1 when the job queue answered this scrape")
        try:
            depth = self.service.queue.depth()
        except Exception as exc:
            log.warning("metrics: the queue did not answer: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily("cap_queue_depth", "Campaign tasks waiting for a worker", depth)

    def _breakers(self) -> Iterator[Metric]:
        """Circuit-breaker state per provider, when the breakers live in Redis (shared by every
        worker). In-memory breakers belong to each worker process: this process cannot see
        them, so nothing is reported rather than a made-up 'closed'."""
        try:
            states = shared_breaker_states(self.service, self._providers())
        except Exception as exc:  # Redis down, a provider misconfigured: the rest still report
            log.warning("metrics: breaker states unavailable: %s", exc)
            return
        if states is None:
            return
        family = GaugeMetricFamily(
            "cap_provider_breaker_state",
            "1 for the state each provider's circuit breaker is in",
            labels=["provider", "state"],
        )
        for provider, current in states.items():
            for state in BREAKER_STATES:
                family.add_metric([provider, state], 1 if state == current else 0)
        yield family


def _provider_metrics(calls: Iterable[ProviderCallStats]) -> Iterator[Metric]:
    count = CounterMetricFamily(
        "cap_provider_calls", "Provider calls by outcome", labels=["provider", "outcome"]
    )
    latency = HistogramMetricFamily(
        "cap_provider_latency_seconds",
        "Provider call latency by outcome",
        labels=["provider", "outcome"],
    )
    cost = CounterMetricFamily("cap_provider_cost_usd", "Provider spend (USD)", labels=["provider"])
    spent: dict[str, float] = {}
    for row in calls:
        labels = [row.provider, row.outcome.value]
        count.add_metric(labels, row.latency.count)
        latency.add_metric(labels, *_buckets(row.latency))
        spent[row.provider] = spent.get(row.provider, 0.0) + row.cost_usd
    for provider, usd in spent.items():
        cost.add_metric([provider], usd)
    yield count
    yield latency
    yield cost


def _buckets(histogram: StoredHistogram) -> tuple[list[tuple[str, float]], float]:
    buckets = [(repr(float(bound)), float(n)) for bound, n in histogram.buckets]
    return [*buckets, ("+Inf", float(histogram.count))], histogram.total


class HttpMetrics:
    """This API process's requests: a count per route and status, and their latency."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "cap_http_requests",
            "HTTP requests served by this API process",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "cap_http_request_duration_seconds",
            "HTTP request latency in this API process",
            ["method", "route"],
            registry=registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)


def build_registry(service: Service) -> tuple[CollectorRegistry, HttpMetrics]:
    """A registry of this app's own (no process-global state): the store collector and the
    HTTP metrics."""
    registry = CollectorRegistry()
    registry.register(StoreCollector(service))
    return registry, HttpMetrics(registry)


__all__ = ["HttpMetrics", "StoreCollector", "build_registry"]
