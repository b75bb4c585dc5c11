"""The MCP tools' bodies: the API's checks, visibility rules and record shapes, framework-free."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from ..brief import BriefSyntax
from ..compliance.findings import Finding
from ..errors import BriefError, NotReady, PayloadTooLarge, PermissionDenied
from ..service import campaigns as actions
from ..service import reviews
from ..service.api.deps import visible
from ..service.api.intake import Submission, brief_from_text, check_renderable
from ..service.api.schemas import (
    AlertPublic,
    CampaignFields,
    CreativeProgress,
    CreativeRef,
    FieldProblem,
    ReviewList,
    ReviewPublic,
    creative,
    public,
)
from ..service.context import Service
from ..settings import Settings
from ..storage import (
    AlertStatus,
    ApiKey,
    Campaign,
    CampaignState,
    CreativeStatus,
    ReviewDecision,
    Scope,
)

AlertFilter = Literal["open", "acknowledged", "resolved", "unresolved", "all"]
PROBLEMS = ("warn", "fail")
_STATUSES: dict[str, tuple[AlertStatus, ...] | None] = {
    "open": (AlertStatus.OPEN,),
    "acknowledged": (AlertStatus.ACKNOWLEDGED,),
    "resolved": (AlertStatus.RESOLVED,),
    "unresolved": (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED),
    "all": None,
}


def _no_url(name: str, **params: str) -> str:
    return ""  # the API's serialisers want URLs; the MCP records leave them out


@dataclass(frozen=True)
class Access:
    """Who is calling: an API key (over HTTP), or None for the local user (stdio), who may do
    everything, as with the CLI."""

    key: ApiKey | None = None

    def require(self, scope: Scope) -> None:
        if self.key is not None and not self.key.allows(scope):
            raise PermissionDenied(
                f"this needs a key with the {scope} scope; this key is {self.key.scope}"
            )

    def campaign(self, service: Service, campaign_id: str) -> Campaign:
        """The campaign if the caller may read it; NotFound otherwise (as the API answers)."""
        self.require(Scope.READ)
        found = service.store.get_campaign(campaign_id)
        return found if self.key is None else visible(self.key, found)

    def writable(self, service: Service, campaign_id: str) -> Campaign:
        """The campaign if the caller may act on it: it sees it, with the write scope."""
        self.require(Scope.WRITE)
        return self.campaign(service, campaign_id)

    @property
    def label(self) -> str:
        """Who records what this caller does: the key, or the local user of `cap mcp`."""
        return self.key.label if self.key is not None else "local user (cap mcp)"

    @property
    def owner(self) -> str | None:
        """The key whose campaigns alone the caller sees; None: every campaign."""
        return None if self.key is None or self.key.scope is Scope.ADMIN else self.key.id


class BriefCheck(BaseModel):
    valid: bool
    creatives: int | None = Field(None, description="products × formats × locales, if valid")
    problems: list[FieldProblem] = Field(default_factory=list)
    message: str | None = Field(None, description="Every problem as one readable block.")


class SubmittedCampaign(BaseModel):
    id: str
    state: CampaignState
    created: bool = Field(description="False: the idempotency_key named this campaign already.")
    queue_error: str | None = Field(None, description="Why it waits in the store, not the queue.")


class CampaignList(BaseModel):
    items: list[CampaignFields]
    next_cursor: str | None


class CampaignStatus(CampaignFields):
    """A campaign's full status: the API's, without its links."""

    attempts: int
    updated_at: datetime
    creatives: list[CreativeProgress]


class CreativeItem(BaseModel):
    product_id: str
    aspect_ratio: str
    format: str | None
    locale: str
    width: int | None
    height: int | None
    status: CreativeStatus
    source: str | None
    provider: str | None
    cost_usd: float
    path: str = Field(description="Relative to the campaign folder (see its manifest).")
    alt_text: str | None


class CreativeItems(BaseModel):
    campaign_id: str
    items: list[CreativeItem]


class CreativeFindings(BaseModel):
    product_id: str
    aspect_ratio: str
    locale: str
    status: CreativeStatus
    findings: list[Finding]
    corrections: list[str] = Field(description="What the pipeline changed to pass a check.")


class FindingsReport(BaseModel):
    campaign_id: str
    checked: int = Field(description="Creatives with findings, before the problem filter.")
    items: list[CreativeFindings]


class AlertList(BaseModel):
    items: list[AlertPublic]


def read_brief(text: str, syntax: BriefSyntax, settings: Settings) -> Submission:
    """The brief checked as the API checks a request body: size, shape, limits, fonts."""
    raw = text.encode("utf-8", "surrogatepass")  # a lone surrogate is named by the shape check
    if len(raw) > settings.max_brief_bytes:
        raise PayloadTooLarge(
            f"the brief is {len(raw)} bytes; the limit is {settings.max_brief_bytes} "
            "(CAP_MAX_BRIEF_BYTES)"
        )
    submission = brief_from_text(raw, syntax, settings)
    check_renderable(submission, "brief")
    return submission


def validate_brief(service: Service, text: str, syntax: BriefSyntax) -> BriefCheck:
    try:
        submission = read_brief(text, syntax, service.settings)
    except BriefError as exc:
        problems = [FieldProblem(path=p.path, message=p.message) for p in exc.problems]
        return BriefCheck(valid=False, problems=problems, message=str(exc))
    return BriefCheck(valid=True, creatives=submission.creatives)


def submit_brief(
    service: Service, access: Access, text: str, syntax: BriefSyntax, idempotency_key: str | None
) -> SubmittedCampaign:
    access.require(Scope.WRITE)
    submission = read_brief(text, syntax, service.settings)
    submitted = actions.submit(
        service,
        submission.data,
        creatives=submission.creatives,
        api_key_id=access.key.id if access.key is not None else None,
        idempotency_key=idempotency_key,
    )
    campaign = submitted.campaign
    return SubmittedCampaign(
        id=campaign.id,
        state=campaign.state,
        created=submitted.created,
        queue_error=submitted.queue_error,
    )


def list_campaigns(
    service: Service,
    access: Access,
    state: CampaignState | None,
    limit: int,
    cursor: str | None,
) -> CampaignList:
    access.require(Scope.READ)
    page = service.store.list_campaigns(
        state=state, api_key_id=access.owner, limit=limit, cursor=cursor
    )
    return CampaignList(items=[_item(c) for c in page.items], next_cursor=page.next_cursor)


def _item(campaign: Campaign) -> CampaignFields:
    fields = public(campaign, [], _no_url).model_dump(include=set(CampaignFields.model_fields))
    return CampaignFields.model_validate(fields)


def get_campaign(service: Service, access: Access, campaign_id: str) -> CampaignStatus:
    campaign = access.campaign(service, campaign_id)
    status = public(campaign, service.store.creatives(campaign.id), _no_url)
    return CampaignStatus.model_validate(
        status.model_dump(include=set(CampaignStatus.model_fields))
    )


def get_creatives(
    service: Service, access: Access, campaign_id: str, product: str | None, locale: str | None
) -> CreativeItems:
    campaign = access.campaign(service, campaign_id)
    items = [
        CreativeItem.model_validate(
            creative(c, _no_url).model_dump(include=set(CreativeItem.model_fields))
        )
        for c in service.store.creatives(campaign.id)
        if (product is None or c.product_id == product) and (locale is None or c.locale == locale)
    ]
    return CreativeItems(campaign_id=campaign.id, items=items)


def get_findings(
    service: Service, access: Access, campaign_id: str, only_problems: bool
) -> FindingsReport:
    campaign = access.campaign(service, campaign_id)
    stored = service.store.creatives(campaign.id)
    items = []
    for item in stored:
        findings = creative(item, _no_url).compliance
        if only_problems:
            findings = [f for f in findings if f.status in PROBLEMS]
        corrections = [str(c) for c in item.record.get("corrections", [])]
        if only_problems and not findings:
            continue  # a creative that passed every check, corrections or not
        items.append(
            CreativeFindings(
                product_id=item.product_id,
                aspect_ratio=item.aspect_ratio,
                locale=item.locale,
                status=item.status,
                findings=findings,
                corrections=corrections,
            )
        )
    return FindingsReport(campaign_id=campaign.id, checked=len(stored), items=items)


def list_alerts(
    service: Service, access: Access, status: AlertFilter, campaign_id: str | None, limit: int
) -> AlertList:
    access.require(Scope.READ)
    store = service.store
    ids: list[str] | None = None
    if campaign_id is not None:
        access.campaign(service, campaign_id)
    elif access.owner is not None:
        # as GET /v1/alerts: a key sees its own campaigns' alerts and the deployment's own
        # (provider incidents explain why its campaigns are slow)
        ids = store.campaign_ids(api_key_id=access.owner)
    alerts = store.list_alerts(
        status=_STATUSES[status],
        campaign_id=campaign_id,
        campaign_ids=ids,
        include_global=campaign_id is None,
        limit=limit,
    )
    return AlertList(items=[AlertPublic.of(a) for a in alerts])


def review_creatives(
    service: Service,
    access: Access,
    campaign_id: str,
    decision: ReviewDecision,
    reviewer: str,
    creatives: list[CreativeRef],
    comment: str,
) -> ReviewList:
    """Record a person's decision on creatives, as the API does (the store checks each one
    and the comment; the published manifest and report show it)."""
    campaign = access.writable(service, campaign_id)
    keys = [c.key for c in creatives]
    done = reviews.review(service, campaign.id, keys, decision, comment, reviewer, access.label)
    return ReviewList(campaign_id=campaign.id, items=[ReviewPublic.of(r) for r in done])


def list_reviews(service: Service, access: Access, campaign_id: str, history: bool) -> ReviewList:
    campaign = access.campaign(service, campaign_id)
    found = service.store.reviews(campaign.id, history=history)
    return ReviewList(campaign_id=campaign.id, items=[ReviewPublic.of(r) for r in found])


def read_output(service: Service, access: Access, campaign_id: str, relpath: str) -> bytes:
    """One stored output file of a finished campaign (manifest.json, report.html)."""
    campaign = access.campaign(service, campaign_id)
    if not service.files.exists(campaign.id):
        raise NotReady(f"campaign {campaign.id} is {campaign.state} and has no outputs yet")
    return service.files.read(campaign.id, relpath)
