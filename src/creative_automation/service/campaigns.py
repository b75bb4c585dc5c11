"""Submitting, retrying and cancelling campaigns: store, file store and queue in the right
order. Framework-free, so the API, the CLI and the MCP server share one behaviour."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import OutputError, QueueUnavailable
from ..storage import Campaign, CampaignState
from .context import Service
from .webhooks import notify

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submitted:
    """A submitted campaign; `created` False when an Idempotency-Key named it already.
    `queue_error` says why it is queued but not (yet) on the job queue."""

    campaign: Campaign
    created: bool
    queue_error: str | None = None


def request_digest(
    brief: dict[str, Any], uploads: Mapping[str, bytes], webhook_url: str | None
) -> str:
    """What an Idempotency-Key replay must repeat: the brief (key order aside), every uploaded
    file's name and content, and the webhook URL."""
    doc = {
        "brief": brief,
        "uploads": {name: hashlib.sha256(data).hexdigest() for name, data in uploads.items()},
        "webhook_url": webhook_url,
    }
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def submit(
    service: Service,
    brief: dict[str, Any],
    *,
    creatives: int,
    uploads: Mapping[str, bytes] | None = None,
    api_key_id: str | None = None,
    idempotency_key: str | None = None,
    webhook_url: str | None = None,
) -> Submitted:
    """Create the campaign for an already validated brief, keep its uploads, enqueue it.

    A replay of an Idempotency-Key returns the campaign it made, with nothing stored or queued
    again. When the queue cannot be reached the campaign stays queued in the store (the
    workers' periodic requeue picks it up) and `queue_error` says so.
    """
    campaign, created = service.store.create_campaign(
        brief,
        api_key_id=api_key_id,
        idempotency_key=idempotency_key,
        webhook_url=webhook_url,
        creatives_expected=creatives,
        request_sha256=request_digest(brief, uploads or {}, webhook_url),
    )
    if not created:
        return Submitted(campaign, False)
    try:
        for name, data in (uploads or {}).items():
            service.files.put_input(campaign.id, name, data)
    except OutputError as exc:
        # without its assets the run would silently generate instead: fail it, say why
        service.store.transition(campaign.id, CampaignState.FAILED, error=str(exc))
        raise
    return _enqueue(service, campaign)


def _enqueue(service: Service, campaign: Campaign) -> Submitted:
    """Put a campaign that is queued in the store on the job queue too; when the queue cannot
    be reached it stays queued in the store (the workers' periodic requeue picks it up)."""
    try:
        service.queue.enqueue_campaign(campaign.id)
    except QueueUnavailable as exc:
        log.warning("campaign %s is queued in the store only: %s", campaign.id, exc)
        return Submitted(campaign, True, str(exc))
    return Submitted(campaign, True)


def retry(service: Service, campaign_id: str) -> Submitted:
    """Queue a failed, partially succeeded or cancelled campaign again (InvalidTransition
    otherwise); its finished creatives are kept, its failed ones are made again."""
    return _enqueue(service, service.store.retry_campaign(campaign_id, {"by": "api"}))


def cancel(service: Service, campaign_id: str) -> Campaign:
    """Cancel a queued campaign at once (and send its webhook), or flag a running one for its
    worker to stop at the next checkpoint; InvalidTransition for a finished one."""
    before = service.store.get_campaign(campaign_id)
    campaign = service.store.request_cancel(campaign_id, {"by": "api"})
    if campaign.state is CampaignState.CANCELLED and before.state is not CampaignState.CANCELLED:
        notify(service, campaign)  # nobody else will: no worker ever ran it
    return campaign


__all__ = ["Submitted", "cancel", "retry", "submit"]
