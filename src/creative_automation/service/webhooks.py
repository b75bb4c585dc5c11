"""Webhooks: a signed JSON POST when a campaign finishes, sent from an outbox with retries.

The worker calls `notify(service, campaign)` when a campaign reaches a final state: it adds a
delivery row (the outbox, in the metadata store) for the campaign's webhook URL, else its API
key's. `deliver_due(service)` POSTs the deliveries that are due; a 2xx is delivered, anything
else (a timeout, a 500, a redirect) is tried again after an exponential back-off
(CAP_WEBHOOK_BACKOFF_S doubling up to CAP_WEBHOOK_BACKOFF_MAX_S, with jitter) until
CAP_WEBHOOK_MAX_ATTEMPTS, then marked failed with its last error.

A webhook URL cannot make a worker probe its own network: loopback, private and link-local
addresses are refused (unless CAP_WEBHOOK_ALLOW_PRIVATE), a host name is resolved at sending
time, and the request goes to the address that was checked.

Every request is signed, and without CAP_WEBHOOK_SECRET nothing is sent (the deliveries are
marked failed, saying why): a receiver cannot tell an unsigned webhook from a forged one.

    X-Cap-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
    X-Cap-Event: campaign.succeeded | campaign.partially_succeeded | campaign.failed | ...
    X-Cap-Delivery: <delivery id>  (delivery is at least once: dedupe on it)

A receiver recomputes the HMAC over the raw body bytes exactly as received, compares in
constant time, and refuses a `t` more than a few minutes old (a replayed request); `verify`
below does all three.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from tenacity import RetryCallState, Retrying, wait_exponential_jitter

from ..storage import ApiKey, Campaign, WebhookDelivery
from .context import Service

log = logging.getLogger(__name__)
SIGNATURE = "X-Cap-Signature"
MAX_URL = 2048
TOLERANCE_S = 300
UNSIGNED = "CAP_WEBHOOK_SECRET is not set: webhooks are never sent unsigned"


def check_webhook_url(url: str, *, allow_private: bool = False) -> str:
    """The URL if it is an absolute http(s) URL with a host and no credentials, and (unless
    `allow_private`) whose host is not a loopback, private or link-local address or a
    localhost name; ValueError saying what is wrong otherwise. A host name is resolved and
    checked again when the webhook is sent (see `_pinned`)."""
    if len(url) > MAX_URL:
        raise ValueError(f"is longer than {MAX_URL} characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError on a port that is not a number)
    except ValueError:
        raise ValueError("is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http:// or https:// URL")
    if parts.username or parts.password:
        raise ValueError("must not carry credentials (the request is signed instead)")
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise ValueError("must not contain spaces or control characters")
    host = parts.hostname.rstrip(".").lower()
    if not allow_private and (host == "localhost" or host.endswith(".localhost") or (
        _is_ip(host) and not _public(host)
    )):  # fmt: skip
        raise ValueError(f"points at {PRIVATE}")
    return url


PRIVATE = (
    "a loopback, private or link-local address, which webhooks may not reach unless "
    "CAP_WEBHOOK_ALLOW_PRIVATE is set (a receiver inside your own network)"
)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _public(address: str) -> bool:
    """A globally routable unicast address (an IPv4-mapped IPv6 one judged as its IPv4)."""
    ip = ipaddress.ip_address(address.split("%")[0])  # an IPv6 zone is never global anyway
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _pinned(url: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The URL with its host resolved once and checked: every address it resolves to must be
    public, and the request goes to the address that was checked (a name that re-resolves to
    an internal one between check and connect gains nothing). Returns the URL to request, the
    Host header and the TLS server name to verify the certificate against. ValueError when
    the name does not resolve or reaches a private address."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ValueError(f"host {host!r} does not resolve ({exc})") from None
    addresses = [str(info[4][0]) for info in found]
    if not addresses or not all(_public(a) for a in addresses):
        raise ValueError(f"host {host!r} resolves to {PRIVATE}")
    ip = addresses[0]
    netloc = (f"[{ip}]" if ":" in ip else ip) + (f":{parts.port}" if parts.port else "")
    pinned = parts._replace(netloc=netloc).geturl()
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    return pinned, {"Host": parts.netloc.rsplit("@", 1)[-1]}, extensions


def sign(secret: bytes, body: bytes, timestamp: int) -> str:
    """The X-Cap-Signature value for `body` sent at `timestamp`."""
    digest = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(
    secret: bytes,
    header: str,
    body: bytes,
    *,
    now: float | None = None,
    tolerance_s: int = TOLERANCE_S,
) -> bool:
    """True when `header` is a valid signature of `body` made within `tolerance_s`."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance_s:
        return False
    expected = sign(secret, body, timestamp).rsplit("v1=", 1)[1]
    return hmac.compare_digest(expected, fields.get("v1", ""))


def payload(campaign: Campaign) -> dict[str, Any]:
    """What a webhook says about a campaign (the receiver fetches the rest from the API)."""
    return {
        "campaign": {
            "id": campaign.id,
            "brief_campaign_id": campaign.brief_campaign_id,
            "state": campaign.state.value,
            "creatives_done": campaign.creatives_done,
            "creatives_expected": campaign.creatives_expected,
            "cost_usd": campaign.cost_usd,
            "error": campaign.error,
            "created_at": campaign.created_at.isoformat(),
            "started_at": campaign.started_at.isoformat() if campaign.started_at else None,
            "finished_at": campaign.finished_at.isoformat() if campaign.finished_at else None,
        }
    }


def notify(service: Service, campaign: Campaign) -> WebhookDelivery | None:
    """Queue the webhook for a campaign that reached a final state: to its own webhook URL,
    else its API key's; None when neither has one."""
    url = campaign.webhook_url
    if url is None and campaign.api_key_id is not None:
        key: ApiKey = service.store.get_key(campaign.api_key_id)
        url = key.webhook_url
    if url is None:
        return None
    event = f"campaign.{campaign.state.value}"
    return service.store.enqueue_webhook(campaign.id, url, event, payload(campaign))


def deliver_due(service: Service, client: httpx.Client | None = None, *, limit: int = 50) -> int:
    """Send the deliveries that are due; returns how many were delivered (2xx)."""
    store, settings = service.store, service.settings
    due = store.due_webhooks(limit)
    if not due:
        return 0
    if settings.webhook_secret is None:
        log.warning("%s: %d delivery(ies) marked failed", UNSIGNED, len(due))
        for delivery in due:
            store.mark_delivery_failed(delivery.id, UNSIGNED, retry_at=None)
        return 0
    secret = settings.webhook_secret.get_secret_value().encode()
    backoff = wait_exponential_jitter(
        multiplier=settings.webhook_backoff_s,
        max=settings.webhook_backoff_max_s,
        jitter=settings.webhook_backoff_s / 2,
    )
    own = client is None
    http = client or httpx.Client(timeout=settings.webhook_timeout_s, follow_redirects=False)
    delivered = 0
    try:
        for delivery in due:
            error = _post(http, delivery, secret, int(store.now().timestamp()),
                          allow_private=settings.webhook_allow_private)  # fmt: skip
            if error is None:
                store.mark_delivered(delivery.id)
                delivered += 1
                continue
            attempt = delivery.attempts + 1
            if attempt >= settings.webhook_max_attempts:
                log.warning(
                    "webhook %s to %s failed for good: %s", delivery.id, delivery.url, error
                )
                store.mark_delivery_failed(delivery.id, error, retry_at=None)
            else:
                wait = backoff(_attempt_state(attempt))
                retry_at = store.now() + timedelta(seconds=wait)
                store.mark_delivery_failed(delivery.id, error, retry_at=retry_at)
    finally:
        if own:
            http.close()
    return delivered


def _post(
    client: httpx.Client,
    delivery: WebhookDelivery,
    secret: bytes,
    now: int,
    *,
    allow_private: bool = False,
) -> str | None:
    """POST one delivery; None when the receiver answered 2xx, else what went wrong."""
    host: dict[str, str] = {}
    extensions: dict[str, Any] = {}
    try:
        url = check_webhook_url(delivery.url, allow_private=allow_private)
        if not allow_private:
            url, host, extensions = _pinned(url)
    except ValueError as exc:
        return f"the webhook URL {exc}"
    body = json.dumps(
        {
            "id": delivery.id,
            "event": delivery.event,
            "created_at": delivery.created_at.isoformat(),
            "data": delivery.payload,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE: sign(secret, body, now),
        "X-Cap-Event": delivery.event,
        "X-Cap-Delivery": delivery.id,
        **host,
    }
    try:
        # streamed and never read: a receiver's answer body is of no interest, whatever its size
        with client.stream(
            "POST", url, content=body, headers=headers, extensions=extensions
        ) as response:
            status = response.status_code
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"
    return None if 200 <= status < 300 else f"the receiver answered HTTP {status}"


def _attempt_state(attempt: int) -> RetryCallState:
    # tenacity's wait strategies read the attempt number off a call state
    state = RetryCallState(Retrying(), None, (), {})
    state.attempt_number = attempt
    return state


__all__ = ["check_webhook_url", "deliver_due", "notify", "payload", "sign", "verify"]
