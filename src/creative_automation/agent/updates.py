"""A stakeholder update drafted from the store's facts and recorded: the one flow behind
`cap draft-update`, the MCP draft_update tool and POST /v1/campaigns/{id}/stakeholder-draft."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import partial

import anyio.to_thread

from ..service.context import Service
from ..settings import Settings
from .comms import (
    Choice,
    Draft,
    MessageWriter,
    Person,
    StakeholderContext,
    draft_message,
    record_draft,
)
from .context import context_for


@dataclass(frozen=True)
class StakeholderUpdate:
    """The draft and the context it was written from (the CLI's --json prints both)."""

    context: StakeholderContext
    draft: Draft


def writer(settings: Settings) -> MessageWriter | None:
    """The configured chat model when it can write JSON (OpenAI), else None: the template."""
    from ..providers.openai_text import OpenAITextProvider
    from ..providers.setup import build_text_provider

    provider = build_text_provider(settings)
    return provider if isinstance(provider, OpenAITextProvider) else None


async def draft_update(
    service: Service,
    campaign_id: str,
    *,
    audience: Person,
    sender: Person,
    reason: str | None = None,
    new_eta: date | None = None,
    options: Iterable[Choice] = (),
) -> StakeholderUpdate:
    """Draft (never send) the update and record it in the campaign's audit trail; NotFound
    for an unknown campaign. Who may is the caller's to check: it writes that trail and may
    spend the deployment's model credit, so it needs the write scope."""
    # the store is blocking: off the event loop, which may be serving other requests
    prepare = partial(
        context_for,
        service,
        campaign_id,
        audience=audience,
        sender=sender,
        reason=reason,
        new_eta=new_eta,
        options=tuple(options),
    )
    context = await anyio.to_thread.run_sync(prepare)
    draft = await draft_message(context, writer(service.settings))
    await anyio.to_thread.run_sync(record_draft, service, campaign_id, draft)
    return StakeholderUpdate(context, draft)


__all__ = ["StakeholderUpdate", "draft_update", "writer"]
