"""The review action: decisions recorded, then shown in the published manifest.json and
report.html, from the store's state alone (reviews made mid-run, racing reviewers, a failing
file store)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import make_service

from creative_automation.errors import OutputError
from creative_automation.manifest import CreativeRecord
from creative_automation.service import reviews
from creative_automation.service.context import Service
from creative_automation.service.runner import CampaignRunner, StoreCheckpoints
from creative_automation.storage import CampaignState, ReviewDecision
from factories import brief_data

KEY = "key ui (cap_Ab3dE6gH)"
APPROVED, REJECTED = ReviewDecision.APPROVED, ReviewDecision.REJECTED


def brief() -> dict[str, Any]:
    """Two products made from their descriptions (no uploads), one format, one locale."""
    data = brief_data(
        formats=["1:1"],
        locales={"en-US": {"message": "Fresh roast, every morning", "call_to_action": "Order"}},
        products=[
            {"id": "beans", "name": "Roast Beans", "description": "a bag of coffee beans"},
            {"id": "tonic", "name": "Citrus Tonic", "description": "a can of tonic"},
        ],
    )
    data["brand"].pop("logo")
    return data


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    built = make_service(tmp_path, alt_text="brief", quality_threshold=None)
    yield built
    built.close()


def manifest_of(service: Service, campaign_id: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(service.files.read(campaign_id, "manifest.json"))
    return loaded


@pytest.fixture
def finished(service: Service) -> str:
    """A campaign run by a worker to success, its outputs published."""
    campaign, _ = service.store.create_campaign(brief(), creatives_expected=2)
    CampaignRunner(service, "w1")(campaign.id)
    assert service.store.get_campaign(campaign.id).state is CampaignState.SUCCEEDED
    return campaign.id


def keys(service: Service, campaign_id: str) -> list[tuple[str, str, str]]:
    return [c.key for c in service.store.creatives(campaign_id)]


def test_a_review_is_published_into_the_manifest_and_report(
    service: Service, finished: str
) -> None:
    beans, tonic = keys(service, finished)
    before = manifest_of(service, finished)
    assert all(c["review"] is None for c in before["creatives"])
    reviews.review(service, finished, [beans], REJECTED, "too <dark>", "Ana", KEY)
    after = manifest_of(service, finished)
    by_key = {(c["product_id"], c["aspect_ratio"], c["locale"]): c for c in after["creatives"]}
    (stored,) = service.store.reviews(finished)
    assert by_key[beans]["review"] == {
        "decision": "rejected",
        "reviewer": "Ana",
        "recorded_by": KEY,
        "reviewed_at": stored.created_at.isoformat(timespec="seconds"),
        "comment": "too <dark>",
    }
    assert by_key[tonic]["review"] is None
    assert (after["totals"]["approved"], after["totals"]["rejected"]) == (0, 1)
    # everything else is as the run published it
    assert {k: v for k, v in after.items() if k not in ("creatives", "totals")} == {
        k: v for k, v in before.items() if k not in ("creatives", "totals")
    }
    html = service.files.read(finished, "report.html").decode()
    assert "rejected by <b>Ana</b>" in html and "too &lt;dark&gt;" in html
    assert "1 rejected" in html and "1 awaiting review" in html


def test_reviews_made_while_the_campaign_runs_appear_in_its_outputs(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign, _ = service.store.create_campaign(brief(), creatives_expected=2)
    real_group_done = StoreCheckpoints.group_done
    made: list[tuple[str, str, str]] = []

    def review_the_first_group(
        self: StoreCheckpoints, records: list[CreativeRecord], folder: Path
    ) -> None:
        real_group_done(self, records, folder)
        if not made:  # a marketer approves the first creative before the campaign is done
            made.append(records[0].key)
            assert not service.files.exists(campaign.id)  # nothing to publish into yet
            reviews.review(service, campaign.id, made, APPROVED, "", "Ana", KEY)

    monkeypatch.setattr(StoreCheckpoints, "group_done", review_the_first_group)
    CampaignRunner(service, "w1")(campaign.id)
    manifest = manifest_of(service, campaign.id)
    reviewed = [c for c in manifest["creatives"] if c["review"] is not None]
    assert [(c["product_id"], c["aspect_ratio"], c["locale"]) for c in reviewed] == made
    assert reviewed[0]["review"]["decision"] == "approved"
    assert manifest["totals"]["approved"] == 1
    assert b"approved by <b>Ana</b>" in service.files.read(campaign.id, "report.html")


def test_a_publish_goes_again_when_reviews_move_on_under_it(
    service: Service, finished: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    beans, tonic = keys(service, finished)
    service.store.record_reviews(finished, [beans], APPROVED, "", "Ana", KEY)
    real_put = service.files.put
    raced: list[str] = []

    def put(campaign_id: str, relpath: str, data: bytes) -> None:
        real_put(campaign_id, relpath, data)
        if relpath == "manifest.json" and not raced:
            # another reviewer commits between this publisher's read and its write
            raced.append(relpath)
            service.store.record_reviews(finished, [tonic], REJECTED, "no", "Bo", KEY)

    monkeypatch.setattr(service.files, "put", put)
    assert reviews.publish_review_state(service, finished)
    decisions = [c["review"]["decision"] for c in manifest_of(service, finished)["creatives"]]
    assert sorted(decisions) == ["approved", "rejected"]


def test_nothing_is_published_for_a_campaign_without_outputs(service: Service) -> None:
    campaign, _ = service.store.create_campaign(brief())
    assert reviews.publish_review_state(service, campaign.id) is False
    assert not service.files.exists(campaign.id)


def test_a_failing_file_store_keeps_the_reviews(
    service: Service,
    finished: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*args: object) -> None:
        raise OutputError("disk full")

    monkeypatch.setattr(service.files, "put", broken)
    beans, _ = keys(service, finished)
    with caplog.at_level(logging.WARNING):
        recorded = reviews.review(service, finished, [beans], APPROVED, "", "Ana", KEY)
    assert service.store.reviews(finished) == recorded
    assert "outputs not updated" in caplog.text and "disk full" in caplog.text
    monkeypatch.undo()
    assert reviews.publish_review_state(service, finished)  # the next publish catches up
    assert manifest_of(service, finished)["totals"]["approved"] == 1
