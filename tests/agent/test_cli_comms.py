"""`cap draft-update` on a real store: printed drafts, JSON, the model, and --send over SMTP."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
import typer
from aiosmtpd.controller import Controller
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from creative_automation.cli_comms import draft_update
from creative_automation.service.context import build_service
from creative_automation.settings import load_settings

NAME = "Spring Citrus Launch"
REASON = "our GenAI image API licence is still being provisioned"

app = typer.Typer()
app.command("draft-update")(draft_update)


@app.callback()
def _root() -> None:
    """A group, as in cli.py, so the command is called by its name."""


def events(campaign_id: str, kind: str) -> list[dict[str, Any]]:
    service = build_service(load_settings())
    try:
        return [e.detail for e in service.store.events(campaign_id) if e.kind == kind]
    finally:
        service.close()


@pytest.fixture
def campaign_id() -> str:
    """A campaign in the store the CLI's settings name (CAP_DATA_DIR from the conftest)."""
    service = build_service(load_settings())
    try:
        service.store.ensure_schema()
        brief = {"campaign_id": "spring-25", "campaign_name": NAME, "due": "2025-06-02"}
        campaign, _ = service.store.create_campaign(brief, creatives_expected=24)
        return campaign.id
    finally:
        service.close()


def run(*args: str) -> Any:
    return CliRunner().invoke(app, ["draft-update", *args])


AUDIENCE = ("--audience", "Customer leadership", "--audience-name", "Dana Reyes")


def test_prints_a_template_draft_and_records_it(campaign_id: str) -> None:
    option = ("--option", "Ship what is ready: 3 creatives follow")
    result = run(campaign_id, *AUDIENCE, "--sender", "Sam Ortiz", "--reason", REASON,
                 "--eta", "2025-06-06", *option)  # fmt: skip
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"Subject: {NAME}: delayed, new delivery date 6 June 2025" in out
    assert "Dear Dana Reyes," in out and REASON in out and "Our new delivery date is 6 June" in out
    assert "- Ship what is ready: 3 creatives follow." in out
    assert "Sam Ortiz\nCreative operations" in out
    assert out.rstrip().endswith("written by template")
    (recorded,) = events(campaign_id, "stakeholder_draft")
    assert recorded["written_by"] == "template" and recorded["body"] in out
    assert not events(campaign_id, "stakeholder_sent")


def test_json_output_carries_the_draft_and_its_context(campaign_id: str) -> None:
    result = run(campaign_id, "--audience", "Brand team", "--reason", REASON, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["written_by"] == "template" and data["fallback_reason"] is None
    assert data["context"]["campaign"]["name"] == NAME
    assert data["context"]["issues"][0]["why"] == REASON
    assert data["body"].startswith("Dear Brand team,")


def test_the_configured_model_writes_it(
    campaign_id: str, httpserver_ipv4: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-proj-FAKEkey0123456789abcdefSECRET")
    monkeypatch.setenv("OPENAI_BASE_URL", httpserver_ipv4.url_for("/v1"))
    answer = {"subject": f"{NAME}: a short delay", "body": f"Dear Dana,\n\n{NAME} is late."}
    message = {"role": "assistant", "content": json.dumps(answer), "refusal": None}
    httpserver_ipv4.expect_request("/v1/chat/completions").respond_with_json(
        {"id": "c", "object": "chat.completion", "created": 1, "model": "gpt-4.1-mini",
         "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}
    )  # fmt: skip
    result = run(campaign_id, *AUDIENCE, "--reason", REASON)
    assert result.exit_code == 0, result.output
    assert f"Subject: {NAME}: a short delay" in result.output
    assert "written by openai:gpt-4.1-mini" in result.output
    assert "sk-proj" not in result.output


@pytest.mark.parametrize(
    ("args", "expected"),
    [(("--send",), "--send needs at least one --to"),
     (("--to", "dana@example.test"), "--to only applies with --send"),
     (("--option", "no trade-off given"), "what it costs")],
    ids=["send-without-to", "to-without-send", "option-without-tradeoff"],
)  # fmt: skip
def test_usage_errors(campaign_id: str, args: tuple[str, ...], expected: str) -> None:
    result = run(campaign_id, *AUDIENCE, *args)
    assert result.exit_code == 2
    assert expected in " ".join(result.output.split()).replace("│", "").replace("  ", " ")
    assert not events(campaign_id, "stakeholder_draft")  # refused before drafting anything


def test_an_unknown_campaign_is_one_error_block(campaign_id: str) -> None:
    result = run("cmp_nope", *AUDIENCE)
    assert result.exit_code == 2
    assert "error: no campaign cmp_nope" in result.output and "Traceback" not in result.output


@dataclass
class Mailbox:
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"


@pytest.fixture
def mailbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    """A plain SMTP server on 127.0.0.1, named by the CAP_SMTP_* settings."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    for name, value in {"HOST": "127.0.0.1", "PORT": str(port), "STARTTLS": "false",
                        "FROM": "cap@example.test"}.items():  # fmt: skip
        monkeypatch.setenv(f"CAP_SMTP_{name}", value)
    try:
        yield box
    finally:
        controller.stop()


def test_send_emails_the_draft(campaign_id: str, mailbox: Mailbox) -> None:
    result = run(campaign_id, *AUDIENCE, "--reason", REASON, "--send",
                 "--to", "dana@example.test", "--to", "lee@example.test")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "sent to dana@example.test, lee@example.test" in result.output
    (message,) = mailbox.messages
    assert message["To"] == "dana@example.test, lee@example.test"
    assert message["Subject"] == f"{NAME}: delayed, new delivery date to follow"
    body = message.get_content()
    assert body.startswith("Dear Dana Reyes,") and REASON in body
    (sent,) = events(campaign_id, "stakeholder_sent")
    assert sent["to"] == ["dana@example.test", "lee@example.test"]


def test_send_without_a_mail_server_is_one_error_block(campaign_id: str) -> None:
    result = run(campaign_id, *AUDIENCE, "--send", "--to", "dana@example.test")
    assert result.exit_code == 1
    assert "error: email is not configured" in result.output
