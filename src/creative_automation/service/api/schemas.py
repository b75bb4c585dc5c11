"""What the API answers: pydantic models of their own, built from the store's records (the
ORM never reaches a response)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ...compliance.findings import Finding
from ...storage import (
    Alert,
    AlertStatus,
    Campaign,
    CampaignState,
    Creative,
    CreativeStatus,
    Event,
    Severity,
)

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


class CampaignPage(BaseModel):
    items: list[CampaignSummary]
    next_cursor: str | None
    next_url: str | None


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
    compliance: list[Finding]  # the manifest's own finding record: one contract, not two
    download_url: str | None
    created_at: datetime


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
    )


def _event(event: Event) -> EventPublic:
    return EventPublic(
        kind=event.kind,
        from_state=event.from_state,
        to_state=event.to_state,
        detail=event.detail,
        created_at=event.created_at,
    )


def creative(item: Creative, url_for: UrlFor) -> CreativePublic:
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
        compliance=findings,
        # a failed creative has no file
        download_url=url_for("download_file", campaign_id=item.campaign_id, path=item.path)
        if item.path and item.status is not CreativeStatus.FAILED
        else None,
        created_at=item.created_at,
    )
