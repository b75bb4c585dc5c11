"""The email alert channel and stakeholder mailer: SMTP with STARTTLS and auth from settings."""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from ..errors import ConfigError, NotificationError
from ..settings import Settings
from ..storage import Alert

SUBJECT_LIMIT = 150


def format_value(value: Any) -> str:
    """One evidence value as a short string (floats to 4 significant digits)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def evidence_items(alert: Alert) -> list[tuple[str, str]]:
    """The alert's evidence as (key, value) strings, in the rule's own order."""
    return [(str(key), format_value(value)) for key, value in alert.evidence.items()]


def one_line(text: str, limit: int = SUBJECT_LIMIT) -> str:
    """Collapse whitespace (no header can carry a newline) and trim to `limit` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def alert_subject(alert: Alert) -> str:
    """ "[WARNING] cmp_…: summary", one line, at most SUBJECT_LIMIT characters."""
    where = f"{alert.campaign_id}: " if alert.campaign_id else ""
    return one_line(f"[{alert.severity.value.upper()}] {where}{alert.summary}")


def alert_body(alert: Alert) -> str:
    """The plain-text email: what happened, where, how often, the numbers, what to do."""
    lines = [
        alert.summary,
        "",
        f"Campaign: {alert.campaign_id or '-'}",
        f"Rule: {alert.rule}",
        f"Severity: {alert.severity.value}",
        f"Occurrences: {alert.occurrences} (first seen {alert.first_seen_at.isoformat()}, "
        f"last seen {alert.last_seen_at.isoformat()})",
    ]
    evidence = evidence_items(alert)
    if evidence:
        lines += ["", "Evidence:", *(f"{key}: {value}" for key, value in evidence)]
    lines += ["", f"Suggested action: {alert.action}", ""]
    return "\n".join(lines)


class EmailChannel:
    """Sends alerts (and stakeholder updates) through one mail server; one connection a send."""

    name = "email"

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        recipients: Sequence[str] = (),
        *,
        starttls: bool = True,
        username: str | None = None,
        password: SecretStr | None = None,
        timeout_s: float = 10.0,
        ca_file: Path | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.recipients = list(recipients)
        self.starttls = starttls
        self.username = username
        self._password = password
        self.timeout_s = timeout_s
        self.ca_file = ca_file

    def send(self, alert: Alert) -> None:
        """Email the alert to the configured recipients; NotificationError on any failure."""
        if not self.recipients:
            raise NotificationError("email: no recipients (set CAP_ALERT_EMAIL_TO)")
        self.send_message(self.recipients, alert_subject(alert), alert_body(alert))

    def send_message(self, to: list[str], subject: str, body: str) -> None:
        """Send one plain-text email; NotificationError names the server and the reason."""
        if not to:
            raise NotificationError("email: no recipients")
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = ", ".join(to)
        message["Subject"] = one_line(subject)
        message.set_content(body)
        try:
            self._deliver(message)
        except NotificationError:
            raise
        except Exception as exc:  # every failure becomes one error naming the server
            raise NotificationError(self._scrub(f"{self._where}: {_reason(exc)}")) from None

    @property
    def _where(self) -> str:
        return f"email via mail server {self.host}:{self.port}"

    def _deliver(self, message: EmailMessage) -> None:
        context = self._tls_context() if self.starttls else None
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
        try:
            if context is not None:
                smtp.starttls(context=context)
            if self.username:
                secret = self._password.get_secret_value() if self._password else ""
                smtp.login(self.username, secret)
            smtp.send_message(message)
        finally:
            _close(smtp)

    def _tls_context(self) -> ssl.SSLContext:
        try:
            return ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
        except (OSError, ssl.SSLError) as exc:
            raise NotificationError(
                f"{self._where}: cannot load CAP_SMTP_CA_FILE {self.ca_file}: {exc}"
            ) from None

    def _scrub(self, text: str) -> str:
        # a server may echo what it was sent; the password never leaves this object
        secret = self._password.get_secret_value() if self._password else ""
        return text.replace(secret, "***") if secret else text


def _close(smtp: smtplib.SMTP) -> None:
    # QUIT is a courtesy: after a failed handshake the server may already have hung up
    with contextlib.suppress(smtplib.SMTPException, OSError):
        smtp.quit()
    smtp.close()


def _reason(exc: Exception) -> str:
    """Why a send failed, in words; never the credentials."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return (
            f"authentication failed ({exc.smtp_code}); check CAP_SMTP_USERNAME and "
            "CAP_SMTP_PASSWORD"
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"the server does not support it: {exc}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return f"recipients refused: {', '.join(sorted(exc.recipients))}"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"sender refused ({exc.smtp_code}): {exc.sender}"
    if isinstance(exc, smtplib.SMTPResponseException):
        said = exc.smtp_error
        text = said.decode(errors="replace") if isinstance(said, bytes) else str(said)
        return f"server said {exc.smtp_code} {text}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc}"
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, smtplib.SMTPException | OSError):
        return f"{type(exc).__name__}: {exc}"
    return f"unexpected {type(exc).__name__}: {exc}"


def build_mailer(settings: Settings) -> EmailChannel:
    """The mail server from settings, for alerts and stakeholder emails."""
    if not settings.smtp_host:
        raise ConfigError("email is not configured: set CAP_SMTP_HOST (and CAP_SMTP_FROM)")
    if not settings.smtp_from:
        raise ConfigError("CAP_SMTP_HOST is set but CAP_SMTP_FROM (the From address) is not")
    recipients = [a.strip() for a in (settings.alert_email_to or "").split(",") if a.strip()]
    return EmailChannel(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_from,
        recipients,
        starttls=settings.smtp_starttls,
        username=settings.smtp_username,
        password=settings.smtp_password,
        timeout_s=settings.smtp_timeout_s,
        ca_file=settings.smtp_ca_file,
    )


__all__ = ["EmailChannel", "alert_body", "alert_subject", "build_mailer", "evidence_items"]
