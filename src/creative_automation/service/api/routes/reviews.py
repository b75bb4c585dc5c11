"""/v1/campaigns/{id}/reviews: people approve or reject creatives; the latest decision counts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ... import reviews as actions
from ..deps import Context, ReadableCampaign, WritableCampaign, Writer
from ..schemas import ReviewList, ReviewPublic, ReviewRequest, problem_responses

router = APIRouter(
    prefix="/v1/campaigns",
    tags=["reviews"],
    # 400: a body that cannot be decoded at all (FastAPI answers before validating it)
    responses=problem_responses(400, 401, 403, 404, 413, 422, 429, 503),
)


@router.post("/{campaign_id}/reviews", status_code=201, response_model=ReviewList)
def record_reviews(
    context: Context, key: Writer, campaign: WritableCampaign, body: ReviewRequest
) -> ReviewList:
    """Approve or reject creatives (one or up to 1000 at once), as the person `reviewer`,
    recorded by this key; a rejection needs a comment. Every creative must have been made
    (422 names each one that was not, and nothing is recorded). The campaign's published
    manifest.json and report.html show each creative's latest decision."""
    recorded = actions.review(
        context.service,
        campaign.id,
        [c.key for c in body.creatives],
        body.decision,
        body.comment,
        body.reviewer,
        key.label,
    )
    return ReviewList(campaign_id=campaign.id, items=[ReviewPublic.of(r) for r in recorded])


@router.get("/{campaign_id}/reviews", response_model=ReviewList)
def list_reviews(
    context: Context,
    campaign: ReadableCampaign,
    history: Annotated[
        bool, Query(description="Every review, oldest first; default: each creative's latest.")
    ] = False,
) -> ReviewList:
    """The campaign's reviews: each reviewed creative's current decision, or the history."""
    found = context.service.store.reviews(campaign.id, history=history)
    return ReviewList(campaign_id=campaign.id, items=[ReviewPublic.of(r) for r in found])
