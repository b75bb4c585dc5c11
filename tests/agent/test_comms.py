"""The stakeholder drafter: the template, the model against a fake chat server, the context."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from pytest_httpserver import HTTPServer

from creative_automation.agent.comms import (
    CampaignFacts,
    Choice,
    Issue,
    Person,
    StakeholderContext,
    check_answer,
    draft_message,
    record_draft,
    template_message,
)
from creative_automation.agent.context import context_for, next_working_day
from creative_automation.errors import NotFound, ProviderFailed
from creative_automation.prompts import template
from creative_automation.providers.openai_text import OpenAITextProvider
from creative_automation.service.context import Service, build_service
from creative_automation.settings import Settings
from creative_automation.storage import AlertDraft, CreativeStatus, Severity

CHAT = "/v1/chat/completions"
KEY = SecretStr("sk-proj-FAKEkey0123456789abcdefSECRET")
NAME = "Spring Citrus Launch"


def context(**changes: Any) -> StakeholderContext:
    values: dict[str, Any] = {
        "campaign": CampaignFacts(
            id="cmp_1", name=NAME, state="generating", creatives_done=21,
            creatives_expected=24, due=date(2025, 6, 2),
        ),
        "audience": Person(role="Customer leadership", name="Dana Reyes"),
        "sender": Person(role="Creative operations", name="Sam Ortiz"),
        "issues": (
            Issue(
                what="Image generation for 3 creatives is blocked",
                why="our GenAI image API licence is still being provisioned",
                since=date(2025, 5, 28),
            ),
        ),
        "evidence": ("3 of 24 creatives failed: OpenAI 429 quota exceeded",),
        "options": (Choice(option="Ship the 21 ready creatives now",
                           tradeoff="the last 3 follow on the new date"),),
        "new_eta": date(2025, 6, 6),
    }  # fmt: skip
    values.update(changes)
    return StakeholderContext(**values)


def completion(content: str) -> dict[str, Any]:
    """A chat.completion body as OpenAI sends it."""
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1713833628,
        "model": "gpt-4.1-mini-2025-04-14",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 400, "completion_tokens": 120, "total_tokens": 520},
    }


def writer(server: HTTPServer) -> OpenAITextProvider:
    return OpenAITextProvider(KEY, base_url=server.url_for("/v1"))


def sent(server: HTTPServer) -> dict[str, Any]:
    (request,) = [r for r, _ in server.log if r.path == CHAT]
    body: dict[str, Any] = json.loads(request.get_data())
    return body


# --- the template ---------------------------------------------------------------------------


def test_template_writes_a_complete_email_from_the_context() -> None:
    subject, body = template_message(context())
    assert subject == f"{NAME}: delayed, new delivery date 6 June 2025"
    assert body.startswith("Dear Dana Reyes,\n\n")
    assert f"The {NAME} campaign is running late: 21 of 24 creatives are ready." in body
    assert "It was due on 2 June 2025." in body
    assert (
        "- Image generation for 3 creatives is blocked (since 28 May 2025): "
        "our GenAI image API licence is still being provisioned." in body
    )
    assert "- 3 of 24 creatives failed: OpenAI 429 quota exceeded." in body
    assert "- Ship the 21 ready creatives now: the last 3 follow on the new date." in body
    assert "Our new delivery date is 6 June 2025." in body
    assert body.endswith("Best regards,\nSam Ortiz\nCreative operations\n")
    assert check_answer({"subject": subject, "body": body}, context()) == (subject, body.strip())


def test_template_is_deterministic() -> None:
    first, second = (
        asyncio.run(draft_message(context(), None)),
        asyncio.run(draft_message(context(), None)),
    )
    assert first == second
    assert (first.subject, first.body) == template_message(context())
    assert first.written_by == "template" and first.fallback_reason is None
    assert first.context_sha256 == context().digest() != context(tone="warm").digest()


def test_template_without_a_date_promises_when_one_comes() -> None:
    ctx = context(
        new_eta=None,
        confirm_eta_by=date(2025, 6, 3),
        audience=Person(role="Customer leadership"),
        sender=Person(role="Creative operations"),
    )
    subject, body = template_message(ctx)
    assert subject == f"{NAME}: delayed, new delivery date to follow"
    assert body.startswith("Dear Customer leadership,\n")
    assert "We will confirm a new delivery date by 3 June 2025." in body
    assert body.endswith("Best regards,\nCreative operations\n")


def test_template_without_issues_is_a_progress_update() -> None:
    subject, body = template_message(context(issues=(), evidence=(), options=()))
    assert subject == f"{NAME}: progress update"
    assert f"Here is where the {NAME} campaign stands: 21 of 24 creatives are ready." in body
    assert "delivery date" not in body


def test_context_is_strict() -> None:
    with pytest.raises(ValueError, match="extra"):
        StakeholderContext.model_validate({**context().model_dump(), "secret_notes": "x"})
    with pytest.raises(ValueError):
        Person(role="")


# --- the model, against a fake chat server --------------------------------------------------


def test_model_writes_the_draft_from_exactly_the_context(httpserver_ipv4: HTTPServer) -> None:
    answer = {
        "subject": f"{NAME}: three creatives delayed to 6 June",
        "body": f"Dear Dana,\n\n{NAME} is late: 21 of 24 creatives are ready.\n\nSam Ortiz",
    }
    httpserver_ipv4.expect_request(CHAT, method="POST").respond_with_json(
        completion(json.dumps(answer))
    )
    draft = asyncio.run(draft_message(context(), writer(httpserver_ipv4)))
    assert draft.written_by == "openai:gpt-4.1-mini" and draft.fallback_reason is None
    assert (draft.subject, draft.body) == (answer["subject"], answer["body"])
    body = sent(httpserver_ipv4)
    assert body["messages"] == [
        {"role": "system", "content": template("stakeholder_system.txt")},
        {"role": "user", "content": context().model_dump_json()},
    ]
    assert body["response_format"] == {"type": "json_object"} and body["temperature"] == 0
    assert "JSON" in body["messages"][0]["content"]  # JSON mode requires the word


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (json.dumps({"subject": f"{NAME} is late"}), "body"),
        (json.dumps({"subject": f"{NAME} is late", "body": "Dear [Name], it is late."}),
         "placeholder '[Name]'"),
        (json.dumps({"subject": f"{NAME} is late", "body": "Due {new_eta}."}), "placeholder"),
        (json.dumps({"subject": "Delay", "body": "The campaign is late."}), "does not mention"),
        (json.dumps({"subject": f"{NAME}\nlate", "body": f"{NAME} is late."}), "one line"),
        (json.dumps({"subject": f"{NAME} is late", "body": "x" * 2001}), "body"),
        ("Here is your email: Dear Dana", "not a JSON object"),
        (json.dumps(["subject", "body"]), "not a JSON object"),
    ],
    ids=["no-body", "bracket-placeholder", "brace-placeholder", "no-campaign", "two-lines",
         "too-long", "not-json", "json-list"],
)  # fmt: skip
def test_an_invalid_answer_falls_back_to_the_template(
    httpserver_ipv4: HTTPServer, answer: str, why: str
) -> None:
    httpserver_ipv4.expect_request(CHAT, method="POST").respond_with_json(completion(answer))
    draft = asyncio.run(draft_message(context(), writer(httpserver_ipv4)))
    assert draft.written_by == "template"
    assert (draft.subject, draft.body) == template_message(context())
    assert draft.fallback_reason is not None and why in draft.fallback_reason
    assert draft.fallback_reason.startswith("openai")
    assert len(httpserver_ipv4.log) == 1  # one invalid answer is enough: no second call


def test_a_failing_server_falls_back_with_the_reason(httpserver_ipv4: HTTPServer) -> None:
    error = {"error": {"message": "boom", "type": "server_error", "code": None, "param": None}}
    httpserver_ipv4.expect_request(CHAT, method="POST").respond_with_json(error, status=500)
    draft = asyncio.run(draft_message(context(), writer(httpserver_ipv4)))
    assert draft.written_by == "template" and draft.body == template_message(context())[1]
    assert draft.fallback_reason is not None and "HTTP 500" in draft.fallback_reason


def test_an_unreachable_server_falls_back_with_the_reason() -> None:
    nowhere = OpenAITextProvider(KEY, base_url="http://127.0.0.1:1/v1", timeout_s=5)
    draft = asyncio.run(draft_message(context(), nowhere))
    assert draft.written_by == "template"
    assert draft.fallback_reason is not None and "cannot reach OpenAI" in draft.fallback_reason
    assert KEY.get_secret_value() not in draft.fallback_reason


def test_write_json_returns_the_object_and_refuses_anything_else(
    httpserver_ipv4: HTTPServer,
) -> None:
    httpserver_ipv4.expect_ordered_request(CHAT).respond_with_json(completion('{"a": [1, 2]}'))
    httpserver_ipv4.expect_ordered_request(CHAT).respond_with_json(completion('"just text"'))
    provider = writer(httpserver_ipv4)
    assert asyncio.run(provider.write_json("Answer in JSON.", "hi")) == {"a": [1, 2]}
    with pytest.raises(ProviderFailed, match="not a JSON object"):
        asyncio.run(provider.write_json("Answer in JSON.", "hi"))


# --- the context from a real store ----------------------------------------------------------


@pytest.fixture
def service(tmp_path: Path) -> Service:
    built = build_service(Settings(data_dir=tmp_path / "data", queue="sqlite"))
    built.store.upgrade()
    return built


def _failed_record(check: str) -> dict[str, Any]:
    return {"status": "failed", "compliance": [{"check": check, "status": "fail", "detail": ""}]}


def test_context_for_a_campaign_with_an_alert(service: Service) -> None:
    store = service.store
    brief = {"campaign_id": "spring-25", "campaign_name": NAME, "due": "2025-06-02"}
    campaign, _ = store.create_campaign(brief, creatives_expected=24)
    for n, status in enumerate([CreativeStatus.OK] * 5 + [CreativeStatus.FAILED] * 3):
        record = _failed_record("text_fit") if status == CreativeStatus.FAILED else {}
        store.checkpoint_creative(
            campaign.id, product_id=f"p{n}", aspect_ratio="1:1", locale="en-US",
            status=status, path=f"p{n}.png", record=record,
        )  # fmt: skip
    raised = store.raise_alert(
        AlertDraft(
            rule="provider_errors", severity=Severity.CRITICAL,
            summary="OpenAI refuses image requests: quota exceeded",
            action="Raise the OpenAI quota", evidence={"http_429": 3, "error_rate": 0.375},
            campaign_id=campaign.id,
        ),
        throttle=timedelta(minutes=5),
    )  # fmt: skip
    reason = "our GenAI image API licence is still being provisioned"
    ctx = context_for(
        service, campaign.id,
        audience=Person(role="Customer leadership", name="Dana Reyes"),
        sender=Person(role="Creative operations"), reason=reason,
        options=[Choice(option="Ship what is ready", tradeoff="3 creatives follow later")],
        today=date(2025, 5, 30),
    )  # fmt: skip
    assert ctx.campaign == CampaignFacts(
        id=campaign.id, name=NAME, state="queued", creatives_done=8, creatives_expected=24,
        due=date(2025, 6, 2),
    )  # fmt: skip
    assert ctx.issues == (
        Issue(
            what="OpenAI refuses image requests: quota exceeded",
            why=reason,
            since=raised.alert.first_seen_at.date(),
        ),
    )
    assert ctx.evidence == (
        "8 of 24 creatives are done",
        "3 of 24 creatives failed: text_fit ×3",
        "OpenAI refuses image requests: quota exceeded (http_429: 3, error_rate: 0.375)",
    )
    assert ctx.new_eta is None and ctx.confirm_eta_by == date(2025, 6, 2)  # Friday → Monday
    assert "3 of 24 creatives failed: text_fit ×3." in template_message(ctx)[1]


def test_context_for_a_failed_campaign_without_alerts(service: Service) -> None:
    campaign, _ = service.store.create_campaign({"campaign_id": "c2"}, creatives_expected=4)
    ctx = context_for(
        service, campaign.id, audience=Person(role="Brand team"),
        sender=Person(role="Ops"), reason="the licence is pending", new_eta=date(2025, 7, 1),
    )  # fmt: skip
    assert ctx.campaign.name == "c2"
    assert [i.why for i in ctx.issues] == ["the licence is pending"]
    assert ctx.confirm_eta_by is None and ctx.new_eta == date(2025, 7, 1)


def test_context_for_an_unknown_campaign(service: Service) -> None:
    with pytest.raises(NotFound):
        context_for(service, "cmp_nope", audience=Person(role="x"), sender=Person(role="y"))


def test_record_draft_writes_the_audit_event(service: Service) -> None:
    campaign, _ = service.store.create_campaign({"campaign_name": NAME}, creatives_expected=1)
    draft = asyncio.run(draft_message(context(), None))
    record_draft(service, campaign.id, draft)
    (event,) = [e for e in service.store.events(campaign.id) if e.kind == "stakeholder_draft"]
    assert event.detail["written_by"] == "template"
    assert (event.detail["subject"], event.detail["body"]) == (draft.subject, draft.body)


def test_next_working_day_skips_the_weekend() -> None:
    assert next_working_day(date(2025, 5, 29)) == date(2025, 5, 30)  # Thursday → Friday
    assert next_working_day(date(2025, 5, 31)) == date(2025, 6, 2)  # Saturday → Monday


def test_template_for_a_finished_campaign_held_up_is_not_running_late() -> None:
    ctx = context()
    done = ctx.model_copy(
        update={"campaign": ctx.campaign.model_copy(update={"creatives_done": 24})}
    )
    _, body = template_message(done)
    assert "running late" not in body
    assert f"All 24 creatives of the {NAME} campaign are ready, but its delivery is held up" in body
