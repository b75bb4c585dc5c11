"""Approving and rejecting creatives: recorded in the store, then shown in the campaign's
published manifest.json and report.html. Framework-free, like campaigns.py."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from ..brief import parse_brief
from ..errors import CreativeAutomationError
from ..manifest import Manifest, ReviewRecord
from ..report import render_report
from ..storage import Review, ReviewDecision
from ..storage.checkpoints import CreativeKey
from ..storage.files import MANIFEST
from .context import Service

log = logging.getLogger(__name__)
REPORT = "report.html"
# a publisher re-reads the reviews after writing; if they changed meanwhile (another reviewer
# committed between its read and its write) it writes again, so the last writer is current
MAX_REPUBLISH = 5


def review(
    service: Service,
    campaign_id: str,
    keys: Sequence[CreativeKey],
    decision: ReviewDecision,
    comment: str,
    reviewer: str,
    api_key: str,
) -> list[Review]:
    """Record one decision on the creatives `keys` (the store checks them, and the text: a
    BriefError lists every problem and nothing is written), then show the campaign's review
    state in its published outputs, if it has any yet.

    The reviews are the truth the API answers from; when the file store fails the outputs
    are left as they were (logged) and catch up at the next review or run.
    """
    recorded = service.store.record_reviews(campaign_id, keys, decision, comment, reviewer, api_key)
    try:
        publish_review_state(service, campaign_id)
    except CreativeAutomationError as exc:
        log.warning("campaign %s: reviews recorded, outputs not updated: %s", campaign_id, exc)
    return recorded


def publish_review_state(service: Service, campaign_id: str) -> bool:
    """Rewrite the campaign's published report.html, then manifest.json (last, as always),
    with every creative's latest review from the store; False when there is nothing published
    yet (a running campaign: its runner calls this once it has published).

    Derived from the store alone, never from one request, so reviewers writing at once
    converge: the last to publish re-reads the reviews after writing and goes again if they
    moved on.
    """
    files, store = service.files, service.store
    current = store.reviews(campaign_id)
    if not files.exists(campaign_id):
        return False
    if not current:  # reviews are never taken back: outputs written without any are current
        return True
    campaign = store.get_campaign(campaign_id)
    brief = parse_brief(campaign.brief, source=f"campaign {campaign_id}")
    for _ in range(MAX_REPUBLISH):
        published = Manifest.model_validate_json(files.read(campaign_id, MANIFEST))
        manifest = with_reviews(published, {r.key: review_record(r) for r in current})
        files.put(campaign_id, REPORT, render_report(manifest, brief).encode())
        files.put(campaign_id, MANIFEST, manifest.model_dump_json(indent=2).encode())
        latest = store.reviews(campaign_id)
        if latest == current:
            break
        current = latest
    else:
        log.warning("campaign %s: reviews kept changing while published", campaign_id)
    return True


def with_reviews(manifest: Manifest, reviews: Mapping[CreativeKey, ReviewRecord]) -> Manifest:
    """A copy of `manifest` whose creatives carry their review (None when there is none) and
    whose totals count the approved and the rejected."""
    creatives = [
        rec.model_copy(update={"review": reviews.get(rec.key) if rec.status != "failed" else None})
        for rec in manifest.creatives
    ]
    decisions = [rec.review.decision for rec in creatives if rec.review is not None]
    totals = manifest.totals.model_copy(
        update={"approved": decisions.count("approved"), "rejected": decisions.count("rejected")}
    )
    return manifest.model_copy(update={"creatives": creatives, "totals": totals})


def review_record(review: Review) -> ReviewRecord:
    """A review as the manifest carries it."""
    return ReviewRecord(
        decision=review.decision.value,
        reviewer=review.reviewer,
        recorded_by=review.api_key,
        reviewed_at=review.created_at.isoformat(timespec="seconds"),
        comment=review.comment,
    )


__all__ = ["publish_review_state", "review", "review_record", "with_reviews"]
