"""What the API answers: pydantic models of their own, built from the store's records (the
ORM never reaches a response)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from http import HTTPStatus
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ...agent.comms import Choice, Draft
from ...compliance.findings import Finding
from ...storage import (
    Alert,
    AlertStatus,
    Campaign,
    CampaignState,
    Creative,
    CreativeStatus,
    Event,
    Review,
    ReviewDecision,
    Severity,
)
from ...storage.reviews import MAX_COMMENT, MAX_REVIEWER

UrlFor = Callable[..., str]  # route name + path params → absolute URL


class FieldProblem(BaseModel):
    path: str = Field(description="Where: a dotted field path such as products[0].id.")
    message: str


class ProblemDetail(BaseModel):
    """RFC 9457 problem details: every error answer, as application/problem+json."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["/problems/invalid-brief"])
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldProblem] | None = Field(None, description="Every field problem at once.")


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` documenting these statuses as problem+json."""
    schema = {"$ref": "#/components/schemas/ProblemDetail"}  # added by CapAPI.openapi
    return {
        status: {
            "content": {"application/problem+json": {"schema": schema}},
            "description": HTTPStatus(status).phrase,
        }
        for status in statuses
    }


class Progress(BaseModel):
    creatives_done: int
    creatives_expected: int


class CampaignCreated(BaseModel):
    """The answer to a submission: where to poll."""

    id: str = Field(examples=["cmp_01JD3Q9W5V8X2ZK4M7N6P0R1ST"])
    state: CampaignState
    status_url: str


class CampaignFields(BaseModel):
    """A campaign as listed, without its URL (the MCP server's listing)."""

    id: str
    brief_campaign_id: str = Field(description="The brief's own campaign_id.")
    name: str
    state: CampaignState
    cancel_requested: bool
    progress: Progress
    cost_usd: float
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class CampaignSummary(CampaignFields):
    """A campaign as listed."""

    status_url: str


class CreativeProgress(BaseModel):
    """One checkpointed creative in a campaign's status."""

    product_id: str
    aspect_ratio: str
    locale: str
    status: CreativeStatus


class EventPublic(BaseModel):
    kind: str
    from_state: CampaignState | None
    to_state: CampaignState | None
    detail: dict[str, Any]
    created_at: datetime


class CampaignLinks(BaseModel):
    creatives: str
    archive: str
    retry: str
    cancel: str


class CampaignPublic(CampaignSummary):
    """A campaign's full status."""

    attempts: int
    updated_at: datetime
    webhook_url: str | None
    creatives: list[CreativeProgress]
    links: CampaignLinks
    events: list[EventPublic] | None = Field(None, description="With ?events=true.")
    brief: dict[str, Any] = Field(description="The brief as submitted (products, locales, …).")


class CampaignPage(BaseModel):
    items: list[CampaignSummary]
    next_cursor: str | None
    next_url: str | None


class CreativeRef(BaseModel):
    """One creative of a campaign, by its identity."""

    product_id: str = Field(min_length=1, max_length=64)
    aspect_ratio: str = Field(min_length=1, max_length=16, examples=["9:16"])
    locale: str = Field(min_length=1, max_length=35, examples=["es-MX"])

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.product_id, self.aspect_ratio, self.locale)


class ReviewRequest(BaseModel):
    """One decision on one or more creatives (a bulk approval is one request)."""

    model_config = ConfigDict(extra="forbid")

    decision: ReviewDecision
    comment: str = Field(
        "",
        max_length=MAX_COMMENT,
        description="Why; required to reject (what to change), optional to approve.",
    )
    reviewer: str = Field(
        min_length=1, max_length=MAX_REVIEWER, description="The person deciding, by name."
    )
    creatives: list[CreativeRef] = Field(min_length=1, max_length=1000)


class ReviewPublic(BaseModel):
    """A person's decision on a creative, and the API key that recorded it."""

    product_id: str
    aspect_ratio: str
    locale: str
    decision: ReviewDecision
    comment: str
    reviewer: str
    recorded_by: str = Field(description='The API key: "key <name> (<prefix>)".')
    reviewed_at: datetime

    @classmethod
    def of(cls, review: Review) -> ReviewPublic:
        return cls(
            product_id=review.product_id,
            aspect_ratio=review.aspect_ratio,
            locale=review.locale,
            decision=review.decision,
            comment=review.comment,
            reviewer=review.reviewer,
            recorded_by=review.api_key,
            reviewed_at=review.created_at,
        )


class ReviewList(BaseModel):
    campaign_id: str
    items: list[ReviewPublic]


class CreativePublic(BaseModel):
    """A finished creative with its compliance findings and where to download it."""

    product_id: str
    aspect_ratio: str
    locale: str
    format: str | None
    width: int | None
    height: int | None
    status: CreativeStatus
    path: str
    cost_usd: float
    source: str | None
    provider: str | None
    alt_text: str | None
    message: str | None = Field(description="The copy on the creative, in its locale.")
    cached: bool = Field(description="Its source came from the generation cache.")
    corrections: list[str] = Field(description="What the checks corrected, in words.")
    compliance: list[Finding]  # the manifest's own finding record: one contract, not two
    review: ReviewPublic | None = Field(description="Its latest review; null: awaiting one.")
    download_url: str | None
    created_at: datetime

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.product_id, self.aspect_ratio, self.locale)


class CreativeList(BaseModel):
    campaign_id: str
    items: list[CreativePublic]


class AlertPublic(BaseModel):
    """An alert of the monitoring agent: what, how bad, the numbers, what to do."""

    id: str
    campaign_id: str | None
    rule: str
    severity: Severity
    status: AlertStatus
    summary: str
    evidence: dict[str, Any]
    action: str = Field(description="The suggested action.")
    occurrences: int
    first_seen_at: datetime
    last_seen_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None

    @classmethod
    def of(cls, alert: Alert) -> AlertPublic:
        return cls(**{name: getattr(alert, name) for name in cls.model_fields})


class AlertList(BaseModel):
    items: list[AlertPublic]


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    checks: dict[str, str]


BreakerState = Literal["closed", "open", "half-open"]


class ProviderStatus(BaseModel):
    """One provider over the window: its circuit breaker and what every worker's calls say."""

    name: str
    offline: bool = Field(description="The procedural generator: the offline last resort.")
    configured: bool = Field(description="In the deployment's routing chain.")
    breaker: BreakerState | None = Field(description="Null when it cannot be seen from here.")
    breaker_note: str | None = Field(description="Why breaker is null.")
    calls: int = Field(description="Calls that reached the provider (cache hits left out).")
    failures: int = Field(description="Calls that failed or found it down (not refusals).")
    cached: int = Field(description="Images the generation cache gave instead of a call.")
    error_rate: float = Field(description="failures / calls; 0 without calls.")
    latency_p50_s: float | None = Field(description="Median latency of the successful calls.")
    latency_p95_s: float | None = Field(description="P95 latency of the successful calls.")
    spend_usd: float


class ProviderList(BaseModel):
    window_hours: int
    redis_shared: bool = Field(description="Breakers are shared by every worker through Redis.")
    items: list[ProviderStatus]


NAME_MAX, REASON_MAX = 80, 300  # characters: a role or a name, a reason
Role = Annotated[str, Field(min_length=1, max_length=NAME_MAX)]
PersonName = Annotated[str | None, Field(min_length=1, max_length=NAME_MAX)]
Reason = Annotated[
    str | None,
    Field(min_length=1, max_length=REASON_MAX, description="Why it is late, in plain words."),
]


class OptionIn(BaseModel):
    """A way forward the audience could pick, with what it costs them."""

    option: str = Field(min_length=1, max_length=300)
    tradeoff: str = Field(min_length=1, max_length=300)

    def choice(self) -> Choice:
        return Choice(option=self.option, tradeoff=self.tradeoff)


class DraftRequest(BaseModel):
    """Who a stakeholder update is for and from, and what the sender knows that the platform
    does not; the rest comes from the campaign's alerts, creatives and error."""

    model_config = ConfigDict(extra="forbid")

    audience: Role = Field("Campaign stakeholders", description="Who reads it, by role.")
    audience_name: PersonName = Field(None, description="The reader's name, for the greeting.")
    sender: PersonName = Field(None, description="Who signs it (a name).")
    sender_role: Role = Field("Creative operations", description="The signer's role or team.")
    reason: Reason = None
    new_eta: date | None = Field(None, description="The new delivery date.")
    options: list[OptionIn] = Field(default_factory=list, max_length=5)


class DraftedUpdate(BaseModel):
    """A stakeholder update, drafted and recorded in the campaign's audit trail, never sent."""

    campaign_id: str
    subject: str
    body: str
    written_by: str = Field(description='"<provider>:<model>", or "template".')
    fallback_reason: str | None = Field(None, description="Why the template wrote it.")
    sent: bool = Field(False, description="Never: a draft is for a person to read and send.")

    @classmethod
    def of(cls, campaign_id: str, draft: Draft) -> DraftedUpdate:
        return cls(
            campaign_id=campaign_id,
            subject=draft.subject,
            body=draft.body,
            written_by=draft.written_by,
            fallback_reason=draft.fallback_reason,
        )


def summary(campaign: Campaign, url_for: UrlFor) -> CampaignSummary:
    return CampaignSummary(**_summary_fields(campaign, url_for))


def _summary_fields(campaign: Campaign, url_for: UrlFor) -> dict[str, Any]:
    return {
        "id": campaign.id,
        "brief_campaign_id": campaign.brief_campaign_id,
        "name": str(campaign.brief.get("campaign_name", "")),
        "state": campaign.state,
        "cancel_requested": campaign.cancel_requested,
        "progress": Progress(
            creatives_done=campaign.creatives_done,
            creatives_expected=campaign.creatives_expected,
        ),
        "cost_usd": campaign.cost_usd,
        "error": campaign.error,
        "created_at": campaign.created_at,
        "started_at": campaign.started_at,
        "finished_at": campaign.finished_at,
        "status_url": url_for("get_campaign", campaign_id=campaign.id),
    }


def public(
    campaign: Campaign,
    creatives: list[Creative],
    url_for: UrlFor,
    events: list[Event] | None = None,
) -> CampaignPublic:
    links = CampaignLinks(
        creatives=url_for("list_creatives", campaign_id=campaign.id),
        archive=url_for("download_archive", campaign_id=campaign.id),
        retry=url_for("retry_campaign", campaign_id=campaign.id),
        cancel=url_for("cancel_campaign", campaign_id=campaign.id),
    )
    return CampaignPublic(
        **_summary_fields(campaign, url_for),
        attempts=campaign.attempts,
        updated_at=campaign.updated_at,
        webhook_url=campaign.webhook_url,
        creatives=[
            CreativeProgress(
                product_id=c.product_id,
                aspect_ratio=c.aspect_ratio,
                locale=c.locale,
                status=c.status,
            )
            for c in creatives
        ],
        links=links,
        events=None if events is None else [_event(e) for e in events],
        brief=campaign.brief,
    )


def _event(event: Event) -> EventPublic:
    return EventPublic(
        kind=event.kind,
        from_state=event.from_state,
        to_state=event.to_state,
        detail=event.detail,
        created_at=event.created_at,
    )


def creative(item: Creative, url_for: UrlFor, review: Review | None = None) -> CreativePublic:
    """The creative as the API shows it, with its latest review (store.reviews) if any."""
    record = item.record
    findings = [
        Finding.model_validate(f) for f in record.get("compliance", []) if isinstance(f, dict)
    ]
    return CreativePublic(
        product_id=item.product_id,
        aspect_ratio=item.aspect_ratio,
        locale=item.locale,
        format=record.get("format"),
        width=record.get("width"),
        height=record.get("height"),
        status=item.status,
        path=item.path,
        cost_usd=item.cost_usd,
        source=record.get("source"),
        provider=record.get("provider"),
        alt_text=record.get("alt_text"),
        message=record.get("message"),
        cached=bool(record.get("cached", False)),
        corrections=[str(c) for c in record.get("corrections", [])],
        compliance=findings,
        review=None if review is None else ReviewPublic.of(review),
        # a failed creative has no file
        download_url=url_for("download_file", campaign_id=item.campaign_id, path=item.path)
        if item.path and item.status is not CreativeStatus.FAILED
        else None,
        created_at=item.created_at,
    )
