"""The alert rules: facts in, alert drafts out (severity, evidence in numbers, an action)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from ..storage import AlertDraft, CampaignState, Severity
from .monitor import CampaignFacts, ProviderFacts
from .rules import Rules

# the rules evaluated per campaign: their alerts clear when the campaign's facts no longer
# show them (resolved), so the scope of a campaign's evaluation is these prefixes
CAMPAIGN_RULES = (
    "insufficient_variants",
    "missing_creatives",
    "failed_creatives",
    "needs_review",
    "missing_copy",
    "campaign_failed",
    "budget",
    "due_date",
)
_FINISHED_BADLY = {CampaignState.FAILED, CampaignState.PARTIALLY_SUCCEEDED}
# judged on a finished campaign only: while it runs (a retry included) they stay as they were
_ON_FINISH = frozenset({"insufficient_variants", "missing_creatives", "campaign_failed"})


def judged(state: CampaignState) -> list[str]:
    """The campaign rules whose alerts this state can confirm or clear."""
    return [r for r in CAMPAIGN_RULES if state.terminal or r not in _ON_FINISH]


def campaign_alerts(facts: CampaignFacts, rules: Rules, now: datetime) -> list[AlertDraft]:
    """Every campaign rule that holds for these facts."""
    c, out = facts.campaign, []

    def add(
        rule: str,
        severity: Severity,
        summary: str,
        action: str,
        subject: str = "",
        **evidence: object,
    ) -> None:
        out.append(AlertDraft(rule, severity, summary, action, dict(evidence), c.id, subject))

    name = facts.brief.campaign_name if facts.brief else c.brief_campaign_id
    minimum = facts.brief.min_variants if facts.brief else 1
    r = rules.insufficient_variants
    # judged once the campaign has stopped making creatives (a running one is still on its way)
    if r.enabled and c.state.terminal:
        for p in facts.products:
            if p.variants < minimum:
                reason = (
                    "no asset, and its generation failed"
                    if not p.has_asset and p.produced == 0
                    else f"{p.produced} creatives made, {p.variants} distinct"
                )
                add(
                    "insufficient_variants",
                    r.severity,
                    f"{name}: product {p.product_id} has {p.variants} of the {minimum} variants "
                    f"the brief asks for ({reason})",
                    "add a product asset or fix the generation provider, then retry the campaign"
                    if p.produced == 0
                    else "add formats or locales, or lower min_variants in the brief",
                    p.product_id,
                    product=p.product_id,
                    variants=p.variants,
                    min_variants=minimum,
                    expected=p.expected,
                    produced=p.produced,
                    failed=p.failed,
                    has_asset=p.has_asset,
                    min_distance=p.min_distance,
                    error=c.error,
                )
    r2 = rules.missing_creatives
    if r2.enabled and c.state.terminal and c.state is not CampaignState.CANCELLED:
        short = [p for p in facts.products if p.produced < p.expected]
        if short:
            add(
                "missing_creatives",
                r2.severity,
                f"{name}: {facts.produced} of {facts.expected} creatives made",
                "see the failed creatives' findings; retry the campaign once fixed",
                expected=facts.expected,
                produced=facts.produced,
                missing={p.product_id: p.missing[:20] for p in short if p.missing},
                short_by={p.product_id: p.expected - p.produced for p in short},
            )
    for rule_name, count, what in (
        ("failed_creatives", facts.failed, "failed"),
        ("needs_review", facts.needs_review, "need review"),
    ):
        cr = getattr(rules, rule_name)
        if cr.enabled and count >= cr.min_count:
            add(
                rule_name,
                cr.severity,
                f"{name}: {count} creatives {what}",
                "open report.html: each creative lists its findings and corrections",
                count=count,
                of=facts.expected,
                per_product={
                    p.product_id: getattr(p, rule_name.split("_")[0])
                    for p in facts.products
                    if getattr(p, rule_name.split("_")[0])
                },
            )
    r3 = rules.missing_copy
    if r3.enabled and facts.missing_copy:
        add(
            "missing_copy",
            r3.severity,
            f"{name}: {len(facts.missing_copy)} locale texts are missing and no text provider "
            "is configured to translate them",
            "write them into the brief (locales.<tag>.message) or set OPENAI_API_KEY",
            fields=facts.missing_copy,
        )
    r4 = rules.campaign_failed
    if r4.enabled and c.state in _FINISHED_BADLY:
        add(
            "campaign_failed",
            r4.severity if c.state is CampaignState.FAILED else Severity.WARNING,
            f"{name}: campaign {c.state.value.replace('_', ' ')}"
            + (f": {c.error}" if c.error else ""),
            "fix what the error names, then `cap` retry (POST /v1/campaigns/{id}/retry)",
            state=c.state.value,
            error=c.error,
            attempts=c.attempts,
            produced=facts.produced,
            expected=facts.expected,
        )
    out.extend(_budget(facts, rules, name))
    out.extend(_due(facts, rules, name, now))
    return out


def _budget(facts: CampaignFacts, rules: Rules, name: str) -> list[AlertDraft]:
    r, c = rules.budget, facts.campaign
    limit = facts.brief.budget_usd if facts.brief else None
    if not r.enabled or not limit:
        return []
    share = c.cost_usd / limit
    if share < r.warn_at:
        return []
    severity = Severity.CRITICAL if share >= r.critical_at else r.severity
    return [
        AlertDraft(
            "budget",
            severity,
            f"{name}: ${c.cost_usd:.2f} of its ${limit:.2f} budget spent ({share:.0%})",
            "raise budget_usd in the brief, or let the remaining creatives fall back to the "
            "offline generator",
            {
                "spent_usd": round(c.cost_usd, 4),
                "budget_usd": limit,
                "share": round(share, 3),
                "produced": facts.produced,
                "expected": facts.expected,
            },
            c.id,
        )
    ]


def _due(facts: CampaignFacts, rules: Rules, name: str, now: datetime) -> list[AlertDraft]:
    r, c = rules.due_date, facts.campaign
    due = facts.brief.due if facts.brief else None
    if not r.enabled or due is None or c.state is CampaignState.SUCCEEDED:
        return []
    if isinstance(due, datetime):
        deadline = due if due.tzinfo else due.replace(tzinfo=UTC)
    else:  # a launch date: due at the start of that day, UTC
        assert isinstance(due, date)
        deadline = datetime.combine(due, time(0, 0), tzinfo=UTC)
    left = deadline - now
    if left > timedelta(hours=r.warn_hours):
        return []
    hours = left.total_seconds() / 3600
    severity = Severity.CRITICAL if hours <= r.critical_hours else r.severity
    when = f"{-hours:.0f} h overdue" if hours < 0 else f"due in {hours:.0f} h"
    return [
        AlertDraft(
            "due_date",
            severity,
            f"{name}: {when} ({deadline:%Y-%m-%d %H:%M} UTC) and {c.state.value}, "
            f"{facts.produced} of {facts.expected} creatives made",
            "tell the campaign's owner now (cap draft-update), or cut scope to what is made",
            {
                "due": deadline.isoformat(),
                "hours_left": round(hours, 1),
                "state": c.state.value,
                "produced": facts.produced,
                "expected": facts.expected,
            },
            c.id,
        )
    ]


def provider_alerts(providers: list[ProviderFacts], rules: Rules) -> list[AlertDraft]:
    """A provider whose breaker is open, or whose recent calls fail or are slow."""
    r = rules.provider_incident
    if not r.enabled:
        return []
    out = []
    for p in providers:
        evidence = {
            "provider": p.name,
            "breaker": p.breaker,
            "calls": p.calls,
            "failures": p.failures,
            "error_rate": round(p.error_rate, 3),
            "latency_p95_s": None if p.latency_p95_s is None else round(p.latency_p95_s, 2),
            "window_minutes": r.window_minutes,
        }
        if p.breaker == "opened":
            summary, severity = f"{p.name}: circuit breaker open", r.severity
        elif p.calls >= r.min_calls and p.error_rate >= r.error_rate:
            summary = (
                f"{p.name}: {p.failures} of {p.calls} calls failed in {r.window_minutes:g} min"
            )
            severity = r.severity
        elif p.calls >= r.min_calls and (p.latency_p95_s or 0) >= r.latency_p95_s:
            summary = f"{p.name}: slow, P95 {p.latency_p95_s:.1f} s over {r.window_minutes:g} min"
            severity = Severity.WARNING
        else:
            continue
        out.append(
            AlertDraft(
                "provider_incident",
                severity,
                summary,
                "campaigns fall back to the next provider meanwhile; check the provider's "
                "status page, keys and quota",
                evidence,
                None,
                p.name,
            )
        )
    return out


__all__ = ["CAMPAIGN_RULES", "campaign_alerts", "judged", "provider_alerts"]
