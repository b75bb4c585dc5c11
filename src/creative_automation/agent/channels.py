"""Where alerts go: the log, a Slack-compatible webhook and email; `notify` sends on each."""

from __future__ import annotations

import logging
from typing import Any, Protocol

import httpx
from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from ..errors import NotificationError
from ..settings import Settings
from ..storage import Alert, Severity
from .email import EmailChannel, build_mailer, evidence_items

log = logging.getLogger(__name__)

LEVELS = {Severity.INFO: logging.INFO, Severity.WARNING: logging.WARNING}
WEBHOOK_ATTEMPTS = 3


class Channel(Protocol):
    """One way of telling people about an alert."""

    name: str

    def send(self, alert: Alert) -> None:
        """Deliver the alert; raise NotificationError (naming the channel) if it cannot."""
        ...


def headline(alert: Alert) -> str:
    """ "[CRITICAL] campaign cmp_…: summary": the plain one-line form of an alert."""
    where = f"campaign {alert.campaign_id}: " if alert.campaign_id else ""
    return f"[{alert.severity.value.upper()}] {where}{alert.summary}"


class LogChannel:
    """Writes each alert as one log line, at a level that follows its severity."""

    name = "log"

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._log = logger or log

    def send(self, alert: Alert) -> None:
        evidence = " ".join(f"{key}={value}" for key, value in evidence_items(alert))
        self._log.log(
            LEVELS.get(alert.severity, logging.CRITICAL),
            "alert severity=%s rule=%s campaign=%s summary=%r evidence={%s} action=%r",
            alert.severity.value,
            alert.rule,
            alert.campaign_id or "-",
            alert.summary,
            evidence,
            alert.action,
        )


def slack_payload(alert: Alert) -> dict[str, Any]:
    """Slack incoming-webhook JSON: a plain `text` fallback and Block Kit `blocks`."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            # Slack caps header text at 150 characters
            "text": {"type": "plain_text", "text": headline(alert)[:150]},
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": alert.summary}},
    ]
    fields = [
        {"type": "mrkdwn", "text": f"*{key}*\n{value}"}
        for key, value in [
            ("rule", alert.rule),
            ("campaign", alert.campaign_id or "-"),
            ("occurrences", str(alert.occurrences)),
            *evidence_items(alert),
        ]
    ]
    # a section takes at most 10 fields
    for start in range(0, len(fields), 10):
        blocks.append({"type": "section", "fields": fields[start : start + 10]})
    blocks.append(
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": f"Suggested action: {alert.action}"}],
        }
    )
    return {"text": headline(alert), "blocks": blocks}


class _Transient(Exception):
    """A webhook answer worth retrying (429, 5xx); kept inside this module."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class WebhookChannel:
    """POSTs alerts to a Slack-compatible webhook; retries connection errors, 429 and 5xx.

    The URL often carries a secret token (Slack's do), so it never appears in errors or logs.
    """

    name = "webhook"

    def __init__(self, url: str, timeout_s: float = 10.0, *, backoff_s: float = 0.5) -> None:
        self._url = url
        self.timeout_s = timeout_s
        self.backoff_s = backoff_s  # first retry wait; doubles; tests pass 0

    def send(self, alert: Alert) -> None:
        self.post(slack_payload(alert))

    def post(self, payload: dict[str, Any]) -> None:
        """POST one JSON payload; NotificationError once the retries are used up."""
        retrying = Retrying(
            stop=stop_after_attempt(WEBHOOK_ATTEMPTS),
            wait=wait_exponential(multiplier=self.backoff_s, max=max(self.backoff_s * 8, 0)),
            retry=retry_if_exception_type((_Transient, httpx.TransportError)),
            reraise=True,
        )
        try:
            # the transport, not an httpx.Client: the client logs every request's URL at INFO
            with httpx.HTTPTransport() as transport:
                status = retrying(self._post_once, transport, payload)
        except _Transient as exc:
            raise NotificationError(
                f"webhook: the alert webhook answered HTTP {exc.status} "
                f"after {WEBHOOK_ATTEMPTS} attempts"
            ) from None
        except httpx.InvalidURL:
            raise NotificationError("webhook: CAP_ALERT_WEBHOOK_URL is not a valid URL") from None
        except httpx.TimeoutException:
            raise NotificationError(
                f"webhook: the alert webhook timed out ({self.timeout_s:g}s) "
                f"after {WEBHOOK_ATTEMPTS} attempts"
            ) from None
        except httpx.HTTPError as exc:
            raise NotificationError(
                f"webhook: the alert webhook could not be reached ({type(exc).__name__}: "
                f"{self._scrub(str(exc))}) after {WEBHOOK_ATTEMPTS} attempts"
            ) from None
        if status >= 400:
            raise NotificationError(f"webhook: the alert webhook refused the alert (HTTP {status})")

    def _post_once(self, transport: httpx.HTTPTransport, payload: dict[str, Any]) -> int:
        timeout = httpx.Timeout(self.timeout_s).as_dict()
        request = httpx.Request("POST", self._url, json=payload, extensions={"timeout": timeout})
        response = transport.handle_request(request)
        try:
            response.read()  # drain it so the connection can be reused by the retry
        finally:
            response.close()
        if response.status_code == 429 or response.status_code >= 500:
            raise _Transient(response.status_code)
        return response.status_code

    def _scrub(self, text: str) -> str:
        return text.replace(self._url, "<the alert webhook>")


def build_channels(settings: Settings) -> list[Channel]:
    """The log always; the webhook and email when their settings are there."""
    channels: list[Channel] = [LogChannel()]
    if settings.alert_webhook_url:
        channels.append(WebhookChannel(settings.alert_webhook_url, settings.webhook_timeout_s))
    if settings.smtp_host and settings.alert_email_to:
        channels.append(build_mailer(settings))  # ConfigError when CAP_SMTP_FROM is missing
    return channels


def notify(channels: list[Channel], alert: Alert) -> dict[str, str | None]:
    """Send on every channel, never raising: channel name → None (sent) or why it failed."""
    outcomes: dict[str, str | None] = {}
    for channel in channels:
        try:
            channel.send(alert)
        except NotificationError as exc:
            outcomes[channel.name] = str(exc)
        except Exception as exc:  # a broken channel must not stop the others
            outcomes[channel.name] = f"{channel.name}: unexpected {type(exc).__name__}: {exc}"
        else:
            outcomes[channel.name] = None
            continue
        log.warning("alert %s not sent on %s: %s", alert.id, channel.name, outcomes[channel.name])
    return outcomes


__all__ = [
    "Channel",
    "EmailChannel",
    "LogChannel",
    "WebhookChannel",
    "build_channels",
    "build_mailer",
    "headline",
    "notify",
    "slack_payload",
]
