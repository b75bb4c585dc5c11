"""The MCP server through the SDK's own client: in-process, and over streamable HTTP with keys."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import httpx2
import pytest
import yaml
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult, TextContent, TextResourceContents
from starlette.applications import Starlette

from creative_automation.agent.mcp_http import standalone_app
from creative_automation.agent.mcp_server import INSTRUCTIONS, build_mcp_server
from creative_automation.brief import parse_brief
from creative_automation.pipeline import run_campaign
from creative_automation.service import campaigns as actions
from creative_automation.service.api import create_app
from creative_automation.service.context import Service, build_service
from creative_automation.settings import Settings
from creative_automation.storage import (
    AlertDraft,
    ApiKey,
    CampaignState,
    CreativeStatus,
    Scope,
    Severity,
)
from factories import brief_data, logo, photo
from live import uvicorn_thread

T = TypeVar("T")
WRITE_TOOLS = {"submit_brief", "draft_update", "review_creatives"}
READ_TOOLS = {
    "validate_brief",
    "list_campaigns",
    "get_campaign",
    "get_creatives",
    "get_findings",
    "list_alerts",
    "list_reviews",
}
THROTTLE = timedelta(minutes=30)


def small_brief(**changes: Any) -> dict[str, Any]:
    """2 products × 1 format × 1 locale, no logo file: quick to render for real."""
    data = brief_data(
        formats=["9:16"],
        locales={"en-US": {"message": "Fresh roast, every morning", "call_to_action": "Order"}},
    )
    data["brand"].pop("logo")
    data.update(changes)
    return data


@dataclass(frozen=True)
class World:
    """A service with one key per scope and a finished campaign owned by the write key."""

    service: Service
    keys: dict[str, tuple[str, ApiKey]]  # name → (plaintext, record)
    campaign_id: str
    manifest: dict[str, Any]

    def key(self, name: str) -> ApiKey:
        return self.keys[name][1]


@pytest.fixture(autouse=True)
def no_service_settings_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CAP_DATABASE_URL", "CAP_QUEUE", "CAP_STORAGE_URL", "CAP_RATE_LIMIT"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A campaign folder made once by the real pipeline (procedural provider)."""
    root = tmp_path_factory.mktemp("mcp-rendered")
    assets = root / "assets"
    assets.mkdir()
    photo().save(assets / "hero.jpg", quality=90)
    logo().save(assets / "logo.png")
    settings = Settings(data_dir=root / "data", output_dir=root / "out", workers=1)
    result = run_campaign(
        parse_brief(small_brief()), assets_dir=assets, out_dir=root / "out", settings=settings
    )
    return result.folder


@pytest.fixture
def world(tmp_path: Path, rendered: Path) -> Iterator[World]:
    service = build_service(
        Settings(data_dir=tmp_path / "data", queue="sqlite", rate_limit="100000/minute")
    )
    service.store.upgrade()
    keys = {
        name: service.store.create_key(name, scope)
        for name, scope in (
            ("read", Scope.READ),
            ("write", Scope.WRITE),
            ("admin", Scope.ADMIN),
            ("other", Scope.WRITE),
        )
    }
    submitted = actions.submit(service, small_brief(), creatives=2, api_key_id=keys["write"][1].id)
    cid = submitted.campaign.id
    manifest = publish(service, rendered, cid)
    yield World(service, keys, cid, manifest)
    service.close()


def publish(service: Service, rendered: Path, campaign_id: str) -> dict[str, Any]:
    """Checkpoint the rendered creatives and publish the folder, as a worker does."""
    store = service.store
    manifest: dict[str, Any] = json.loads((rendered / "manifest.json").read_text())
    store.transition(campaign_id, CampaignState.GENERATING)
    for record in manifest["creatives"]:
        store.checkpoint_creative(
            campaign_id,
            product_id=record["product_id"],
            aspect_ratio=record["aspect_ratio"],
            locale=record["locale"],
            status=CreativeStatus(record["status"]),
            path=record["path"],
            cost_usd=record["cost_usd"],
            record=record,
        )
    uri = service.files.publish(rendered, campaign_id)
    store.transition(campaign_id, CampaignState.RENDERING)
    store.transition(campaign_id, CampaignState.CHECKING)
    store.transition(campaign_id, CampaignState.SUCCEEDED, output_uri=uri)
    return manifest


def with_client(server: Any, use: Callable[[Client], Awaitable[T]]) -> T:
    async def main() -> T:
        async with Client(server) as client:
            return await use(client)

    return asyncio.run(main())


def call(server: Any, tool: str, **arguments: Any) -> CallToolResult:
    return with_client(server, lambda c: c.call_tool(tool, arguments))


def data(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, text(result)
    content: dict[str, Any] | None = result.structured_content
    assert content is not None
    return content


def text(result: CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, TextContent))


def test_the_tools_are_listed_with_read_only_marked_and_instructions(world: World) -> None:
    async def use(client: Client) -> dict[str, Any]:
        assert client.instructions == INSTRUCTIONS
        return {t.name: t for t in (await client.list_tools()).tools}

    tools = with_client(build_mcp_server(world.service), use)
    assert set(tools) == READ_TOOLS | WRITE_TOOLS
    for name in READ_TOOLS:
        annotations = tools[name].annotations
        assert annotations is not None and annotations.read_only_hint is True, name
    for name in WRITE_TOOLS:
        annotations = tools[name].annotations
        assert annotations is None or not annotations.read_only_hint, name
    assert tools["list_campaigns"].input_schema["properties"]["limit"]["maximum"] == 100


def test_validate_brief_counts_creatives_or_names_each_field(world: World) -> None:
    server = build_mcp_server(world.service)
    good = data(call(server, "validate_brief", brief=yaml.safe_dump(small_brief())))
    assert good["valid"] is True and good["creatives"] == 2
    bad_brief = small_brief(products=[{"id": "", "name": "x"}])
    del bad_brief["audience"]
    bad = data(call(server, "validate_brief", brief=json.dumps(bad_brief), format="json"))
    assert bad["valid"] is False and bad["creatives"] is None
    paths = {p["path"] for p in bad["problems"]}
    assert {"audience", "products[0].id"} <= paths
    assert "audience" in bad["message"] and "problems in the brief" in bad["message"]


def test_submit_brief_queues_a_campaign_and_replays_its_idempotency_key(world: World) -> None:
    server = build_mcp_server(world.service)
    brief = yaml.safe_dump(small_brief(campaign_id="mcp-run"))
    first = data(call(server, "submit_brief", brief=brief, idempotency_key="mcp-1"))
    assert first["state"] == "queued" and first["created"] is True
    stored = world.service.store.get_campaign(first["id"])
    assert stored.brief_campaign_id == "mcp-run" and stored.creatives_expected == 2
    again = data(call(server, "submit_brief", brief=brief, idempotency_key="mcp-1"))
    assert again["id"] == first["id"] and again["created"] is False
    assert world.service.queue.depth() == 2  # the fixture's campaign and this one, once


def test_submit_brief_refuses_an_invalid_brief_with_the_field_paths(world: World) -> None:
    server = build_mcp_server(world.service)
    result = call(server, "submit_brief", brief="campaign_id: x\nproducts: []\n")
    assert result.is_error
    assert "campaign_name: required field is missing" in text(result)
    assert "Traceback" not in text(result)
    assert world.service.store.list_campaigns().items[0].id == world.campaign_id  # none added


def test_list_and_get_campaign_report_the_finished_run(world: World) -> None:
    server = build_mcp_server(world.service)
    listed = data(call(server, "list_campaigns", state="succeeded"))
    assert [c["id"] for c in listed["items"]] == [world.campaign_id]
    assert listed["items"][0]["progress"] == {"creatives_done": 2, "creatives_expected": 2}
    assert data(call(server, "list_campaigns", state="failed"))["items"] == []
    status = data(call(server, "get_campaign", campaign_id=world.campaign_id))
    assert status["state"] == "succeeded" and status["name"] == "Test Campaign"
    assert status["finished_at"] is not None and status["error"] is None
    assert status["cost_usd"] == pytest.approx(
        sum(c["cost_usd"] for c in world.manifest["creatives"])
    )
    assert sorted(c["product_id"] for c in status["creatives"]) == ["made-product", "photo-product"]


def test_a_limit_out_of_range_is_a_validation_error(world: World) -> None:
    server = build_mcp_server(world.service)
    for limit in (0, 101):
        result = call(server, "list_campaigns", limit=limit)
        assert result.is_error and "limit" in text(result)
    assert call(server, "get_campaign", campaign_id="x" * 65).is_error


def test_get_creatives_mirrors_the_manifest_and_filters(world: World) -> None:
    server = build_mcp_server(world.service)
    items = data(call(server, "get_creatives", campaign_id=world.campaign_id))["items"]
    by_product = {r["product_id"]: r for r in world.manifest["creatives"]}
    assert {i["product_id"] for i in items} == set(by_product)
    for item in items:
        record = by_product[item["product_id"]]
        assert item["path"] == record["path"] and item["format"] == record["format"]
        assert item["source"] == record["source"] and item["provider"] == record["provider"]
        assert item["locale"] == "en-US" and item["status"] == record["status"]
    photo_only = data(
        call(server, "get_creatives", campaign_id=world.campaign_id, product="photo-product")
    )
    assert [i["source"] for i in photo_only["items"]] == ["asset"]
    none = data(call(server, "get_creatives", campaign_id=world.campaign_id, locale="ja-JP"))
    assert none["items"] == []


def test_get_findings_gives_every_check_or_only_the_problems(world: World) -> None:
    server = build_mcp_server(world.service)
    full = data(call(server, "get_findings", campaign_id=world.campaign_id, only_problems=False))
    assert full["checked"] == 2 and len(full["items"]) == 2
    for item in full["items"]:
        record = next(
            r for r in world.manifest["creatives"] if r["product_id"] == item["product_id"]
        )
        assert [f["check"] for f in item["findings"]] == [f["check"] for f in record["compliance"]]
        assert item["corrections"] == record["corrections"]
        assert all({"status", "value", "threshold", "detail"} <= set(f) for f in item["findings"])
    problems = data(call(server, "get_findings", campaign_id=world.campaign_id))
    expected = {
        r["product_id"]: [f["check"] for f in r["compliance"] if f["status"] in ("warn", "fail")]
        for r in world.manifest["creatives"]
    }
    got = {i["product_id"]: [f["check"] for f in i["findings"]] for i in problems["items"]}
    assert got == {p: checks for p, checks in expected.items() if checks}


def test_list_alerts_by_status_campaign_and_key(world: World) -> None:
    store = world.service.store
    store.raise_alert(
        AlertDraft(
            rule="slow_campaign",
            severity=Severity.WARNING,
            summary="the campaign is slower than usual",
            action="check the workers",
            evidence={"minutes": 42},
            campaign_id=world.campaign_id,
        ),
        throttle=THROTTLE,
    )
    store.raise_alert(
        AlertDraft(
            rule="provider_down",
            severity=Severity.CRITICAL,
            summary="the image provider is down",
            action="fall back",
        ),
        throttle=THROTTLE,
    )
    local = data(call(build_mcp_server(world.service), "list_alerts"))["items"]
    assert {a["rule"] for a in local} == {"slow_campaign", "provider_down"}
    mine = data(call(build_mcp_server(world.service, key=world.key("write")), "list_alerts"))
    # its own campaign's, and the deployment's (as GET /v1/alerts), newest first
    assert [(a["rule"], a["evidence"], a["occurrences"]) for a in mine["items"]] == [
        ("provider_down", {}, 1),
        ("slow_campaign", {"minutes": 42}, 1),
    ]
    other = build_mcp_server(world.service, key=world.key("other"))
    assert [a["rule"] for a in data(call(other, "list_alerts"))["items"]] == ["provider_down"]
    refused = call(other, "list_alerts", campaign_id=world.campaign_id)
    assert refused.is_error and "no campaign" in text(refused)
    server = build_mcp_server(world.service)
    assert data(call(server, "list_alerts", status="resolved"))["items"] == []
    assert call(server, "list_alerts", status="closed").is_error


def test_a_key_sees_only_its_own_campaigns_and_read_keys_cannot_submit(world: World) -> None:
    other = build_mcp_server(world.service, key=world.key("other"))
    hidden = call(other, "get_campaign", campaign_id=world.campaign_id)
    assert hidden.is_error and f"no campaign {world.campaign_id}" in text(hidden)
    assert data(call(other, "list_campaigns"))["items"] == []
    admin = build_mcp_server(world.service, key=world.key("admin"))
    assert data(call(admin, "get_campaign", campaign_id=world.campaign_id))["state"] == "succeeded"
    reader = build_mcp_server(world.service, key=world.key("read"))
    refused = call(reader, "submit_brief", brief=yaml.safe_dump(small_brief()))
    assert refused.is_error and "write scope" in text(refused)


def test_review_creatives_records_the_person_and_the_outputs_show_it(world: World) -> None:
    cid = world.campaign_id
    refs = [
        {"product_id": r["product_id"], "aspect_ratio": r["aspect_ratio"], "locale": r["locale"]}
        for r in world.manifest["creatives"]
    ]
    writer = build_mcp_server(world.service, key=world.key("write"))
    unreasoned = call(writer, "review_creatives", campaign_id=cid, decision="rejected",
                      reviewer="Ana Ruiz", creatives=refs[:1])  # fmt: skip
    assert unreasoned.is_error and "comment" in text(unreasoned)
    done = data(call(writer, "review_creatives", campaign_id=cid, decision="approved",
                     reviewer="Ana Ruiz", creatives=refs, comment="ready for launch"))  # fmt: skip
    assert [(i["decision"], i["reviewer"]) for i in done["items"]] == [("approved", "Ana Ruiz")] * 2
    assert all(i["recorded_by"].startswith("key write (") for i in done["items"])
    # stdio is the local user, as with the CLI
    local = build_mcp_server(world.service)
    data(call(local, "review_creatives", campaign_id=cid, decision="rejected",
              reviewer="Ben Ito", creatives=refs[:1], comment="CTA is cut off"))  # fmt: skip
    current = data(call(local, "list_reviews", campaign_id=cid))["items"]
    assert sorted((i["decision"], i["recorded_by"]) for i in current) == [
        ("approved", f"key write ({world.key('write').prefix})"),
        ("rejected", "local user (cap mcp)"),
    ]
    assert len(data(call(local, "list_reviews", campaign_id=cid, history=True))["items"]) == 3
    manifest = json.loads(world.service.files.read(cid, "manifest.json"))
    assert (manifest["totals"]["approved"], manifest["totals"]["rejected"]) == (1, 1)
    reader = build_mcp_server(world.service, key=world.key("read"))
    refused = call(reader, "review_creatives", campaign_id=cid, decision="approved",
                   reviewer="Ana Ruiz", creatives=refs)  # fmt: skip
    assert refused.is_error and "write scope" in text(refused)


def test_the_manifest_and_report_resources_are_the_stored_files(world: World) -> None:
    cid = world.campaign_id

    async def use(client: Client) -> list[TextResourceContents]:
        templates = (await client.list_resource_templates()).resource_templates
        assert {t.uri_template: t.mime_type for t in templates} == {
            "cap://campaigns/{campaign_id}/manifest": "application/json",
            "cap://campaigns/{campaign_id}/report": "text/html",
        }
        out = []
        for uri in (f"cap://campaigns/{cid}/manifest", f"cap://campaigns/{cid}/report"):
            (content,) = (await client.read_resource(uri)).contents
            assert isinstance(content, TextResourceContents)
            out.append(content)
        with pytest.raises(MCPError, match="no campaign cmp_missing"):
            await client.read_resource("cap://campaigns/cmp_missing/manifest")
        return out

    manifest, report = with_client(build_mcp_server(world.service), use)
    assert manifest.mime_type == "application/json" and report.mime_type == "text/html"
    assert json.loads(manifest.text) == json.loads(world.service.files.read(cid, "manifest.json"))
    assert report.text == world.service.files.read(cid, "report.html").decode()
    assert "<html" in report.text.lower()


@pytest.fixture(params=["api", "standalone"])
def api_url(world: World, request: pytest.FixtureRequest) -> Iterator[str]:
    """Under uvicorn in a thread: the whole API with its MCP endpoint at /mcp, or `cap mcp
    --http`'s app."""
    app: Starlette
    if request.param == "api":
        app = create_app(world.service)
    else:
        app = standalone_app(world.service, host="127.0.0.1")
    with uvicorn_thread(app) as base:
        yield f"{base}/mcp"


def over_http(url: str, key: str, tool: str, **arguments: Any) -> CallToolResult:
    async def main() -> CallToolResult:
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"})
        async with http, Client(streamable_http_client(url, http_client=http)) as client:
            return await client.call_tool(tool, arguments)

    return asyncio.run(main())


def test_over_http_a_read_key_reads_but_cannot_submit(world: World, api_url: str) -> None:
    read_key = world.keys["read"][0]
    admin_key = world.keys["admin"][0]
    listed = data(over_http(api_url, admin_key, "list_campaigns"))
    assert [c["id"] for c in listed["items"]] == [world.campaign_id]
    # the read key owns no campaign: it sees none, and may not submit one
    assert data(over_http(api_url, read_key, "list_campaigns"))["items"] == []
    refused = over_http(api_url, read_key, "submit_brief", brief=yaml.safe_dump(small_brief()))
    assert refused.is_error and "write scope" in text(refused)
    assert len(world.service.store.list_campaigns().items) == 1


def test_over_http_a_request_without_a_live_key_is_a_401(world: World, api_url: str) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    headers = {"Accept": "application/json, text/event-stream"}
    for extra in ({}, {"Authorization": "Bearer cap_nope"}, {"X-API-Key": "x" * 500}):
        response = httpx.post(api_url, json=body, headers=headers | extra)
        assert response.status_code == 401, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.headers["www-authenticate"] == 'Bearer realm="cap"'
    revoked, record = world.keys["write"]
    world.service.store.revoke_key(record.id)
    assert (
        httpx.post(api_url, json=body, headers=headers | {"X-API-Key": revoked}).status_code == 401
    )


def test_draft_update_drafts_from_the_alerts_and_records_it(world: World) -> None:
    world.service.store.raise_alert(
        AlertDraft(
            rule="slow_campaign",
            severity=Severity.WARNING,
            summary="Image generation is slower than planned",
            action="check the provider",
            campaign_id=world.campaign_id,
        ),
        throttle=THROTTLE,
    )
    server = build_mcp_server(world.service, key=world.key("write"))
    draft = data(
        call(
            server,
            "draft_update",
            campaign_id=world.campaign_id,
            audience="Customer leadership",
            audience_name="Dana Reyes",
            sender_name="Sam Ortiz",
            reason="the image provider is rate limiting us",
            new_eta="2030-06-06",
            options=[{"option": "Ship what is ready", "tradeoff": "the rest follows later"}],
        )
    )
    assert draft["written_by"] == "template" and draft["sent"] is False  # no model configured
    assert "Test Campaign" in draft["subject"]
    assert "Dana Reyes" in draft["body"] and "6 June 2030" in draft["body"]
    assert "Ship what is ready" in draft["body"] and "Sam Ortiz" in draft["body"]
    (event,) = [
        e for e in world.service.store.events(world.campaign_id) if e.kind == "stakeholder_draft"
    ]
    assert event.detail["subject"] == draft["subject"] and event.detail["body"] == draft["body"]
    reader = build_mcp_server(world.service, key=world.key("read"))
    refused = call(reader, "draft_update", campaign_id=world.campaign_id, audience="Leads")
    assert refused.is_error and "write scope" in text(refused)
    too_long = call(server, "draft_update", campaign_id=world.campaign_id, audience="x" * 81)
    assert too_long.is_error and "audience" in text(too_long)
