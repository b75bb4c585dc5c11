"""/v1/campaigns: submit (JSON, YAML or multipart, idempotent), list, status, retry, cancel."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ....errors import BriefError, Problem
from ....storage import Campaign, CampaignState, Scope
from ... import campaigns as actions
from ...webhooks import check_webhook_url
from ..deps import Context, ReadableCampaign, Reader, WritableCampaign, Writer
from ..intake import read_submission
from ..problems import problem
from ..schemas import (
    CampaignCreated,
    CampaignPage,
    CampaignPublic,
    problem_responses,
    public,
    summary,
)

router = APIRouter(
    prefix="/v1/campaigns",
    tags=["campaigns"],
    # 400: a multipart body that cannot be parsed at all
    responses=problem_responses(400, 401, 403, 404, 409, 413, 415, 422, 429, 503),
)

BRIEF_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The brief as JSON or YAML, or multipart/form-data with a `brief` part "
        "(JSON or YAML), optional `webhook_url`, and the asset files it names (by file name).",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Brief"}},
            "application/yaml": {"schema": {"$ref": "#/components/schemas/Brief"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["brief"],
                    "properties": {
                        "brief": {"type": "string", "description": "JSON or YAML brief"},
                        "webhook_url": {"type": "string", "format": "uri"},
                        "files": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                        },
                    },
                }
            },
        },
    }
}
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="The same key with the same brief returns the same campaign, never a "
        "second run; with another brief it is a 409.",
    ),
]
WebhookHeader = Annotated[str | None, Header(alias="X-Webhook-URL", max_length=2048)]
WebhookQuery = Annotated[str | None, Query(max_length=2048)]


def _url_for(request: Request) -> Any:
    return lambda name, **params: str(request.url_for(name, **params))


@router.post(
    "",
    status_code=202,
    response_model=CampaignCreated,
    openapi_extra=BRIEF_BODY,
    responses={200: {"model": CampaignCreated, "description": "An Idempotency-Key replay"}},
)
async def create_campaign(
    request: Request,
    context: Context,
    key: Writer,
    idempotency_key: IdempotencyKey = None,
    x_webhook_url: WebhookHeader = None,
    webhook_url: WebhookQuery = None,
) -> JSONResponse:
    """Submit a campaign: validated in full first (every problem listed at once), queued, 202."""
    service = context.service
    submission = await read_submission(request, service.settings)
    hook = submission.webhook_url or x_webhook_url or webhook_url
    if hook is not None:
        try:
            hook = check_webhook_url(hook, allow_private=service.settings.webhook_allow_private)
        except ValueError as exc:
            raise BriefError("request", [Problem("webhook_url", str(exc))]) from None
    submitted = await run_in_threadpool(
        actions.submit,
        service,
        submission.data,
        creatives=submission.creatives,
        uploads=submission.uploads,
        api_key_id=key.id,
        idempotency_key=idempotency_key,
        webhook_url=hook,
    )
    campaign = submitted.campaign
    status_url = str(request.url_for("get_campaign", campaign_id=campaign.id))
    if submitted.queue_error is not None:
        return _queued_only(request, campaign, status_url)
    body = CampaignCreated(id=campaign.id, state=campaign.state, status_url=status_url)
    headers = {"Location": status_url}
    if not submitted.created:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(
        body.model_dump(mode="json"), status_code=202 if submitted.created else 200, headers=headers
    )


def _queued_only(request: Request, campaign: Campaign, status_url: str) -> JSONResponse:
    return problem(
        request,
        503,
        "The job queue is unavailable",
        f"campaign {campaign.id} is saved as {campaign.state} but the job queue cannot be "
        "reached; it will be picked up when the queue is back, nothing needs resubmitting",
        slug="queue-unavailable",
        headers={"Location": status_url, "Retry-After": "5"},
        campaign_id=campaign.id,
        status_url=status_url,
    )


@router.get("", response_model=CampaignPage)
def list_campaigns(
    request: Request,
    context: Context,
    key: Reader,
    state: Annotated[list[CampaignState] | None, Query(description="Repeat to OR.")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=64, description="A next_cursor.")] = None,
) -> CampaignPage:
    """The key's campaigns (every campaign for an admin key), newest first."""
    page = context.service.store.list_campaigns(
        state=state or None,
        api_key_id=None if key.scope is Scope.ADMIN else key.id,
        limit=limit,
        cursor=cursor,
    )
    url_for = _url_for(request)
    next_url = None
    if page.next_cursor is not None:
        next_url = str(request.url.include_query_params(cursor=page.next_cursor))
    return CampaignPage(
        items=[summary(c, url_for) for c in page.items],
        next_cursor=page.next_cursor,
        next_url=next_url,
    )


@router.get("/{campaign_id}", response_model=CampaignPublic)
def get_campaign(
    request: Request,
    context: Context,
    campaign: ReadableCampaign,
    events: Annotated[bool, Query(description="Include the audit trail.")] = False,
) -> CampaignPublic:
    """State, progress per creative, error, cost and times."""
    store = context.service.store
    trail = store.events(campaign.id) if events else None
    return public(campaign, store.creatives(campaign.id), _url_for(request), trail)


@router.post("/{campaign_id}/retry", status_code=202, response_model=CampaignPublic)
def retry_campaign(
    request: Request, context: Context, campaign: WritableCampaign
) -> CampaignPublic | JSONResponse:
    """Queue a failed, partially succeeded or cancelled campaign again (409 otherwise)."""
    service = context.service
    submitted = actions.retry(service, campaign.id)
    if submitted.queue_error is not None:
        url = str(request.url_for("get_campaign", campaign_id=campaign.id))
        return _queued_only(request, submitted.campaign, url)
    retried = submitted.campaign
    return public(retried, service.store.creatives(retried.id), _url_for(request))


@router.post("/{campaign_id}/cancel", response_model=CampaignPublic)
def cancel_campaign(request: Request, context: Context, campaign: WritableCampaign) -> JSONResponse:
    """Cancel: a queued campaign at once (200), a running one at its next checkpoint (202);
    409 for a finished one."""
    service = context.service
    cancelled = actions.cancel(service, campaign.id)
    body = public(cancelled, service.store.creatives(cancelled.id), _url_for(request))
    status = 200 if cancelled.state is CampaignState.CANCELLED else 202
    return JSONResponse(body.model_dump(mode="json"), status_code=status)
