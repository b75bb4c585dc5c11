"""Stakeholder updates: the context a drafter sees, the model drafter and its template twin."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import ProviderError
from ..prompts import template

if TYPE_CHECKING:
    from ..service.context import Service

SUBJECT_MAX = 120
BODY_MAX = 2000
TEMPLATE = "template"
# What a model writes when it does not know a fact: "[Name]", "{date}", "<Customer Name>".
_PLACEHOLDER = re.compile(r"\[[^\]\n]{1,40}\]|[{}]|<[A-Z][^<>\n]{0,40}>|\bX{2,}\b")
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class CampaignFacts(_Strict):
    """The campaign as the audience knows it, and how far along it is."""

    id: str
    name: str = Field(min_length=1, max_length=120)
    state: str
    creatives_done: int = Field(ge=0)
    creatives_expected: int = Field(ge=0)
    due: date | None = None


class Person(_Strict):
    """Who reads or who signs the email; `name` is None when only the role is known."""

    role: str = Field(min_length=1, max_length=80)
    name: str | None = Field(default=None, min_length=1, max_length=80)

    @property
    def addressed(self) -> str:
        return self.name or self.role


class Issue(_Strict):
    """One thing that is late or blocked, and why."""

    what: str = Field(min_length=1, max_length=300)
    why: str = Field(min_length=1, max_length=300)
    since: date | None = None


class Choice(_Strict):
    """A way forward the audience could pick, with what it costs them."""

    option: str = Field(min_length=1, max_length=300)
    tradeoff: str = Field(min_length=1, max_length=300)


class StakeholderContext(_Strict):
    """Everything the drafter knows: the model sees exactly `model_dump_json()` of this."""

    campaign: CampaignFacts
    audience: Person
    sender: Person
    issues: tuple[Issue, ...] = ()
    evidence: tuple[str, ...] = ()
    options: tuple[Choice, ...] = ()
    new_eta: date | None = None
    confirm_eta_by: date | None = None  # without new_eta: when a new date will be known
    tone: str = "plain, calm, no jargon"

    def digest(self) -> str:
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


class MessageWriter(Protocol):
    """A model that answers a system and a user message with a JSON object."""

    name: str
    model: str

    async def write_json(self, system: str, user: str) -> dict[str, Any]:
        """The answer as a JSON object; raises ProviderError subclasses when it cannot."""
        ...


@dataclass(frozen=True)
class Draft:
    """A drafted email and who wrote it: "<provider>:<model>" or "template"."""

    subject: str
    body: str
    written_by: str
    context_sha256: str
    fallback_reason: str | None = None  # why the template wrote it although a model was set


class _Answer(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")

    subject: str = Field(min_length=1, max_length=SUBJECT_MAX)
    body: str = Field(min_length=1, max_length=BODY_MAX)

    @field_validator("subject", "body")
    @classmethod
    def _written_out(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("is blank")
        if (found := _PLACEHOLDER.search(value)) is not None:
            raise ValueError(f"contains a placeholder {found.group()!r}")
        return value

    @field_validator("subject")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if "\n" in value or "\r" in value:
            raise ValueError("is more than one line")
        return value


def check_answer(answer: dict[str, Any], context: StakeholderContext) -> tuple[str, str]:
    """(subject, body) of a model's answer; ValueError says what makes it unusable."""
    try:
        valid = _Answer.model_validate(answer)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'answer'}: {e['msg']}" for e in exc.errors()
        )
        raise ValueError(problems) from None
    name = context.campaign.name.casefold()
    if name not in valid.subject.casefold() and name not in valid.body.casefold():
        raise ValueError(f"it does not mention the campaign {context.campaign.name!r}")
    return valid.subject, valid.body


async def draft_message(context: StakeholderContext, writer: MessageWriter | None) -> Draft:
    """The email for `context`: the writer's when it gives a valid one, else the template's."""
    digest = context.digest()
    if writer is None:
        return Draft(*template_message(context), TEMPLATE, digest)
    try:
        answer = await writer.write_json(
            template("stakeholder_system.txt"), context.model_dump_json()
        )
        subject, body = check_answer(answer, context)
    except ProviderError as exc:
        reason = f"{writer.name} could not write it: {exc}"
    except ValueError as exc:  # one invalid answer is enough: the template is always right
        reason = f"{writer.name}'s answer was invalid: {exc}"
    else:
        return Draft(subject, body, f"{writer.name}:{writer.model}", digest)
    return Draft(*template_message(context), TEMPLATE, digest, fallback_reason=reason)


def day(value: date) -> str:
    """ "4 June 2025": the same in every locale (strftime's %B is not)."""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def template_subject(context: StakeholderContext) -> str:
    """One line naming the campaign and the news, at most SUBJECT_MAX characters."""
    if not context.issues:
        news = "progress update"
    elif context.new_eta is not None:
        news = f"delayed, new delivery date {day(context.new_eta)}"
    else:
        news = "delayed, new delivery date to follow"
    room = SUBJECT_MAX - len(news) - 2
    name = " ".join(context.campaign.name.split())
    name = name if len(name) <= room else name[: room - 1].rstrip() + "…"
    return f"{name}: {news}"


def _opening(context: StakeholderContext) -> str:
    c = context.campaign
    progress = f"{c.creatives_done} of {c.creatives_expected} creatives are ready"
    due = f" It was due on {day(c.due)}." if c.due else ""
    if not context.issues:
        return f"Here is where the {c.name} campaign stands: {progress}.{due}"
    if c.creatives_expected and c.creatives_done >= c.creatives_expected:
        # every creative made, yet something holds the delivery: say so, not "running late"
        return (
            f"All {c.creatives_expected} creatives of the {c.name} campaign are ready, but "
            f"its delivery is held up.{due}"
        )
    return f"The {c.name} campaign is running late: {progress}.{due}"


def _eta(context: StakeholderContext) -> str:
    if context.new_eta is not None:
        return f"Our new delivery date is {day(context.new_eta)}."
    if context.confirm_eta_by is not None:
        return f"We will confirm a new delivery date by {day(context.confirm_eta_by)}."
    return "We will confirm a new delivery date as soon as this is resolved."


def template_message(context: StakeholderContext) -> tuple[str, str]:
    """(subject, body) written from the context alone: the same context, the same bytes."""
    lines = [f"Dear {context.audience.addressed},", "", _opening(context)]
    if context.issues:
        lines += ["", "What happened:"]
        for issue in context.issues:
            since = f" (since {day(issue.since)})" if issue.since else ""
            lines.append(f"- {issue.what.strip().rstrip('.')}{since}: {_sentence(issue.why)}")
    if context.evidence:
        lines += ["", "The facts:", *(f"- {_sentence(fact)}" for fact in context.evidence)]
    if context.options:
        lines += ["", "Options:"]
        lines += [
            f"- {c.option.strip().rstrip('.')}: {_sentence(c.tradeoff)}" for c in context.options
        ]
    if context.issues:
        lines += ["", _eta(context)]
    if context.options:
        lines.append("Please reply with the option you prefer, or with any questions.")
    elif context.issues:
        lines.append("Please reply if you have any questions.")
    sender = context.sender
    lines += ["", "Best regards,", *([sender.name] if sender.name else []), sender.role]
    return template_subject(context), "\n".join(lines) + "\n"


def record_draft(service: Service, campaign_id: str, draft: Draft) -> None:
    """The draft in the campaign's audit trail, with who wrote it and from what context."""
    detail = {
        "subject": draft.subject,
        "body": draft.body,
        "written_by": draft.written_by,
        "context_sha256": draft.context_sha256,
        "fallback_reason": draft.fallback_reason,
    }
    service.store.record_event("stakeholder_draft", detail, campaign_id=campaign_id)


__all__ = [
    "CampaignFacts",
    "Choice",
    "Draft",
    "Issue",
    "MessageWriter",
    "Person",
    "StakeholderContext",
    "check_answer",
    "day",
    "draft_message",
    "record_draft",
    "template_message",
    "template_subject",
]
