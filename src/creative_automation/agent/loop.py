"""`cap agent`: the inbox watched on one thread, campaigns and providers checked every tick,
alerts raised and sent, healing applied."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import timedelta

from ..errors import CreativeAutomationError
from ..providers.setup import build_text_provider
from ..service.context import Service
from ..storage import Alert, AlertDraft
from .alerts import campaign_alerts, judged, provider_alerts
from .channels import Channel, notify
from .healing import Healer, Step
from .inbox import Inbox
from .monitor import VariantHashes, campaign_facts, provider_facts
from .rules import Rules

log = logging.getLogger(__name__)


@dataclass
class Tick:
    """What one pass did: alerts raised (new or repeated), sent, resolved; healing steps."""

    raised: list[Alert] = field(default_factory=list)
    notified: dict[str, dict[str, str | None]] = field(default_factory=dict)  # alert → channels
    resolved: list[Alert] = field(default_factory=list)
    healed: list[Step] = field(default_factory=list)


class Agent:
    """The monitor over one service: `tick()` is one pass; `run()` loops until stopped."""

    def __init__(
        self,
        service: Service,
        rules: Rules,
        channels: list[Channel],
        *,
        inbox: Inbox | None = None,
    ) -> None:
        self.service, self.rules, self.channels, self.inbox = service, rules, channels, inbox
        self.hashes = VariantHashes(service)
        self.healer = Healer(service, rules)
        self._can_translate = build_text_provider(service.settings) is not None

    def tick(self) -> Tick:
        store, rules, out = self.service.store, self.rules, Tick()
        now = store.now()
        providers = provider_facts(
            self.service, timedelta(minutes=rules.provider_incident.window_minutes)
        )
        campaigns = store.campaigns_to_watch(now - timedelta(hours=rules.watch_hours))
        scope, firing = ["provider_incident:*:"], set()
        for c in campaigns:
            facts = campaign_facts(
                self.service,
                c,
                self.hashes,
                duplicate_distance=rules.insufficient_variants.duplicate_distance,
                can_translate=self._can_translate,
            )
            drafts = campaign_alerts(facts, rules, now)
            self._raise(drafts, out)
            scope += [f"{rule}:{c.id}:" for rule in judged(c.state)]
            firing |= {d.fingerprint for d in drafts}
        drafts = provider_alerts(providers, rules)
        self._raise(drafts, out)
        firing |= {d.fingerprint for d in drafts}
        # what this pass judged and no longer holds, resolved in one transaction for the pass
        out.resolved = store.resolve_cleared(scope, firing)
        out.healed = self.healer.heal(campaigns, providers)
        return out

    def _raise(self, drafts: list[AlertDraft], out: Tick) -> None:
        for draft in drafts:
            rule = getattr(self.rules, draft.rule)
            raised = self.service.store.raise_alert(
                draft, throttle=timedelta(minutes=rule.throttle_minutes)
            )
            out.raised.append(raised.alert)
            if raised.notify:
                sent = notify(self.channels, raised.alert)
                out.notified[raised.alert.id] = sent
                self.service.store.record_event(
                    "alert_notified",
                    {"alert_id": raised.alert.id, "channels": sent},
                    campaign_id=raised.alert.campaign_id,
                )

    def run(self, stop: threading.Event, poll_s: float) -> None:
        """Watch the inbox (its own thread) and tick every `poll_s` until `stop` is set."""
        watcher = None
        if self.inbox is not None:
            # the inbox logs each of its results itself
            watcher = threading.Thread(
                target=self.inbox.watch, args=(stop, poll_s), name="inbox", daemon=True
            )
            watcher.start()
        while not stop.is_set():
            try:
                self.tick()
            except CreativeAutomationError as exc:  # the store is down for a moment
                log.warning("agent tick failed: %s", exc)
            stop.wait(poll_s)
        if watcher is not None:
            watcher.join()


__all__ = ["Agent", "Tick"]
