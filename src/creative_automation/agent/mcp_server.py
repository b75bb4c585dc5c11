"""The MCP server: the platform's tools and resources for an AI assistant (official `mcp` SDK)."""

# No `from __future__ import annotations`: the SDK reads each tool's signature for its input
# schema, and these closures' Annotated limits name this function's locals (the settings).

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Literal, TypeVar

import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp_types import ToolAnnotations
from pydantic import Field

from ..errors import CreativeAutomationError
from ..service.api.problems import kind_of
from ..service.api.schemas import (
    CreativeRef,
    DraftedUpdate,
    OptionIn,
    PersonName,
    Reason,
    ReviewList,
    Role,
)
from ..service.context import Service
from ..storage import ApiKey, CampaignState, ReviewDecision
from ..storage.reviews import MAX_COMMENT, MAX_REVIEWER
from . import mcp_tools as tools
from . import updates
from .comms import Person
from .mcp_tools import Access, AlertFilter

log = logging.getLogger(__name__)
T = TypeVar("T")
SCOPE_KEY = "cap.api_key"  # where the HTTP wrapper leaves the caller's authenticated key
READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
WRITES = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False)
INSTRUCTIONS = """\
The Creative Automation Platform turns a campaign brief (YAML or JSON: products, formats,
locales, copy, brand) into localized ad creatives, each checked for compliance (contrast, logo,
legal copy, brand colours), with a manifest.json and a report.html per campaign.
Check a brief with validate_brief before submit_brief; a submitted campaign runs on the
platform's workers: follow it with get_campaign until its state is final (succeeded,
partially_succeeded, failed, cancelled). Explain results from get_creatives and get_findings
(only problems by default), the open alerts from list_alerts, and read the
cap://campaigns/{campaign_id}/manifest and .../report resources for the full record.
Every finding has a measured value and threshold: quote them rather than guess. For a late or
troubled campaign, draft_update drafts the stakeholder email (never sent): show it to the user.
review_creatives records a person's approval or rejection (with why); only when they decided it.
"""

CampaignId = Annotated[
    str,
    Field(min_length=1, max_length=64, description="The id submit_brief or list_campaigns gave."),
]
Syntax = Annotated[Literal["yaml", "json"], Field(description="The brief's syntax.")]


def build_mcp_server(service: Service, *, key: ApiKey | None = None) -> MCPServer:
    """The platform as an MCP server. Over stdio (and in-process) the caller acts as `key`, or
    as the local user with full access, like the CLI, when it is None; over HTTP every request
    acts as the key its HTTP wrapper authenticated (`mcp_http`), and a request without one is
    refused."""
    local = Access(key)
    settings = service.settings
    server = MCPServer(
        "creative-automation",
        title="Creative Automation Platform",
        instructions=INSTRUCTIONS,
        # the SDK configures the root logger when nothing has yet; at INFO that would print
        # httpx's request lines (webhook URLs hold tokens) in a process that never asked
        log_level="WARNING",
    )
    BriefText = Annotated[
        str,
        Field(
            min_length=1,
            max_length=settings.max_brief_bytes,
            description="The whole brief, as YAML or JSON text.",
        ),
    ]

    def access(ctx: Context) -> Access:
        request = ctx.request_context.request
        if request is None:
            return local
        found = getattr(request, "scope", {}).get(SCOPE_KEY)
        if not isinstance(found, ApiKey):  # an HTTP request that bypassed the key check
            raise ToolError("send an API key as 'Authorization: Bearer <key>' or 'X-API-Key'")
        return Access(found)

    @server.tool(annotations=READ_ONLY)
    def validate_brief(brief: BriefText, format: Syntax = "yaml") -> tools.BriefCheck:
        """Check a brief as a submission is checked, without submitting it: valid with the
        number of creatives it makes, or every problem with its field path."""
        return _run(lambda: tools.validate_brief(service, brief, format))

    @server.tool(annotations=WRITES)
    def submit_brief(
        ctx: Context,
        brief: BriefText,
        format: Syntax = "yaml",
        idempotency_key: Annotated[
            str | None,
            Field(
                min_length=1,
                max_length=255,
                pattern=r"^[\x21-\x7e]+$",
                description="The same key with the same brief returns the same campaign.",
            ),
        ] = None,
    ) -> tools.SubmittedCampaign:
        """Submit a brief: checked in full, then queued for the workers (needs the write scope).
        Returns the campaign id to follow with get_campaign."""
        return _run(
            lambda: tools.submit_brief(service, access(ctx), brief, format, idempotency_key)
        )

    @server.tool(annotations=READ_ONLY)
    def list_campaigns(
        ctx: Context,
        state: CampaignState | None = None,
        limit: Annotated[int, Field(ge=1, le=100)] = 20,
        cursor: Annotated[str | None, Field(max_length=64, description="A next_cursor.")] = None,
    ) -> tools.CampaignList:
        """Campaigns newest first (the caller's own; every one for an admin key)."""
        return _run(lambda: tools.list_campaigns(service, access(ctx), state, limit, cursor))

    @server.tool(annotations=READ_ONLY)
    def get_campaign(ctx: Context, campaign_id: CampaignId) -> tools.CampaignStatus:
        """A campaign's state, progress (creatives done of expected), cost, error and times."""
        return _run(lambda: tools.get_campaign(service, access(ctx), campaign_id))

    @server.tool(annotations=READ_ONLY)
    def get_creatives(
        ctx: Context,
        campaign_id: CampaignId,
        product: Annotated[str | None, Field(max_length=200)] = None,
        locale: Annotated[str | None, Field(max_length=35)] = None,
    ) -> tools.CreativeItems:
        """A campaign's creatives: product, format, locale, status, provider, source, cost,
        and path; optionally one product's or one locale's."""
        return _run(lambda: tools.get_creatives(service, access(ctx), campaign_id, product, locale))

    @server.tool(annotations=READ_ONLY)
    def get_findings(
        ctx: Context, campaign_id: CampaignId, only_problems: bool = True
    ) -> tools.FindingsReport:
        """Compliance findings per creative (check, status, value, threshold, detail) and the
        corrections made; only warnings and failures unless only_problems is false."""
        return _run(lambda: tools.get_findings(service, access(ctx), campaign_id, only_problems))

    @server.tool(annotations=READ_ONLY)
    def list_alerts(
        ctx: Context,
        status: AlertFilter = "open",
        campaign_id: Annotated[str | None, Field(min_length=1, max_length=64)] = None,
        limit: Annotated[int, Field(ge=1, le=100)] = 50,
    ) -> tools.AlertList:
        """The monitoring agent's alerts, newest first: rule, severity, summary, evidence and
        the action it recommends."""
        return _run(lambda: tools.list_alerts(service, access(ctx), status, campaign_id, limit))

    @server.tool(annotations=WRITES)
    def review_creatives(
        ctx: Context,
        campaign_id: CampaignId,
        decision: ReviewDecision,
        reviewer: Annotated[
            str, Field(min_length=1, max_length=MAX_REVIEWER, description="The person, by name.")
        ],
        creatives: Annotated[list[CreativeRef], Field(min_length=1, max_length=1000)],
        comment: Annotated[
            str, Field(max_length=MAX_COMMENT, description="Required to reject: what to change.")
        ] = "",
    ) -> ReviewList:
        """Approve or reject creatives (product_id, aspect_ratio, locale each) on behalf of
        the named person, who must have decided it: never approve on your own judgement. The
        latest decision counts; the campaign's manifest and report show it."""
        return _run(
            lambda: tools.review_creatives(
                service, access(ctx), campaign_id, decision, reviewer, creatives, comment
            )
        )

    @server.tool(annotations=READ_ONLY)
    def list_reviews(ctx: Context, campaign_id: CampaignId, history: bool = False) -> ReviewList:
        """Each reviewed creative's current decision (who, when, why), or every decision."""
        return _run(lambda: tools.list_reviews(service, access(ctx), campaign_id, history))

    @server.tool(annotations=WRITES)
    async def draft_update(
        ctx: Context,
        campaign_id: CampaignId,
        audience: Annotated[Role, Field(description="Who reads it: 'Customer leadership'.")],
        audience_name: PersonName = None,
        sender_name: PersonName = None,
        sender_role: Role = "Creative operations",
        reason: Reason = None,
        new_eta: Annotated[date | None, Field(description="The new delivery date.")] = None,
        options: Annotated[list[OptionIn], Field(max_length=5)] = [],  # noqa: B006 (read only)
    ) -> DraftedUpdate:
        """Draft an email to stakeholders about the campaign's delay or trouble, from its
        alerts, failed creatives and error (the chat model writes it when configured, else a
        template). It is never sent; it is recorded in the campaign's audit trail."""
        caller = access(ctx)

        async def draft() -> DraftedUpdate:
            await anyio.to_thread.run_sync(caller.writable, service, campaign_id)
            update = await updates.draft_update(
                service,
                campaign_id,
                audience=Person(role=audience, name=audience_name),
                sender=Person(role=sender_role, name=sender_name),
                reason=reason,
                new_eta=new_eta,
                options=[o.choice() for o in options],
            )
            return DraftedUpdate.of(campaign_id, update.draft)

        return await _arun(draft)

    @server.resource(
        "cap://campaigns/{campaign_id}/manifest",
        name="manifest",
        description="A finished campaign's manifest.json: every creative with its record.",
        mime_type="application/json",
    )
    def manifest(campaign_id: str, ctx: Context) -> str:
        return _read(lambda: tools.read_output(service, access(ctx), campaign_id, "manifest.json"))

    @server.resource(
        "cap://campaigns/{campaign_id}/report",
        name="report",
        description="A finished campaign's report.html: creatives, findings, corrections.",
        mime_type="text/html",
    )
    def report(campaign_id: str, ctx: Context) -> str:
        return _read(lambda: tools.read_output(service, access(ctx), campaign_id, "report.html"))

    return server


def _message(exc: CreativeAutomationError) -> str:
    """The error's one readable block when it is about the request; otherwise its kind, with
    the detail kept in the log (a database URL or a path is not the assistant's business)."""
    if kind_of(exc).expose:
        return str(exc)
    error_id = uuid.uuid4().hex[:12]
    log.error("MCP call failed [%s]: %s", error_id, exc)
    return f"{kind_of(exc).title}; try again later (error id {error_id})"


def _run(call: Callable[[], T]) -> T:
    try:
        return call()
    except CreativeAutomationError as exc:
        raise ToolError(_message(exc)) from None


async def _arun(call: Callable[[], Awaitable[T]]) -> T:
    try:
        return await call()
    except CreativeAutomationError as exc:
        raise ToolError(_message(exc)) from None


def _read(call: Callable[[], bytes]) -> str:
    try:
        return call().decode("utf-8")
    except CreativeAutomationError as exc:
        raise ResourceError(_message(exc)) from None


__all__ = ["INSTRUCTIONS", "SCOPE_KEY", "build_mcp_server"]
