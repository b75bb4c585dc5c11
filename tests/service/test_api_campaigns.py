"""POST/GET /v1/campaigns: JSON, YAML and multipart briefs, validation, idempotency, queueing,
paging, status, retry and cancel — over a real SQLite store and a real SQLite Huey queue."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from api_support import (
    Keys,
    assert_problem,
    create,
    image_bytes,
    logo_brief,
    make_service,
    small_brief,
    unreachable_queue,
)
from fastapi.testclient import TestClient

from creative_automation.service.api import create_app
from creative_automation.service.context import Service
from creative_automation.storage import CampaignState, CreativeStatus
from factories import logo, photo

S = CampaignState


def queued_ids(service: Service) -> list[str]:
    """The campaign ids of the tasks really waiting on the Huey queue."""
    return [task.args[0] for task in service.queue.huey.pending()]


def test_a_json_brief_is_queued_and_answered_with_where_to_poll(
    client: TestClient, service: Service, writer: dict[str, str], keys: Keys
) -> None:
    response = client.post("/v1/campaigns", json=small_brief(), headers=writer)
    assert response.status_code == 202
    body = response.json()
    assert body["state"] == "queued"
    assert response.headers["location"] == body["status_url"]
    assert body["status_url"].endswith(f"/v1/campaigns/{body['id']}")
    assert queued_ids(service) == [body["id"]]
    stored = service.store.get_campaign(body["id"])
    assert stored.brief == small_brief()
    assert stored.creatives_expected == 2  # 2 products × 1 format × 1 locale
    assert stored.api_key_id == service.store.authenticate(keys.write).id  # type: ignore[union-attr]


@pytest.mark.parametrize("media", ["application/yaml", "text/yaml", "application/x-yaml"])
def test_a_yaml_brief_is_accepted(
    client: TestClient, service: Service, writer: dict[str, str], media: str
) -> None:
    text = yaml.safe_dump(small_brief(), allow_unicode=True)
    response = client.post(
        "/v1/campaigns", content=text.encode(), headers={**writer, "Content-Type": media}
    )
    assert response.status_code == 202, response.text
    assert service.store.get_campaign(response.json()["id"]).brief == small_brief()


def test_multipart_with_a_real_png_keeps_the_asset_for_the_worker(
    client: TestClient, service: Service, writer: dict[str, str], tmp_path: Any
) -> None:
    png = image_bytes(logo())
    jpeg = image_bytes(photo(), "JPEG")
    response = client.post(
        "/v1/campaigns",
        data={"brief": json.dumps(logo_brief()), "webhook_url": "https://hooks.example/cap"},
        files=[
            ("files", ("logo.png", png, "image/png")),
            ("files", ("hero.jpg", jpeg, "image/jpeg")),
        ],
        headers=writer,
    )
    assert response.status_code == 202, response.text
    campaign_id = response.json()["id"]
    fetched = service.files.fetch_inputs(campaign_id, tmp_path / "inputs")
    assert sorted(fetched) == ["hero.jpg", "logo.png"]
    assert (tmp_path / "inputs" / "logo.png").read_bytes() == png
    assert service.store.get_campaign(campaign_id).webhook_url == "https://hooks.example/cap"
    assert queued_ids(service) == [campaign_id]


def test_multipart_brief_may_be_a_yaml_file_part(
    client: TestClient, service: Service, writer: dict[str, str]
) -> None:
    brief = small_brief(brand={"name": "Test Brand"})
    response = client.post(
        "/v1/campaigns",
        files=[("brief", ("brief.yaml", yaml.safe_dump(brief).encode(), "application/yaml"))],
        headers=writer,
    )
    assert response.status_code == 202, response.text
    assert service.store.get_campaign(response.json()["id"]).brief == brief


def test_a_brand_kit_file_the_brief_names_is_attached_and_embedded(
    client: TestClient, service: Service, writer: dict[str, str]
) -> None:
    kit = {"name": "Kit Brand", "logo": "logo.png", "disclaimers": {"US": ["Terms apply."]}}
    response = client.post(
        "/v1/campaigns",
        data={"brief": json.dumps(small_brief(brand="kit.yaml"))},
        files=[
            ("files", ("kit.yaml", yaml.safe_dump(kit).encode(), "application/yaml")),
            ("files", ("logo.png", image_bytes(logo()), "image/png")),
        ],
        headers=writer,
    )
    assert response.status_code == 202, response.text
    stored = service.store.get_campaign(response.json()["id"]).brief
    assert stored["brand"]["name"] == "Kit Brand"
    assert stored["brand"]["disclaimers"] == {"US": ["Terms apply."]}


def test_a_brand_kit_with_errors_or_not_attached_is_422_naming_it(
    client: TestClient, service: Service, writer: dict[str, str]
) -> None:
    missing = client.post("/v1/campaigns", json=small_brief(brand="kit.yaml"), headers=writer)
    body = assert_problem(missing, 422, "invalid-brief")
    assert [e["path"] for e in body["errors"]] == ["brand"]
    assert "kit.yaml" in body["errors"][0]["message"]
    bad = client.post(
        "/v1/campaigns",
        data={"brief": json.dumps(small_brief(brand="kit.yaml"))},
        files=[("files", ("kit.yaml", b"name: K\npalete: [1]\n", "application/yaml"))],
        headers=writer,
    )
    body = assert_problem(bad, 422, "invalid-brief")
    assert "did you mean 'palette'" in json.dumps(body)
    assert service.store.list_campaigns().items == []


def test_an_invalid_brief_lists_every_problem_with_its_path(
    client: TestClient, service: Service, writer: dict[str, str]
) -> None:
    data = small_brief(formats=["7:3"], locales={"english": {"message": "Hi"}})
    data["products"][0]["id"] = "Not A Slug"
    del data["audience"]
    data["campain_name"] = "Typo"
    body = assert_problem(
        client.post("/v1/campaigns", json=data, headers=writer), 422, "invalid-brief"
    )
    paths = {e["path"] for e in body["errors"]}
    assert {"products[0].id", "audience", "formats", "campain_name", "locales.english"} <= paths
    assert "did you mean" in next(
        e["message"] for e in body["errors"] if e["path"] == "campain_name"
    )
    assert queued_ids(service) == []
    assert service.store.list_campaigns().items == []


def test_brand_files_the_request_does_not_carry_are_422_not_a_failed_campaign(
    client: TestClient, service: Service, writer: dict[str, str]
) -> None:
    brief = logo_brief(brand={"name": "B", "logo": "logo.png", "fonts": ["brand.ttf"]})
    response = client.post("/v1/campaigns", json=brief, headers=writer)
    body = assert_problem(response, 422, "invalid-brief")
    where = {p["path"]: p["message"] for p in body["errors"]}
    assert set(where) == {"brand.logo", "brand.fonts[0]"}
    assert "'logo.png'" in where["brand.logo"] and "multipart" in where["brand.logo"]
    assert service.store.list_campaigns().items == [] and queued_ids(service) == []


def test_copy_no_font_can_set_is_422_naming_the_locale(
    client: TestClient, service: Service, writer: dict[str, str]
) -> None:
    brief = small_brief(locales={
        "en-US": {"message": "Fresh roast, every morning", "call_to_action": "Order"},
        "am-ET": {"message": "ሰላም ለዓለም", "call_to_action": "ግዛ"},  # Ethiopic: no bundled font
    })  # fmt: skip
    response = client.post("/v1/campaigns", json=brief, headers=writer)
    body = assert_problem(response, 422, "invalid-brief")
    paths = [p["path"] for p in body["errors"]]
    assert paths == ["locales.am-ET.message", "locales.am-ET.call_to_action"]
    assert all("am-ET" in p["message"] for p in body["errors"])
    assert service.store.list_campaigns().items == []


def test_a_brand_font_that_only_looks_like_one_is_422(
    client: TestClient, service: Service, writer: dict[str, str]
) -> None:
    brief = small_brief(brand={"name": "B", "fonts": ["brand.ttf"]})
    fake = b"\x00\x01\x00\x00" + b"not really a font" * 10  # a TrueType magic, then nothing
    response = client.post(
        "/v1/campaigns",
        data={"brief": json.dumps(brief)},
        files=[("files", ("brand.ttf", fake, "font/ttf"))],
        headers=writer,
    )
    assert "brand.ttf" in assert_problem(response, 422, "invalid-asset")["detail"]
    assert service.store.list_campaigns().items == []


@pytest.mark.parametrize(
    ("text", "media", "where"),
    [
        ('{"campaign_id": "a", "campaign_id": "b"}', "application/json", "duplicate key"),
        ("{not json", "application/json", "line 1"),
        ("campaign_id: [unclosed", "application/yaml", "not valid YAML"),
        ("- just\n- a list\n", "application/yaml", "mapping"),
        (json.dumps(small_brief(budget_usd=float("inf"))), "application/json", "finite"),
        # YAML values a str or list field would coerce, but no database could store
        ("campaign_name: !!binary SGVsbG8=", "application/yaml", "not bytes"),
        ("markets: !!set {US: null}", "application/yaml", "not set"),
        ("campaign_name: 2026-11-24", "application/yaml", "not date"),
        ('{"campaign_name": "\\ud800"}', "application/json", "lone surrogate"),
    ],
)
def test_undecodable_or_malformed_briefs_are_422(
    client: TestClient, writer: dict[str, str], text: str, media: str, where: str
) -> None:
    response = client.post(
        "/v1/campaigns", content=text.encode(), headers={**writer, "Content-Type": media}
    )
    assert where in assert_problem(response, 422, "invalid-brief")["detail"]


def test_a_yaml_alias_bomb_is_refused_without_expanding_it(
    client: TestClient, writer: dict[str, str]
) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    response = client.post(
        "/v1/campaigns",
        content="\n".join(lines).encode(),
        headers={**writer, "Content-Type": "application/yaml"},
    )
    assert "more than" in assert_problem(response, 422, "invalid-brief")["detail"]


def test_brief_limits_are_422_naming_the_limit(tmp_path: Any, keys: Keys) -> None:
    service = make_service(tmp_path, max_products=1, max_creatives=1)
    service.store.upgrade()
    key, _ = service.store.create_key("w")
    with TestClient(create_app(service)) as client:
        response = client.post("/v1/campaigns", json=small_brief(), headers=Keys.header(key))
    body = assert_problem(response, 422, "invalid-brief")
    messages = {e["path"]: e["message"] for e in body["errors"]}
    assert "CAP_MAX_PRODUCTS" in messages["products"]
    assert "CAP_MAX_CREATIVES" in messages[""]


def test_an_unsupported_content_type_is_415(client: TestClient, writer: dict[str, str]) -> None:
    response = client.post(
        "/v1/campaigns", content=b"campaign", headers={**writer, "Content-Type": "text/plain"}
    )
    assert "application/json" in assert_problem(response, 415, "unsupported-media")["detail"]


@pytest.mark.parametrize(
    "url", ["ftp://hooks.example/x", "not a url", "https://user:pw@hooks.example/", "/relative"]
)
def test_a_bad_webhook_url_is_422(client: TestClient, writer: dict[str, str], url: str) -> None:
    response = client.post(
        "/v1/campaigns", json=small_brief(), headers={**writer, "X-Webhook-URL": url}
    )
    body = assert_problem(response, 422, "invalid-brief")
    assert body["errors"][0]["path"] == "webhook_url"


def test_a_webhook_url_into_the_internal_network_is_422(
    client: TestClient, service: Service, writer: dict[str, str]
) -> None:
    response = client.post("/v1/campaigns", json=small_brief(), headers={
        **writer, "X-Webhook-URL": "http://169.254.169.254/latest/meta-data/"})  # fmt: skip
    body = assert_problem(response, 422, "invalid-brief")
    assert body["errors"][0]["path"] == "webhook_url"
    assert "CAP_WEBHOOK_ALLOW_PRIVATE" in body["errors"][0]["message"]
    assert service.store.list_campaigns().items == []


def test_webhook_url_from_the_query(
    client: TestClient, service: Service, writer: dict[str, str]
) -> None:
    response = client.post(
        "/v1/campaigns",
        params={"webhook_url": "https://hooks.example/q"},
        json=small_brief(),
        headers=writer,
    )
    assert service.store.get_campaign(response.json()["id"]).webhook_url == (
        "https://hooks.example/q"
    )


def test_the_same_idempotency_key_and_brief_is_one_campaign_and_one_task(
    client: TestClient, service: Service, writer: dict[str, str]
) -> None:
    headers = {**writer, "Idempotency-Key": "order-42"}
    first = client.post("/v1/campaigns", json=small_brief(), headers=headers)
    # the same brief as YAML, keys in another order: the same content
    text = yaml.safe_dump(dict(reversed(list(small_brief().items()))))
    again = client.post(
        "/v1/campaigns",
        content=text.encode(),
        headers={**headers, "Content-Type": "application/yaml"},
    )
    assert first.status_code == 202 and again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert queued_ids(service) == [first.json()["id"]]
    assert len(service.store.list_campaigns().items) == 1


def test_the_same_idempotency_key_with_another_brief_is_409(
    client: TestClient, service: Service, writer: dict[str, str]
) -> None:
    headers = {**writer, "Idempotency-Key": "order-43"}
    first = client.post("/v1/campaigns", json=small_brief(), headers=headers)
    other = client.post("/v1/campaigns", json=small_brief(seed=9), headers=headers)
    body = assert_problem(other, 409, "idempotency-conflict")
    assert body["campaign_id"] == first.json()["id"]
    assert queued_ids(service) == [first.json()["id"]]


def test_the_same_key_and_brief_with_other_files_or_webhook_is_409(
    client: TestClient, service: Service, writer: dict[str, str]
) -> None:
    """The whole request is what a replay must repeat: the brief, its files, its webhook."""
    headers = {**writer, "Idempotency-Key": "order-44"}

    def send(image: bytes, hook: str = "https://hooks.example/a") -> Any:
        return client.post(
            "/v1/campaigns",
            data={"brief": json.dumps(logo_brief()), "webhook_url": hook},
            files=[("files", ("logo.png", image, "image/png"))],
            headers=headers,
        )

    first = send(image_bytes(logo()))
    assert first.status_code == 202, first.text
    assert send(image_bytes(logo())).status_code == 200  # a true replay
    assert_problem(send(image_bytes(photo())), 409, "idempotency-conflict")  # another file
    assert_problem(send(image_bytes(logo()), "https://hooks.example/b"), 409)  # another hook
    assert queued_ids(service) == [first.json()["id"]]


def test_idempotency_keys_belong_to_their_api_key(
    client: TestClient, keys: Keys, writer: dict[str, str]
) -> None:
    mine = client.post(
        "/v1/campaigns", json=small_brief(), headers={**writer, "Idempotency-Key": "k"}
    )
    theirs = client.post(
        "/v1/campaigns",
        json=small_brief(),
        headers={**Keys.header(keys.other), "Idempotency-Key": "k"},
    )
    assert theirs.status_code == 202 and theirs.json()["id"] != mine.json()["id"]


def test_an_unreachable_queue_is_503_but_the_campaign_stays_queued(
    service: Service, writer: dict[str, str]
) -> None:
    service.queue = unreachable_queue()
    with TestClient(create_app(service)) as client:
        response = client.post("/v1/campaigns", json=small_brief(), headers=writer)
        body = assert_problem(response, 503, "queue-unavailable")
        assert response.headers["retry-after"]
        assert service.store.get_campaign(body["campaign_id"]).state is S.QUEUED
        assert response.headers["location"] == body["status_url"]
        assert "127.0.0.1:1" not in body["detail"]  # the queue's address stays in the log
        status = client.get(body["status_url"], headers=writer)
        assert status.status_code == 200 and status.json()["state"] == "queued"


def test_list_pages_newest_first_and_filters_by_state(
    client: TestClient, service: Service, writer: dict[str, str]
) -> None:
    ids = [create(client, writer, seed=i) for i in range(5)]
    service.store.transition(ids[1], S.FAILED, error="boom")
    service.store.transition(ids[3], S.FAILED, error="boom")
    seen: list[str] = []
    url: str | None = "/v1/campaigns?limit=2"
    while url:
        page = client.get(url, headers=writer).json()
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        url = page["next_url"]
    assert seen == ids[::-1]
    failed = client.get("/v1/campaigns", params={"state": "failed"}, headers=writer).json()
    assert [c["id"] for c in failed["items"]] == [ids[3], ids[1]]
    assert failed["items"][0]["error"] == "boom"
    both = client.get(
        "/v1/campaigns", params=[("state", "failed"), ("state", "queued")], headers=writer
    ).json()
    assert len(both["items"]) == 5


def test_list_rejects_a_bad_state_or_limit(client: TestClient, writer: dict[str, str]) -> None:
    body = assert_problem(
        client.get("/v1/campaigns?state=done", headers=writer), 422, "invalid-request"
    )
    assert body["errors"][0]["path"] == "query.state[0]"
    assert_problem(client.get("/v1/campaigns?limit=0", headers=writer), 422, "invalid-request")


def test_status_shows_progress_per_creative_cost_error_and_events(
    client: TestClient, service: Service, writer: dict[str, str]
) -> None:
    campaign_id = create(client, writer)
    store = service.store
    store.transition(campaign_id, S.GENERATING)
    store.checkpoint_creative(
        campaign_id,
        product_id="photo-product",
        aspect_ratio="9:16",
        locale="en-US",
        status=CreativeStatus.OK,
        path="photo-product/9x16/en-US.jpg",
        cost_usd=0.04,
    )
    body = client.get(f"/v1/campaigns/{campaign_id}", headers=writer).json()
    assert body["state"] == "generating"
    assert body["progress"] == {"creatives_done": 1, "creatives_expected": 2}
    assert body["cost_usd"] == pytest.approx(0.04)
    assert body["creatives"] == [
        {
            "product_id": "photo-product",
            "aspect_ratio": "9:16",
            "locale": "en-US",
            "status": "ok",
        }
    ]
    assert body["started_at"] is not None and body["events"] is None
    trail = client.get(f"/v1/campaigns/{campaign_id}?events=true", headers=writer).json()
    assert [(e["kind"], e["to_state"]) for e in trail["events"]] == [
        ("created", "queued"),
        ("state", "generating"),
    ]


def test_an_unknown_campaign_is_404(client: TestClient, writer: dict[str, str]) -> None:
    assert_problem(client.get("/v1/campaigns/cmp_nothing", headers=writer), 404, "not-found")


@pytest.mark.parametrize("final", [S.FAILED, S.CANCELLED])
def test_retry_queues_a_failed_or_cancelled_campaign_again(
    client: TestClient, service: Service, writer: dict[str, str], final: CampaignState
) -> None:
    campaign_id = create(client, writer)
    service.store.transition(campaign_id, final, error="provider down")
    response = client.post(f"/v1/campaigns/{campaign_id}/retry", headers=writer)
    assert response.status_code == 202, response.text
    assert response.json()["state"] == "queued" and response.json()["error"] is None
    assert queued_ids(service) == [campaign_id, campaign_id]


def test_retry_of_a_partial_campaign_makes_only_its_failed_creatives_again(
    client: TestClient, service: Service, writer: dict[str, str]
) -> None:
    campaign_id = create(client, writer)
    store = service.store
    store.transition(campaign_id, S.GENERATING)
    for product, status in (("photo-product", CreativeStatus.OK), ("made", CreativeStatus.FAILED)):
        store.checkpoint_creative(
            campaign_id,
            product_id=product,
            aspect_ratio="9:16",
            locale="en-US",
            status=status,
            path=f"{product}/9x16/en-US.jpg",
            cost_usd=0.5,
        )
    for state in (S.RENDERING, S.CHECKING, S.PARTIALLY_SUCCEEDED):
        store.transition(campaign_id, state)
    body = client.post(f"/v1/campaigns/{campaign_id}/retry", headers=writer).json()
    assert body["progress"]["creatives_done"] == 1 and body["cost_usd"] == pytest.approx(0.5)
    assert store.finished_creatives(campaign_id) == {("photo-product", "9:16", "en-US")}


@pytest.mark.parametrize("state", [S.QUEUED, S.GENERATING, S.SUCCEEDED])
def test_retry_is_409_unless_failed_partial_or_cancelled(
    client: TestClient, service: Service, writer: dict[str, str], state: CampaignState
) -> None:
    campaign_id = create(client, writer)
    path = {S.QUEUED: [], S.GENERATING: [S.GENERATING]}.get(
        state, [S.GENERATING, S.RENDERING, S.CHECKING, S.SUCCEEDED]
    )
    for step in path:
        service.store.transition(campaign_id, step)
    response = client.post(f"/v1/campaigns/{campaign_id}/retry", headers=writer)
    assert state.value in assert_problem(response, 409, "invalid-state")["detail"]
    assert queued_ids(service) == [campaign_id]


def test_cancel_a_queued_campaign_at_once_and_a_running_one_at_its_checkpoint(
    client: TestClient, service: Service, writer: dict[str, str]
) -> None:
    queued = create(client, writer)
    response = client.post(f"/v1/campaigns/{queued}/cancel", headers=writer)
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    running = create(client, writer, seed=5)
    service.store.transition(running, S.GENERATING)
    response = client.post(f"/v1/campaigns/{running}/cancel", headers=writer)
    assert response.status_code == 202
    assert response.json()["state"] == "generating" and response.json()["cancel_requested"]


def test_cancel_of_a_finished_campaign_is_409(
    client: TestClient, service: Service, writer: dict[str, str]
) -> None:
    campaign_id = create(client, writer)
    service.store.transition(campaign_id, S.FAILED)
    assert_problem(client.post(f"/v1/campaigns/{campaign_id}/cancel", headers=writer), 409)
