"""The MCP draft_update tool's body: a stakeholder update drafted from the store's facts."""

from __future__ import annotations

from datetime import date

import anyio.to_thread
from pydantic import BaseModel, Field

from ..service.context import Service
from ..settings import Settings
from ..storage import Scope
from .comms import Choice, MessageWriter, Person, StakeholderContext, draft_message, record_draft
from .context import context_for
from .mcp_tools import Access


class OptionIn(BaseModel):
    """A way forward the audience could pick, with what it costs them."""

    option: str = Field(min_length=1, max_length=300)
    tradeoff: str = Field(min_length=1, max_length=300)


class DraftedUpdate(BaseModel):
    campaign_id: str
    subject: str
    body: str
    written_by: str = Field(description='"<provider>:<model>", or "template".')
    fallback_reason: str | None = Field(None, description="Why the template wrote it.")
    sent: bool = Field(False, description="Never: a draft is for a person to read and send.")


def writer(settings: Settings) -> MessageWriter | None:
    """The configured chat model when it can write JSON (OpenAI), else None: the template."""
    from ..providers.openai_text import OpenAITextProvider
    from ..providers.setup import build_text_provider

    provider = build_text_provider(settings)
    return provider if isinstance(provider, OpenAITextProvider) else None


async def draft_update(
    service: Service,
    access: Access,
    campaign_id: str,
    *,
    audience: Person,
    sender: Person,
    reason: str | None,
    new_eta: date | None,
    options: list[OptionIn],
) -> DraftedUpdate:
    """Draft (never send) the update and record it in the campaign's audit trail. It needs the
    write scope: it writes that trail and may spend the deployment's model credit."""

    def prepare() -> StakeholderContext:
        access.require(Scope.WRITE)
        access.campaign(service, campaign_id)
        return context_for(
            service,
            campaign_id,
            audience=audience,
            sender=sender,
            reason=reason,
            new_eta=new_eta,
            options=[Choice(option=o.option, tradeoff=o.tradeoff) for o in options],
        )

    # the store is blocking: off the event loop, which serves every other MCP session too
    context = await anyio.to_thread.run_sync(prepare)
    draft = await draft_message(context, writer(service.settings))
    await anyio.to_thread.run_sync(record_draft, service, campaign_id, draft)
    return DraftedUpdate(
        campaign_id=campaign_id,
        subject=draft.subject,
        body=draft.body,
        written_by=draft.written_by,
        fallback_reason=draft.fallback_reason,
    )


__all__ = ["DraftedUpdate", "OptionIn", "draft_update", "writer"]
