"""Alerts where people read them: GET /v1/alerts (scoped by key), acknowledging, and the CLI
(`cap agent --once` over a real inbox, `cap alerts`, `cap alerts ack`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from creative_automation.cli import app
from creative_automation.service.api import create_app
from creative_automation.service.context import Service, build_service
from creative_automation.settings import Settings
from creative_automation.storage import AlertDraft, AlertStatus, Scope, Severity
from factories import brief_data, logo

THROTTLE = timedelta(minutes=30)


@pytest.fixture
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Service]:
    monkeypatch.setenv("CAP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CAP_QUEUE", "sqlite")
    monkeypatch.setenv("COLUMNS", "250")
    built = build_service(Settings(data_dir=tmp_path / "data", queue="sqlite"))
    built.store.upgrade()
    yield built
    built.close()


def alert(service: Service, campaign_id: str | None, subject: str) -> str:
    draft = AlertDraft(
        "failed_creatives" if campaign_id else "provider_incident",
        Severity.WARNING,
        f"{subject}: 2 creatives failed",
        "open report.html",
        {"count": 2, "of": 6},
        campaign_id,
        subject,
    )
    return service.store.raise_alert(draft, throttle=THROTTLE).alert.id


def test_the_api_lists_a_keys_own_alerts_and_acknowledges_them(service: Service) -> None:
    store = service.store
    mine_key, mine = store.create_key("mine", Scope.WRITE)
    theirs_key, theirs = store.create_key("theirs", Scope.WRITE)
    admin_key, _ = store.create_key("ops", Scope.ADMIN)
    reader_key, _ = store.create_key("reader", Scope.READ)
    own = store.create_campaign({"campaign_id": "a"}, api_key_id=mine.id)[0].id
    other = store.create_campaign({"campaign_id": "b"}, api_key_id=theirs.id)[0].id
    a1, a2, a3 = (
        alert(service, own, "own"),
        alert(service, other, "other"),
        alert(service, None, "openai"),
    )

    def get(key: str, **params: str) -> list[dict[str, object]]:
        answer = client.get("/v1/alerts", params=params, headers={"X-API-Key": key})
        assert answer.status_code == 200, answer.text
        return list(answer.json()["items"])

    with TestClient(create_app(service)) as client:
        assert [a["id"] for a in get(mine_key)] == [a3, a1]  # own + the deployment's
        assert [a["id"] for a in get(admin_key)] == [a3, a2, a1]
        first = get(mine_key, campaign_id=own)[0]
        assert first["evidence"] == {"count": 2, "of": 6} and first["action"] == "open report.html"
        assert first["severity"] == "warning" and first["status"] == "open"
        denied = client.get("/v1/alerts", params={"campaign_id": other},
                            headers={"X-API-Key": mine_key})  # fmt: skip
        assert denied.status_code == 404  # another key's campaign does not exist for it
        assert client.get("/v1/alerts").status_code == 401
        assert client.get("/v1/alerts", params={"status": "bogus"},
                          headers={"X-API-Key": admin_key}).status_code == 422  # fmt: skip

        ack = client.post(f"/v1/alerts/{a1}/acknowledge", headers={"X-API-Key": reader_key})
        assert ack.status_code == 403
        ack = client.post(f"/v1/alerts/{a2}/acknowledge", headers={"X-API-Key": mine_key})
        assert ack.status_code == 404
        ack = client.post(f"/v1/alerts/{a1}/acknowledge", headers={"X-API-Key": mine_key})
        assert ack.status_code == 200 and ack.json()["status"] == "acknowledged"
        assert "mine" in ack.json()["acknowledged_by"]
        assert [a["id"] for a in get(mine_key)] == [a3]  # open ones only, by default
        assert {a["id"] for a in get(mine_key, status="all")} == {a1, a3}
    assert store.get_alert(a1).status is AlertStatus.ACKNOWLEDGED
    assert "theirs" not in theirs_key  # keys are opaque: the name is not in the key


def test_cap_agent_once_submits_the_inbox_and_cap_alerts_lists_and_acks(
    service: Service, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "launch").mkdir(parents=True)
    data = brief_data(
        formats=["9:16"], min_variants=2,
        locales={"en-US": {"message": "Fresh roast, every morning", "call_to_action": "Order"}},
    )  # fmt: skip
    data["products"] = data["products"][1:]  # one product, no asset
    (inbox / "launch.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    logo().save(inbox / "launch" / "logo.png")
    runner = CliRunner()
    result = runner.invoke(app, ["agent", "--once", "--inbox", str(inbox)])
    assert result.exit_code == 0, result.output
    assert "inbox: submitted" in result.output and "launch.yaml" in result.output
    (campaign,) = service.store.list_campaigns().items
    assert campaign.creatives_expected == 1

    cid = campaign.id
    made = alert(service, cid, "launch")
    listed = runner.invoke(app, ["alerts"])
    assert listed.exit_code == 0 and made in listed.output and "2 creatives failed" in listed.output
    as_json = json.loads(runner.invoke(app, ["alerts", "--json"]).output)
    assert [a["id"] for a in as_json] == [made] and as_json[0]["evidence"]["count"] == 2
    acked = runner.invoke(app, ["alerts", "ack", made, "--by", "ana"])
    assert acked.exit_code == 0 and "acknowledged by ana" in acked.output
    assert "no open alerts" in runner.invoke(app, ["alerts"]).output
    missing = runner.invoke(app, ["alerts", "ack", "alr_nope"])
    assert missing.exit_code == 2 and "no alert alr_nope" in missing.output
    assert "Traceback" not in missing.output


def test_the_agent_loop_watches_the_inbox_and_ticks_until_stopped(
    service: Service, tmp_path: Path
) -> None:
    import threading
    import time

    from creative_automation.agent.channels import LogChannel
    from creative_automation.agent.inbox import Inbox
    from creative_automation.agent.loop import Agent
    from creative_automation.agent.rules import Rules

    inbox = tmp_path / "watched"
    inbox.mkdir()
    agent = Agent(service, Rules(), [LogChannel()], inbox=Inbox(service, str(inbox), settle_s=0.2))
    stop = threading.Event()
    loop = threading.Thread(target=agent.run, args=(stop, 0.2))
    loop.start()
    try:
        data = brief_data(
            formats=["9:16"], locales={"en-US": {"message": "Hi", "call_to_action": "Go"}}
        )
        data["products"] = data["products"][1:]
        data["brand"].pop("logo")
        (inbox / "drop.json").write_text(json.dumps(data))
        deadline = time.monotonic() + 20
        while not service.store.list_campaigns().items and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(service.store.list_campaigns().items) == 1
    finally:
        stop.set()
        loop.join(10)
    assert not loop.is_alive()
