"""Builds a StakeholderContext from what the store knows of a campaign (alerts, creatives)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..storage import Alert, Campaign, Creative
from ..storage.states import AlertStatus, CampaignState, CreativeStatus
from .comms import CampaignFacts, Choice, Issue, Person, StakeholderContext

if TYPE_CHECKING:
    from ..service.context import Service

MAX_ISSUES = 5
MAX_EVIDENCE = 8  # an email, not a report: the rest is in `cap status` and the alerts
FACT_MAX = 300
UNKNOWN_CAUSE = "the cause is still being investigated"


def context_for(
    service: Service,
    campaign_id: str,
    *,
    audience: Person,
    sender: Person,
    reason: str | None = None,
    new_eta: date | None = None,
    options: Iterable[Choice] = (),
    today: date | None = None,
) -> StakeholderContext:
    """The context for an update on the campaign: its open and acknowledged alerts become
    issues and evidence with their numbers, and so do its failed and needs-review creatives
    and its last error. `reason` is the cause as the sender explains it (it is the `why` of
    every issue); without `new_eta` the email promises a new date by the next working day.
    NotFound when there is no such campaign."""
    store = service.store
    campaign = store.get_campaign(campaign_id)
    alerts = store.list_alerts(
        campaign_id=campaign_id, status=[AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED]
    )
    alerts.sort(key=lambda a: (a.first_seen_at, a.id))  # oldest first: how the story unfolded
    creatives = store.creatives(campaign_id)
    today = today or datetime.now(UTC).date()
    facts = _facts(campaign)
    why = _clip(reason or campaign.error or UNKNOWN_CAUSE)
    issues = [Issue(what=_clip(a.summary), why=why, since=a.first_seen_at.date()) for a in alerts]
    if not issues and (what := _trouble(campaign, facts, creatives, today, reason)) is not None:
        issues.append(Issue(what=what, why=why))
    return StakeholderContext(
        campaign=facts,
        audience=audience,
        sender=sender,
        issues=tuple(issues[:MAX_ISSUES]),
        evidence=tuple(_evidence(campaign, creatives, alerts)[:MAX_EVIDENCE]),
        options=tuple(options),
        new_eta=new_eta,
        confirm_eta_by=None if new_eta else next_working_day(today),
    )


def next_working_day(after: date) -> date:
    """The next day from Monday to Friday after `after`."""
    day = after + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _facts(campaign: Campaign) -> CampaignFacts:
    brief = campaign.brief
    name = str(brief.get("campaign_name") or campaign.brief_campaign_id or campaign.id)
    return CampaignFacts(
        id=campaign.id,
        name=" ".join(name.split())[:120],
        state=campaign.state.value,
        creatives_done=campaign.creatives_done,
        creatives_expected=campaign.creatives_expected,
        due=_date(brief.get("due")),
    )


def _date(value: Any) -> date | None:
    """The brief's `due`, which JSON carries as an ISO date or date-time string."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
        except ValueError:
            return None
    return None


def _trouble(
    campaign: Campaign,
    facts: CampaignFacts,
    creatives: list[Creative],
    today: date,
    reason: str | None,
) -> str | None:
    """What is wrong when no alert says so, or None when nothing is."""
    failed = sum(c.status == CreativeStatus.FAILED for c in creatives)
    if campaign.state == CampaignState.FAILED:
        return "Production of the creatives stopped before it finished"
    if failed:
        return f"{failed} of {facts.creatives_expected} creatives could not be made"
    if facts.due is not None and facts.due < today and not campaign.terminal:
        return f"The creatives were not ready by the due date ({facts.due.isoformat()})"
    if reason:
        return "Delivery of the creatives is delayed"
    return None


def _evidence(campaign: Campaign, creatives: list[Creative], alerts: list[Alert]) -> list[str]:
    expected = campaign.creatives_expected
    facts = [f"{campaign.creatives_done} of {expected} creatives are done"]
    by_status = Counter(c.status for c in creatives)
    for status, word in ((CreativeStatus.FAILED, "failed"), (CreativeStatus.NEEDS_REVIEW,
                                                              "need a manual review")):  # fmt: skip
        if by_status[status]:
            causes = _failing_checks(c for c in creatives if c.status == status)
            facts.append(_clip(f"{by_status[status]} of {expected} creatives {word}{causes}"))
    for alert in alerts:
        numbers = ", ".join(f"{k}: {_value(v)}" for k, v in alert.evidence.items())
        facts.append(_clip(f"{alert.summary} ({numbers})" if numbers else alert.summary))
    if campaign.error:
        facts.append(_clip(f"Last error: {campaign.error}"))
    return facts


def _failing_checks(creatives: Iterable[Creative]) -> str:
    """ ": text_fit ×2, contrast" — the compliance checks that failed, most frequent first."""
    counts: Counter[str] = Counter()
    for creative in creatives:
        for finding in creative.record.get("compliance") or ():
            if isinstance(finding, dict) and finding.get("status") == "fail":
                counts[str(finding.get("check", "unknown"))] += 1
    if not counts:
        return ""
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return ": " + ", ".join(f"{check} ×{n}" if n > 1 else check for check, n in ranked)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _clip(text: str, limit: int = FACT_MAX) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


__all__ = ["context_for", "next_working_day"]
