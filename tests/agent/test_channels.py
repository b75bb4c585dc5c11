"""Alert channels against real servers on 127.0.0.1: SMTP (STARTTLS + AUTH) and an HTTP webhook."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import SecretStr
from pytest_httpserver import HTTPServer

from creative_automation.agent.channels import (
    Channel,
    LogChannel,
    WebhookChannel,
    build_channels,
    notify,
)
from creative_automation.agent.email import EmailChannel, build_mailer
from creative_automation.errors import ConfigError, NotificationError
from creative_automation.settings import Settings
from creative_automation.storage import Alert, AlertStatus, Severity

USER, PASSWORD = "alerts@example.test", "s3cret-pa55word"
SECRET_PATH = "/services/T0001/B0002/XOXBsecrettoken"


def make_alert(**changes: Any) -> Alert:
    seen = dt.datetime(2025, 5, 1, 9, 30, tzinfo=dt.UTC)
    values: dict[str, Any] = {
        "id": "alr_1",
        "campaign_id": "cmp_42",
        "rule": "stuck_campaign",
        "severity": Severity.WARNING,
        "status": AlertStatus.OPEN,
        "fingerprint": "stuck_campaign:cmp_42",
        "summary": "Campaign has been running for 45 minutes",
        "evidence": {"running_minutes": 45.0, "expected_minutes": 10, "stage": "render"},
        "action": "Check the worker log, then `cap retry cmp_42`",
        "occurrences": 3,
        "first_seen_at": seen,
        "last_seen_at": seen + dt.timedelta(minutes=10),
        "notified_at": None,
        "acknowledged_at": None,
        "acknowledged_by": None,
        "resolved_at": None,
    }
    values.update(changes)
    return Alert(**values)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --- a real SMTP server: STARTTLS with a self-signed certificate, AUTH required ---


@dataclass
class Mailbox:
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


def authenticate(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USER.encode()
        and auth_data.password == PASSWORD.encode()
    )
    # handled=False: aiosmtpd itself answers 535 to a failure (the default sends nothing)
    return AuthResult(success=ok, handled=False)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost: (cert PEM, key PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
def smtp_server(certificate: tuple[Path, Path]) -> Iterator[tuple[Mailbox, int]]:
    cert_file, key_file = certificate
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert_file, key_file)
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=tls,
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=authenticate,
    )
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


def mailer(port: int, ca_file: Path | None, password: str = PASSWORD) -> EmailChannel:
    return EmailChannel(
        "127.0.0.1",
        port,
        "cap@example.test",
        ["ops@example.test", "lead@example.test"],
        username=USER,
        password=SecretStr(password),
        timeout_s=5,
        ca_file=ca_file,
    )


def test_the_alert_email_arrives_over_starttls_with_auth(
    smtp_server: tuple[Mailbox, int], certificate: tuple[Path, Path]
) -> None:
    mailbox, port = smtp_server
    mailer(port, certificate[0]).send(make_alert())

    (message,) = mailbox.messages
    assert message["From"] == "cap@example.test"
    assert message["To"] == "ops@example.test, lead@example.test"
    assert message["Subject"] == "[WARNING] cmp_42: Campaign has been running for 45 minutes"
    assert mailbox.envelopes == [("cap@example.test", ["ops@example.test", "lead@example.test"])]
    body = message.get_content()
    lines = body.splitlines()
    assert lines[0] == "Campaign has been running for 45 minutes"
    for line in [
        "Campaign: cmp_42",
        "Rule: stuck_campaign",
        "Severity: warning",
        "running_minutes: 45",
        "expected_minutes: 10",
        "stage: render",
        "Suggested action: Check the worker log, then `cap retry cmp_42`",
    ]:
        assert line in lines
    assert any(line.startswith("Occurrences: 3 (first seen 2025-05-01T09:30") for line in lines)


def test_a_long_multiline_summary_makes_a_one_line_trimmed_subject(
    smtp_server: tuple[Mailbox, int], certificate: tuple[Path, Path]
) -> None:
    mailbox, port = smtp_server
    mailer(port, certificate[0]).send(make_alert(summary="line one\nline two " + "x" * 300))
    subject = str(mailbox.messages[0]["Subject"])
    assert subject.startswith("[WARNING] cmp_42: line one line two x")
    assert "\n" not in subject and len(subject) <= 150 and subject.endswith("…")


def test_send_message_sends_a_stakeholder_email(
    smtp_server: tuple[Mailbox, int], certificate: tuple[Path, Path]
) -> None:
    mailbox, port = smtp_server
    mailer(port, certificate[0]).send_message(["brand@example.test"], "Update", "All on track.\n")
    (message,) = mailbox.messages
    assert message["To"] == "brand@example.test"
    assert message["Subject"] == "Update"
    assert message.get_content().splitlines() == ["All on track."]


def test_a_wrong_password_is_an_authentication_error_without_the_password(
    smtp_server: tuple[Mailbox, int], certificate: tuple[Path, Path]
) -> None:
    mailbox, port = smtp_server
    wrong = "wrong-pa55word-123"
    with pytest.raises(NotificationError) as caught:
        mailer(port, certificate[0], password=wrong).send(make_alert())
    text = str(caught.value)
    assert "authentication" in text and f"127.0.0.1:{port}" in text
    assert wrong not in text and PASSWORD not in text
    assert mailbox.messages == []


def test_an_untrusted_certificate_fails_the_tls_handshake(
    smtp_server: tuple[Mailbox, int],
) -> None:
    _, port = smtp_server
    with pytest.raises(NotificationError, match="TLS failed"):
        mailer(port, ca_file=None).send(make_alert())


def test_a_server_that_is_not_listening_is_a_notification_error() -> None:
    port = free_port()
    with pytest.raises(NotificationError, match=f"127.0.0.1:{port}: connection refused"):
        mailer(port, ca_file=None).send(make_alert())


# --- the webhook against a real HTTP server ---


def test_the_webhook_posts_slack_compatible_json(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request(SECRET_PATH, method="POST").respond_with_data("ok")
    alert = make_alert(severity=Severity.CRITICAL)
    WebhookChannel(httpserver.url_for(SECRET_PATH), timeout_s=5, backoff_s=0).send(alert)

    (request, _), *_ = httpserver.log
    payload = json.loads(request.get_data())
    assert payload["text"] == "[CRITICAL] campaign cmp_42: Campaign has been running for 45 minutes"
    header, summary, fields, context = payload["blocks"]
    assert header["type"] == "header" and header["text"]["text"] == payload["text"]
    assert summary["text"]["text"] == "Campaign has been running for 45 minutes"
    texts = [f["text"] for f in fields["fields"]]
    assert "*running_minutes*\n45" in texts and "*stage*\nrender" in texts
    assert "*campaign*\ncmp_42" in texts
    assert context["type"] == "context"
    assert context["elements"][0]["text"] == (
        "Suggested action: Check the worker log, then `cap retry cmp_42`"
    )


def test_a_5xx_is_retried_and_the_alert_delivered_once(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request(SECRET_PATH).respond_with_data("busy", status=500)
    httpserver.expect_ordered_request(SECRET_PATH).respond_with_data("ok", status=200)
    WebhookChannel(httpserver.url_for(SECRET_PATH), backoff_s=0).send(make_alert())
    assert [response.status_code for _, response in httpserver.log] == [500, 200]
    httpserver.check_assertions()


def test_a_400_is_not_retried_and_the_error_hides_the_url(httpserver: HTTPServer) -> None:
    httpserver.expect_request(SECRET_PATH).respond_with_data("no_text", status=400)
    with pytest.raises(NotificationError) as caught:
        WebhookChannel(httpserver.url_for(SECRET_PATH), backoff_s=0).send(make_alert())
    assert len(httpserver.log) == 1
    text = str(caught.value)
    assert "HTTP 400" in text and "alert webhook" in text
    assert "secrettoken" not in text.lower() and "T0001" not in text


def test_an_unreachable_webhook_gives_up_after_three_attempts() -> None:
    url = f"http://127.0.0.1:{free_port()}{SECRET_PATH}"
    with pytest.raises(NotificationError, match="after 3 attempts") as caught:
        WebhookChannel(url, timeout_s=2, backoff_s=0).send(make_alert())
    assert "secrettoken" not in str(caught.value).lower()


# --- the log, choosing channels, and notify ---


def test_the_log_channel_writes_one_line_at_the_severity_level(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO):
        LogChannel().send(make_alert(severity=Severity.CRITICAL))
    (record,) = caplog.records
    assert record.levelno == logging.CRITICAL
    line = record.getMessage()
    assert "\n" not in line
    for part in ["severity=critical", "rule=stuck_campaign", "campaign=cmp_42",
                 "running_minutes=45", "expected_minutes=10", "cap retry cmp_42"]:  # fmt: skip
        assert part in line


def test_build_channels_picks_channels_from_settings() -> None:
    assert [c.name for c in build_channels(Settings())] == ["log"]
    full = Settings(
        alert_webhook_url="https://hooks.example.test/x",
        smtp_host="mail.example.test",
        smtp_from="cap@example.test",
        alert_email_to="a@example.test, b@example.test",
    )
    channels = build_channels(full)
    assert [c.name for c in channels] == ["log", "webhook", "email"]
    assert isinstance(channels[2], EmailChannel)
    assert channels[2].recipients == ["a@example.test", "b@example.test"]
    # no recipients: no email channel for alerts (the mailer is still buildable)
    assert [c.name for c in build_channels(Settings(smtp_host="m", smtp_from="f@x"))] == ["log"]


def test_missing_smtp_settings_are_config_errors_naming_the_variable() -> None:
    with pytest.raises(ConfigError, match="CAP_SMTP_FROM"):
        build_channels(Settings(smtp_host="mail.example.test", alert_email_to="a@example.test"))
    with pytest.raises(ConfigError, match="CAP_SMTP_HOST"):
        build_mailer(Settings())
    with pytest.raises(ConfigError, match="CAP_SMTP_FROM"):
        build_mailer(Settings(smtp_host="mail.example.test"))


class Broken:
    name = "broken"

    def send(self, alert: Alert) -> None:
        raise NotificationError("broken: the relay is down")


def test_notify_collects_outcomes_and_does_not_raise(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    httpserver.expect_request("/hook").respond_with_data("ok")
    channels: list[Channel] = [
        LogChannel(),
        Broken(),
        WebhookChannel(httpserver.url_for("/hook"), backoff_s=0),
    ]
    with caplog.at_level(logging.WARNING):
        outcomes = notify(channels, make_alert())
    assert outcomes == {"log": None, "broken": "broken: the relay is down", "webhook": None}
    assert len(httpserver.log) == 1
    assert any("not sent on broken" in r.getMessage() for r in caplog.records)
