"""`cap draft-update`: a stakeholder email about a campaign, printed or (with --send) sent."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from .cli_console import err, fail, out
from .errors import CreativeAutomationError, NotFound
from .settings import load_settings

if TYPE_CHECKING:
    from .agent.comms import Choice, Draft, StakeholderContext

USER_ERROR = 2  # as typer's own usage errors


def _choices(values: list[str]) -> list[Choice]:
    from .agent.comms import Choice

    choices = []
    for value in values:
        option, colon, tradeoff = value.partition(":")
        if not colon or not option.strip() or not tradeoff.strip():
            raise typer.BadParameter(
                f"{value!r} is not 'what we could do: what it costs'", param_hint="--option"
            )
        choices.append(Choice(option=option.strip(), tradeoff=tradeoff.strip()))
    return choices


def _print(draft: Draft, context: StakeholderContext, as_json: bool) -> None:
    console = out()
    if as_json:
        payload = {
            "subject": draft.subject,
            "body": draft.body,
            "written_by": draft.written_by,
            "fallback_reason": draft.fallback_reason,
            "context_sha256": draft.context_sha256,
            "context": json.loads(context.model_dump_json()),
        }
        console.print_json(json.dumps(payload, ensure_ascii=False))
        return
    # markup off: a body may hold brackets, and every character must come out as written
    console.print(f"Subject: {draft.subject}\n", markup=False, highlight=False)
    console.print(draft.body.rstrip("\n"), markup=False, highlight=False, soft_wrap=True)
    by = f"\nwritten by {draft.written_by}"
    if draft.fallback_reason:
        by += f" (fallback: {draft.fallback_reason})"
    console.print(by, markup=False, highlight=False, style="dim", soft_wrap=True)


def draft_update(
    campaign_id: Annotated[str, typer.Argument(help="The campaign's id (cmp_…).")],
    audience: Annotated[
        str, typer.Option("--audience", help="Who reads it, by role: 'Customer leadership'.")
    ],
    audience_name: Annotated[
        str | None, typer.Option("--audience-name", help="The reader's name, for the greeting.")
    ] = None,
    sender: Annotated[str | None, typer.Option("--sender", help="Who signs it (a name).")] = None,
    sender_role: Annotated[
        str, typer.Option("--sender-role", help="The signer's role or team.")
    ] = "Creative operations",
    reason: Annotated[
        str | None,
        typer.Option("--reason", help="Why it is late, in the audience's words."),
    ] = None,
    eta: Annotated[
        datetime | None,
        typer.Option("--eta", formats=["%Y-%m-%d"], help="The new delivery date (YYYY-MM-DD)."),
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--option", help="'What we could do: what it costs' (repeatable).", show_default=False
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the draft and its context as JSON.")
    ] = False,
    send: Annotated[
        bool, typer.Option("--send", help="Email it (CAP_SMTP_*) to every --to address.")
    ] = False,
    to: Annotated[
        list[str] | None,
        typer.Option("--to", help="A recipient for --send (repeatable).", show_default=False),
    ] = None,
) -> None:
    """Draft an email to stakeholders about a campaign's delay: the chat model writes it when
    OPENAI_API_KEY is set, else a template; nothing is sent without --send."""
    recipients = [address.strip() for address in to or () if address.strip()]
    if send and not recipients:
        raise typer.BadParameter("--send needs at least one --to address", param_hint="--to")
    if recipients and not send:
        raise typer.BadParameter("--to only applies with --send", param_hint="--to")
    from pydantic import ValidationError

    from .agent import updates
    from .agent.comms import Person
    from .service.context import build_service

    try:
        choices = _choices(option or [])
        reader, signer = (
            Person(role=audience, name=audience_name),
            Person(role=sender_role, name=sender),
        )
    except ValidationError as exc:  # an empty or overlong name, role or option
        problem = exc.errors()[0]
        raise typer.BadParameter(
            f"{'.'.join(map(str, problem['loc']))}: {problem['msg']}"
        ) from None
    new_eta: date | None = eta.date() if eta else None
    try:
        settings = load_settings()
        service = build_service(settings)
    except CreativeAutomationError as exc:
        fail(exc)
    try:
        service.store.ensure_schema()
        update = asyncio.run(
            updates.draft_update(
                service,
                campaign_id,
                audience=reader,
                sender=signer,
                reason=reason,
                new_eta=new_eta,
                options=choices,
            )
        )
        drafted = update.draft
        _print(drafted, update.context, as_json)
        if send:
            from .agent.channels import build_mailer

            build_mailer(settings).send_message(recipients, drafted.subject, drafted.body)
            service.store.record_event(
                "stakeholder_sent",
                {"to": recipients, "subject": drafted.subject, "written_by": drafted.written_by},
                campaign_id=campaign_id,
            )
            # on stderr under --json, which keeps standard output one JSON document
            (err() if as_json else out()).print(
                f"sent to {', '.join(recipients)}", markup=False, highlight=False
            )
    except NotFound as exc:
        fail(exc, USER_ERROR)
    except CreativeAutomationError as exc:
        fail(exc)
    finally:
        service.close()


__all__ = ["draft_update"]
