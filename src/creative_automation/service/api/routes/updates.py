"""/v1/campaigns/{id}/stakeholder-draft: the stakeholder email about a campaign, drafted."""

from __future__ import annotations

from fastapi import APIRouter

from ....agent.comms import Person
from ....agent.updates import draft_update
from ..deps import Context, WritableCampaign
from ..schemas import DraftedUpdate, DraftRequest, problem_responses

router = APIRouter(
    prefix="/v1/campaigns",
    tags=["campaigns"],
    responses=problem_responses(400, 401, 403, 404, 413, 422, 429),
)


@router.post("/{campaign_id}/stakeholder-draft", response_model=DraftedUpdate)
async def draft_stakeholder_update(
    context: Context, campaign: WritableCampaign, request: DraftRequest
) -> DraftedUpdate:
    """Draft an email to stakeholders about the campaign's delay or trouble, from its alerts,
    failed creatives and error: the chat model writes it when configured, else a template.
    It is never sent; it is recorded in the campaign's audit trail (hence the write scope),
    the same draft `cap draft-update` and the MCP draft_update tool make."""
    update = await draft_update(
        context.service,
        campaign.id,
        audience=Person(role=request.audience, name=request.audience_name),
        sender=Person(role=request.sender_role, name=request.sender),
        reason=request.reason,
        new_eta=request.new_eta,
        options=[o.choice() for o in request.options],
    )
    return DraftedUpdate.of(campaign.id, update.draft)
