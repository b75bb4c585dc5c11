"""Reviews through the API: approve or reject creatives (in bulk), read them back with the
creatives, see them in the published manifest.json and report.html; scopes, visibility and
every refusal a 4xx that writes nothing."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from api_support import Keys, Publish, assert_problem, create
from fastapi.testclient import TestClient

from creative_automation.service.context import Service
from creative_automation.storage import CreativeStatus
from creative_automation.storage.reviews import MAX_COMMENT

Finished = tuple[str, dict[str, Any]]  # campaign id, its manifest as the run published it


@pytest.fixture
def finished(client: TestClient, writer: dict[str, str], publish: Publish) -> Finished:
    campaign_id = create(client, writer)
    return campaign_id, publish(campaign_id)


def refs(manifest: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {k: c[k] for k in ("product_id", "aspect_ratio", "locale")} for c in manifest["creatives"]
    ]


def body(decision: str, creatives: list[dict[str, str]], **changes: Any) -> dict[str, Any]:
    return {"decision": decision, "reviewer": "Ana Ruiz", "creatives": creatives} | changes


def label(key: str) -> str:
    return f"key write ({key[:12]})"  # the key that recorded it: name and prefix


def published(client: TestClient, headers: dict[str, str], campaign_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/campaigns/{campaign_id}/files/manifest.json", headers=headers)
    assert response.status_code == 200
    manifest: dict[str, Any] = json.loads(response.content)
    return manifest


def report(client: TestClient, headers: dict[str, str], campaign_id: str) -> str:
    response = client.get(f"/v1/campaigns/{campaign_id}/files/report.html", headers=headers)
    assert response.status_code == 200
    return response.text


def test_a_bulk_approval_is_stored_and_shown_with_the_creatives_and_outputs(
    client: TestClient, keys: Keys, writer: dict[str, str], finished: Finished
) -> None:
    campaign_id, manifest = finished
    url = f"/v1/campaigns/{campaign_id}/reviews"
    creatives = refs(manifest)
    assert len(creatives) == 2
    response = client.post(url, json=body("approved", creatives), headers=writer)
    assert response.status_code == 201, response.text
    recorded = response.json()
    assert recorded["campaign_id"] == campaign_id
    assert [{k: i[k] for k in creatives[0]} for i in recorded["items"]] == creatives
    for item in recorded["items"]:
        assert set(item) == {"product_id", "aspect_ratio", "locale", "decision", "comment",
                             "reviewer", "recorded_by", "reviewed_at"}  # fmt: skip
        assert (item["decision"], item["comment"], item["reviewer"]) == ("approved", "", "Ana Ruiz")
        assert item["recorded_by"] == label(keys.write)
        assert datetime.fromisoformat(item["reviewed_at"]).tzinfo is not None
    assert client.get(url, headers=writer).json() == recorded
    listed = client.get(f"/v1/campaigns/{campaign_id}/creatives", headers=writer).json()
    for item, review in zip(listed["items"], recorded["items"], strict=True):
        assert item["review"] == review
        record = next(c for c in manifest["creatives"] if c["locale"] == item["locale"]
                      and c["product_id"] == item["product_id"])  # fmt: skip
        assert item["message"] == record["message"] and item["message"]
        assert item["corrections"] == record["corrections"]
        assert item["cached"] is record["cached"]
    outputs = published(client, writer, campaign_id)
    assert (outputs["totals"]["approved"], outputs["totals"]["rejected"]) == (2, 0)
    for record in outputs["creatives"]:
        assert record["review"]["decision"] == "approved"
        assert record["review"]["reviewer"] == "Ana Ruiz"
        assert record["review"]["recorded_by"] == label(keys.write)
    html = report(client, writer, campaign_id)
    assert html.count("approved by <b>Ana Ruiz</b>") == 2
    assert "2 approved" in html and "0 awaiting review" in html


def test_a_later_rejection_supersedes_and_the_history_keeps_both(
    client: TestClient, writer: dict[str, str], finished: Finished
) -> None:
    campaign_id, manifest = finished
    url = f"/v1/campaigns/{campaign_id}/reviews"
    first, second = refs(manifest)
    client.post(url, json=body("approved", [first, second]), headers=writer)
    comment = "The <b>logo</b> is too small"
    response = client.post(
        url, json=body("rejected", [second], comment=comment, reviewer=" Bo "), headers=writer
    )
    assert response.status_code == 201, response.text
    (rejection,) = response.json()["items"]
    assert (rejection["decision"], rejection["comment"], rejection["reviewer"]) == (
        "rejected", comment, "Bo"
    )  # fmt: skip
    current = client.get(url, headers=writer).json()["items"]
    assert sorted(i["decision"] for i in current) == ["approved", "rejected"]
    history = client.get(url, params={"history": "true"}, headers=writer).json()["items"]
    assert [i["decision"] for i in history] == ["approved", "approved", "rejected"]
    assert history[-1] == rejection
    listed = client.get(f"/v1/campaigns/{campaign_id}/creatives", headers=writer).json()
    by_locale = {(i["product_id"], i["locale"]): i["review"] for i in listed["items"]}
    assert by_locale[(second["product_id"], second["locale"])] == rejection
    outputs = published(client, writer, campaign_id)
    assert (outputs["totals"]["approved"], outputs["totals"]["rejected"]) == (1, 1)
    (rejected,) = [c for c in outputs["creatives"] if c["review"]["decision"] == "rejected"]
    assert rejected["product_id"] == second["product_id"]
    assert rejected["review"]["comment"] == comment
    html = report(client, writer, campaign_id)
    assert "rejected by <b>Bo</b>" in html
    assert "The &lt;b&gt;logo&lt;/b&gt; is too small" in html and "<b>logo</b>" not in html


def test_the_campaign_status_carries_its_brief(
    client: TestClient, writer: dict[str, str], finished: Finished
) -> None:
    campaign_id, manifest = finished
    status = client.get(f"/v1/campaigns/{campaign_id}", headers=writer).json()
    names = {p["id"]: p["name"] for p in status["brief"]["products"]}
    assert {c["product_id"] for c in manifest["creatives"]} <= set(names)
    assert set(status["brief"]["locales"]) == {c["locale"] for c in manifest["creatives"]}


def test_a_read_key_may_not_review_and_another_key_sees_no_campaign(
    client: TestClient, keys: Keys, finished: Finished
) -> None:
    campaign_id, manifest = finished
    url = f"/v1/campaigns/{campaign_id}/reviews"
    approve = body("approved", refs(manifest))
    assert_problem(client.post(url, json=approve, headers=Keys.header(keys.read)), 403, "forbidden")
    other = Keys.header(keys.other)
    assert_problem(client.post(url, json=approve, headers=other), 404, "not-found")
    assert_problem(client.get(url, headers=other), 404, "not-found")
    assert_problem(client.post(url, json=approve), 401, "unauthenticated")
    admin = Keys.header(keys.admin)
    assert client.get(url, headers=admin).json() == {"campaign_id": campaign_id, "items": []}
    assert_problem(client.post("/v1/campaigns/cmp_nope/reviews", json=approve,
                               headers=admin), 404, "not-found")  # fmt: skip


def assert_nothing_written(
    client: TestClient, headers: dict[str, str], campaign_id: str, manifest: dict[str, Any]
) -> None:
    url = f"/v1/campaigns/{campaign_id}/reviews"
    assert client.get(url, params={"history": "true"}, headers=headers).json()["items"] == []
    assert published(client, headers, campaign_id) == manifest


def test_unknown_and_failed_creatives_are_named_and_nothing_is_written(
    client: TestClient,
    service: Service,
    writer: dict[str, str],
    finished: Finished,
) -> None:
    campaign_id, manifest = finished
    service.store.checkpoint_creative(
        campaign_id,
        product_id="photo-product",
        aspect_ratio="9:16",
        locale="de-DE",
        status=CreativeStatus.FAILED,
        path="",
    )
    good = refs(manifest)[0]
    unknown = {**good, "locale": "fr-FR"}
    failed = {**good, "locale": "de-DE"}
    response = client.post(
        f"/v1/campaigns/{campaign_id}/reviews",
        json=body("approved", [good, unknown, failed]),
        headers=writer,
    )
    problem = assert_problem(response, 422, "invalid-brief")
    paths = {e["path"]: e["message"] for e in problem["errors"]}
    assert set(paths) == {"creatives[1]", "creatives[2]"}
    assert "fr-FR" in paths["creatives[1]"] and "failed" in paths["creatives[2]"]
    assert_nothing_written(client, writer, campaign_id, manifest)


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"decision": "rejected"}, "comment"),
        ({"decision": "rejected", "comment": "   "}, "comment"),
        ({"reviewer": "   "}, "reviewer"),
    ],
)
def test_a_rejection_needs_a_reason_and_a_review_a_person(
    client: TestClient,
    writer: dict[str, str],
    finished: Finished,
    changes: dict[str, Any],
    path: str,
) -> None:
    campaign_id, manifest = finished
    response = client.post(
        f"/v1/campaigns/{campaign_id}/reviews",
        json=body("approved", refs(manifest)) | changes,
        headers=writer,
    )
    problem = assert_problem(response, 422, "invalid-brief")
    assert [e["path"] for e in problem["errors"]] == [path]
    assert_nothing_written(client, writer, campaign_id, manifest)


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"decision": "maybe"}, "body.decision"),
        ({"creatives": []}, "body.creatives"),
        ({"reviewer": ""}, "body.reviewer"),
        ({"comment": "x" * (MAX_COMMENT + 1)}, "body.comment"),
        ({"creatives": [{"product_id": "p", "aspect_ratio": "1:1"}]}, "body.creatives[0].locale"),
        ({"status": "approved"}, "body.status"),  # a misspelt field is not ignored
    ],
)
def test_malformed_requests_are_refused_by_field(
    client: TestClient,
    writer: dict[str, str],
    finished: Finished,
    changes: dict[str, Any],
    path: str,
) -> None:
    campaign_id, manifest = finished
    response = client.post(
        f"/v1/campaigns/{campaign_id}/reviews",
        json=body("approved", refs(manifest)) | changes,
        headers=writer,
    )
    problem = assert_problem(response, 422, "invalid-request")
    assert path in [e["path"] for e in problem["errors"]]
    assert_nothing_written(client, writer, campaign_id, manifest)


def test_at_most_a_thousand_creatives_per_request(
    client: TestClient, writer: dict[str, str], finished: Finished
) -> None:
    campaign_id, manifest = finished
    url = f"/v1/campaigns/{campaign_id}/reviews"
    many = refs(manifest) * 500  # 1000: duplicates, collapsed into one review each
    response = client.post(url, json=body("approved", many), headers=writer)
    assert response.status_code == 201, response.text
    assert len(response.json()["items"]) == 2
    response = client.post(url, json=body("approved", [*many, many[0]]), headers=writer)
    assert_problem(response, 422, "invalid-request")


def test_reviews_of_a_campaign_still_running_wait_for_its_outputs(
    client: TestClient, service: Service, writer: dict[str, str]
) -> None:
    campaign_id = create(client, writer)
    service.store.checkpoint_creative(
        campaign_id,
        product_id="made-product",
        aspect_ratio="9:16",
        locale="en-US",
        status=CreativeStatus.OK,
        path="made-product/9x16/en-US.jpg",
    )
    made = {"product_id": "made-product", "aspect_ratio": "9:16", "locale": "en-US"}
    response = client.post(
        f"/v1/campaigns/{campaign_id}/reviews", json=body("approved", [made]), headers=writer
    )
    assert response.status_code == 201, response.text
    assert not service.files.exists(campaign_id)  # nothing published into, nothing made up
    listed = client.get(f"/v1/campaigns/{campaign_id}/creatives", headers=writer).json()
    assert listed["items"][0]["review"]["decision"] == "approved"
