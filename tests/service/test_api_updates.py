"""POST /v1/campaigns/{id}/stakeholder-draft: the stakeholder email `cap draft-update` and the
MCP tool draft, over the API, recorded in the audit trail; the model writes it when set."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from api_support import Keys, assert_problem, create, make_service
from fastapi.testclient import TestClient
from pytest_httpserver import HTTPServer

from creative_automation.service.api import create_app
from creative_automation.service.context import Service
from creative_automation.storage import AlertDraft, Scope, Severity

NAME = "Test Campaign"  # the small brief's campaign_name
SLOW = "Image generation is slower than planned"


def url(campaign_id: str) -> str:
    return f"/v1/campaigns/{campaign_id}/stakeholder-draft"


def drafts(client: TestClient, headers: dict[str, str], campaign_id: str) -> list[dict[str, Any]]:
    """The stakeholder drafts in the campaign's audit trail, as the API shows it."""
    response = client.get(f"/v1/campaigns/{campaign_id}", params={"events": "true"},
                          headers=headers)  # fmt: skip
    assert response.status_code == 200, response.text
    return [e["detail"] for e in response.json()["events"] if e["kind"] == "stakeholder_draft"]


def slow(service: Service, campaign_id: str) -> None:
    alert = AlertDraft(
        rule="slow_campaign",
        severity=Severity.WARNING,
        summary=SLOW,
        action="check the provider",
        campaign_id=campaign_id,
    )
    service.store.raise_alert(alert, throttle=timedelta(minutes=30))


def test_the_template_drafts_it_from_the_alerts_and_records_it(
    client: TestClient, service: Service, writer: dict[str, str]
) -> None:
    cid = create(client, writer)
    slow(service, cid)
    body = {
        "audience": "Customer leadership",
        "audience_name": "Dana Reyes",
        "sender": "Sam Ortiz",
        "reason": "the image provider is rate limiting us",
        "new_eta": "2030-06-06",
        "options": [{"option": "Ship what is ready", "tradeoff": "the rest follows later"}],
    }
    response = client.post(url(cid), json=body, headers=writer)
    assert response.status_code == 200, response.text
    draft = response.json()
    assert set(draft) == {"campaign_id", "subject", "body", "written_by", "fallback_reason", "sent"}
    assert draft["campaign_id"] == cid and draft["sent"] is False
    assert draft["written_by"] == "template" and draft["fallback_reason"] is None  # no model
    assert draft["subject"] == f"{NAME}: delayed, new delivery date 6 June 2030"
    text = draft["body"]
    assert text.startswith("Dear Dana Reyes,") and NAME in text
    assert f"- {SLOW}" in text and "the image provider is rate limiting us" in text  # the issue
    assert "Our new delivery date is 6 June 2030." in text
    assert "- Ship what is ready: the rest follows later." in text
    assert text.rstrip().endswith("Sam Ortiz\nCreative operations")
    (recorded,) = drafts(client, writer, cid)
    assert recorded["subject"] == draft["subject"] and recorded["body"] == text
    assert recorded["written_by"] == "template" and recorded["context_sha256"]


def test_an_empty_body_drafts_for_the_default_audience(
    client: TestClient, writer: dict[str, str]
) -> None:
    cid = create(client, writer)
    response = client.post(url(cid), json={}, headers=writer)
    assert response.status_code == 200, response.text
    text = response.json()["body"]
    assert text.startswith("Dear Campaign stakeholders,") and NAME in text
    assert text.rstrip().endswith("Best regards,\nCreative operations")


def test_a_read_key_may_not_and_another_key_sees_no_such_campaign(
    client: TestClient, writer: dict[str, str], keys: Keys
) -> None:
    cid = create(client, writer)
    assert_problem(client.post(url(cid), json={}, headers=Keys.header(keys.read)), 403, "forbidden")
    assert_problem(client.post(url(cid), json={}, headers=Keys.header(keys.other)), 404)
    assert_problem(client.post(url("cmp_nope"), json={}, headers=writer), 404, "not-found")
    assert_problem(client.post(url(cid), json={}), 401, "unauthenticated")
    assert drafts(client, writer, cid) == []  # nothing drafted for the refused ones
    admin = client.post(url(cid), json={}, headers=Keys.header(keys.admin))
    assert admin.status_code == 200  # an admin key acts on any campaign


@pytest.mark.parametrize(
    "body",
    [
        {"audience": ""},
        {"audience": "x" * 81},
        {"sender": ""},
        {"reason": "r" * 301},
        {"new_eta": "next week"},
        {"options": [{"option": "Ship what is ready"}]},
        {"options": [{"option": f"o{i}", "tradeoff": "t"} for i in range(6)]},
        {"eta": "2030-06-06"},  # not a field: a typo is refused, not ignored
        [],
    ],
    ids=["empty-audience", "long-audience", "empty-sender", "long-reason", "bad-date",
         "option-without-tradeoff", "six-options", "unknown-field", "not-an-object"],
)  # fmt: skip
def test_a_bad_body_is_a_422_problem(client: TestClient, writer: dict[str, str], body: Any) -> None:
    cid = create(client, writer)
    problem = assert_problem(client.post(url(cid), json=body, headers=writer), 422)
    assert problem["errors"]
    assert drafts(client, writer, cid) == []


def test_the_configured_model_writes_it(
    tmp_path: Path, httpserver_ipv4: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", httpserver_ipv4.url_for("/v1"))
    service = make_service(tmp_path, openai_api_key="sk-proj-FAKEkey0123456789abcdefSECRET")
    answer = {"subject": f"{NAME}: a short delay", "body": f"Dear Dana,\n\n{NAME} is late."}
    message = {"role": "assistant", "content": json.dumps(answer), "refusal": None}
    httpserver_ipv4.expect_request("/v1/chat/completions").respond_with_json(
        {"id": "c", "object": "chat.completion", "created": 1, "model": "gpt-4.1-mini",
         "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}
    )  # fmt: skip
    try:
        key, _ = service.store.create_key("w", Scope.WRITE)
        with TestClient(create_app(service)) as client:
            cid = create(client, Keys.header(key))
            response = client.post(url(cid), json={"reason": "late"}, headers=Keys.header(key))
    finally:
        service.close()
    assert response.status_code == 200, response.text
    draft = response.json()
    assert draft["subject"] == f"{NAME}: a short delay" and draft["body"] == answer["body"]
    assert draft["written_by"] == "openai:gpt-4.1-mini" and draft["fallback_reason"] is None
    assert "sk-proj" not in response.text
