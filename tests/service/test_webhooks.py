"""Webhooks against real HTTP servers on 127.0.0.1: signed, verified by the receiver, retried
with back-off, failed for good after the last attempt, never sent unsigned."""

from __future__ import annotations

import json
import socket
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from api_support import Keys, make_service, small_brief
from fastapi.testclient import TestClient
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from creative_automation.service import webhooks
from creative_automation.service.api import create_app
from creative_automation.service.context import Service
from creative_automation.service.webhooks import (
    UNSIGNED,
    check_webhook_url,
    deliver_due,
    notify,
    sign,
    verify,
)
from creative_automation.storage import Campaign, CampaignState, DeliveryStatus, MetadataStore
from creative_automation.storage.engine import build_engine

SECRET = "whsec-0123456789abcdef-test"
S = CampaignState


class Clock:
    def __init__(self) -> None:
        self.moment = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture
def clock() -> Clock:
    return Clock()


def hooked(tmp_path: Path, clock: Clock, **settings: Any) -> Service:
    options: dict[str, Any] = {
        "webhook_secret": SECRET,
        "webhook_backoff_s": 10.0,
        "webhook_max_attempts": 3,
        "webhook_timeout_s": 2.0,
        "webhook_allow_private": True,  # the receivers here are on 127.0.0.1
    }
    options.update(settings)
    service = make_service(tmp_path, **options)
    service.store.close()
    service.store = MetadataStore(build_engine(service.settings.metadata_url), clock=clock)
    return service


def failed_campaign(service: Service, url: str | None, api_key_id: str | None = None) -> Campaign:
    campaign, _ = service.store.create_campaign(
        small_brief(), webhook_url=url, api_key_id=api_key_id, creatives_expected=2
    )
    return service.store.transition(campaign.id, S.FAILED, error="every provider is down")


def test_a_signed_webhook_is_verified_by_a_real_receiver(
    tmp_path: Path, clock: Clock, httpserver: HTTPServer
) -> None:
    service = hooked(tmp_path, clock)
    received: list[dict[str, Any]] = []

    def receiver(request: Request) -> Response:
        body = request.get_data()
        if not verify(SECRET.encode(), request.headers.get("X-Cap-Signature", ""), body):
            return Response("bad signature", status=401)
        received.append({"body": json.loads(body), "headers": dict(request.headers)})
        return Response("thanks", status=204)

    httpserver.expect_request("/hook", method="POST").respond_with_handler(receiver)
    campaign = failed_campaign(service, httpserver.url_for("/hook"))
    delivery = notify(service, campaign)
    assert delivery is not None and delivery.event == "campaign.failed"
    assert deliver_due(service) == 1
    (got,) = received
    assert got["body"]["id"] == delivery.id and got["body"]["event"] == "campaign.failed"
    assert got["body"]["data"]["campaign"]["id"] == campaign.id
    assert got["body"]["data"]["campaign"]["error"] == "every provider is down"
    assert got["headers"]["X-Cap-Delivery"] == delivery.id
    assert got["headers"]["Content-Type"] == "application/json"
    (stored,) = service.store.deliveries(campaign.id)
    assert stored.status is DeliveryStatus.DELIVERED and stored.attempts == 1
    assert deliver_due(service) == 0  # nothing is sent twice


def test_a_failing_receiver_is_retried_with_backoff_then_failed_for_good(
    tmp_path: Path, clock: Clock, httpserver: HTTPServer
) -> None:
    service = hooked(tmp_path, clock)
    httpserver.expect_request("/hook").respond_with_data("down", status=503)
    campaign = failed_campaign(service, httpserver.url_for("/hook"))
    notify(service, campaign)
    waits = []
    for attempt in (1, 2):
        assert deliver_due(service) == 0
        (pending,) = service.store.deliveries(campaign.id)
        assert pending.status is DeliveryStatus.PENDING and pending.attempts == attempt
        assert pending.last_error == "the receiver answered HTTP 503"
        assert pending.next_attempt_at is not None
        waits.append((pending.next_attempt_at - clock.moment).total_seconds())
        assert deliver_due(service) == 0  # not due yet: nothing is sent
        assert len(httpserver.log) == attempt
        clock.moment = pending.next_attempt_at
    # exponential: about 10 s, then about 20 s (with up to 5 s of jitter)
    assert 10 <= waits[0] <= 15 and 20 <= waits[1] <= 25
    assert deliver_due(service) == 0
    (final,) = service.store.deliveries(campaign.id)
    assert final.status is DeliveryStatus.FAILED and final.attempts == 3
    assert final.next_attempt_at is None
    assert len(httpserver.log) == 3


def test_an_unreachable_receiver_is_a_failed_attempt(tmp_path: Path, clock: Clock) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    service = hooked(tmp_path, clock)
    campaign = failed_campaign(service, f"http://127.0.0.1:{port}/hook")
    notify(service, campaign)
    assert deliver_due(service) == 0
    (pending,) = service.store.deliveries(campaign.id)
    assert pending.status is DeliveryStatus.PENDING and "ConnectError" in (pending.last_error or "")


def test_a_redirect_is_not_followed(tmp_path: Path, clock: Clock, httpserver: HTTPServer) -> None:
    service = hooked(tmp_path, clock)
    httpserver.expect_request("/hook").respond_with_data(
        "", status=307, headers={"Location": "http://169.254.169.254/"}
    )
    notify(service, failed_campaign(service, httpserver.url_for("/hook")))
    assert deliver_due(service) == 0
    assert len(httpserver.log) == 1


def test_without_a_secret_nothing_is_sent_unsigned(
    tmp_path: Path, clock: Clock, httpserver: HTTPServer
) -> None:
    service = hooked(tmp_path, clock, webhook_secret=None)
    campaign = failed_campaign(service, httpserver.url_for("/hook"))
    notify(service, campaign)
    assert deliver_due(service) == 0
    (failed,) = service.store.deliveries(campaign.id)
    assert failed.status is DeliveryStatus.FAILED and failed.last_error == UNSIGNED
    assert httpserver.log == []


def test_the_keys_webhook_url_is_used_when_the_campaign_has_none(
    tmp_path: Path, clock: Clock
) -> None:
    service = hooked(tmp_path, clock)
    _, key = service.store.create_key("k", webhook_url="https://hooks.example/key")
    delivery = notify(service, failed_campaign(service, None, api_key_id=key.id))
    assert delivery is not None and delivery.url == "https://hooks.example/key"
    own = notify(service, failed_campaign(service, "https://hooks.example/own", key.id))
    assert own is not None and own.url == "https://hooks.example/own"
    assert notify(service, failed_campaign(service, None)) is None


def test_cancelling_a_queued_campaign_through_the_api_sends_its_webhook(
    tmp_path: Path, clock: Clock
) -> None:
    service = hooked(tmp_path, clock)
    key, _ = service.store.create_key("w")
    with TestClient(create_app(service)) as client:
        created = client.post(
            "/v1/campaigns",
            json=small_brief(),
            headers={**Keys.header(key), "X-Webhook-URL": "https://hooks.example/c"},
        ).json()
        client.post(f"/v1/campaigns/{created['id']}/cancel", headers=Keys.header(key))
    (delivery,) = service.store.deliveries(created["id"])
    assert delivery.event == "campaign.cancelled"
    assert delivery.payload["campaign"]["state"] == "cancelled"


def test_signatures_refuse_a_changed_body_a_wrong_secret_and_an_old_timestamp() -> None:
    body, now = b'{"id":"whd_1"}', int(time.time())
    header = sign(b"secret-one-0123456789", body, now)
    assert verify(b"secret-one-0123456789", header, body)
    assert not verify(b"secret-one-0123456789", header, body + b" ")
    assert not verify(b"secret-two-0123456789", header, body)
    assert not verify(b"secret-one-0123456789", header, body, now=now + 301)
    assert not verify(b"secret-one-0123456789", "v1=abc", body)


@pytest.mark.parametrize(
    "url", ["ftp://h/x", "http://", "https://u:p@h/", "http://h:port/", "http://h/ x"]
)
def test_webhook_urls_are_checked(url: str) -> None:
    with pytest.raises(ValueError):
        check_webhook_url(url)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080/hook", "http://10.1.2.3/", "http://192.168.0.9/", "http://[::1]/",
     "http://169.254.169.254/latest/meta-data/", "http://localhost:9000/", "http://api.localhost/",
     "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/", "http://100.64.0.1/", "http://224.0.0.1/"],
)  # fmt: skip
def test_webhooks_may_not_reach_internal_addresses_unless_allowed(url: str) -> None:
    with pytest.raises(ValueError, match="CAP_WEBHOOK_ALLOW_PRIVATE"):
        check_webhook_url(url)
    assert check_webhook_url(url, allow_private=True) == url
    assert check_webhook_url("https://hooks.example.com/cap") == "https://hooks.example.com/cap"


def test_a_name_resolving_to_an_internal_address_is_not_sent_to(
    tmp_path: Path, clock: Clock, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = hooked(tmp_path, clock, webhook_allow_private=False)
    httpserver.expect_request("/hook").respond_with_data("", status=204)
    port = httpserver.port
    real = socket.getaddrinfo
    monkeypatch.setattr(webhooks.socket, "getaddrinfo", lambda host, *a, **k: real(
        "127.0.0.1" if host == "hooks.test" else host, *a, **k))  # fmt: skip
    campaign = failed_campaign(service, f"http://hooks.test:{port}/hook")  # a public-looking name
    notify(service, campaign)
    assert deliver_due(service) == 0
    (pending,) = service.store.deliveries(campaign.id)
    assert "'hooks.test' resolves to a loopback, private" in (pending.last_error or "")
    assert len(httpserver.log) == 0  # nothing reached the internal address


def test_a_webhook_goes_to_the_address_that_was_checked(
    tmp_path: Path, clock: Clock, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The name is resolved once: the request is sent to that address, with the name as its
    Host, so a name that re-resolves elsewhere between check and connect gains nothing."""
    service = hooked(tmp_path, clock, webhook_allow_private=False)
    httpserver.expect_request("/hook").respond_with_data("", status=204)
    lookups: list[str] = []
    real = socket.getaddrinfo

    def resolve(host: str, *args: Any, **kwargs: Any) -> Any:
        lookups.append(host)
        return real("127.0.0.1" if host == "hooks.test" else host, *args, **kwargs)

    monkeypatch.setattr(webhooks.socket, "getaddrinfo", resolve)
    monkeypatch.setattr(webhooks, "_public", lambda address: address == "127.0.0.1")  # stand-in
    campaign = failed_campaign(service, f"http://hooks.test:{httpserver.port}/hook")
    notify(service, campaign)
    assert deliver_due(service) == 1
    ((request, _),) = httpserver.log
    assert request.headers["Host"] == f"hooks.test:{httpserver.port}"
    # resolved once: the client connected to the address that was checked
    assert lookups.count("hooks.test") == 1 and set(lookups) <= {"hooks.test", "127.0.0.1"}


def test_a_placeholder_secret_is_refused_at_start() -> None:
    from creative_automation.errors import ConfigError
    from creative_automation.settings import load_settings

    with pytest.raises(ConfigError, match="CAP_WEBHOOK_SECRET"):
        load_settings(webhook_secret="changeme")
