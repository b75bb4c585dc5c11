"""Reviews of creatives: recorded in one transaction after every key and text is checked,
append-only, the latest per creative current; on both databases."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from databases import FakeClock
from sqlalchemy import text

from creative_automation.errors import BriefError, NotFound
from creative_automation.storage import (
    CreativeStatus,
    MetadataStore,
    ReviewDecision,
    Scope,
)
from creative_automation.storage.records import LABEL_LENGTH, ApiKey
from creative_automation.storage.reviews import MAX_COMMENT, MAX_REVIEWER

APPROVED, REJECTED = ReviewDecision.APPROVED, ReviewDecision.REJECTED
KEY = "key ui (cap_Ab3dE6gH)"
EN, ES, AR = ("roast", "9:16", "en-US"), ("roast", "9:16", "es-MX"), ("roast", "9:16", "ar-AE")
MISSING = ("tonic", "1:1", "en-US")


@pytest.fixture
def cid(store: MetadataStore) -> str:
    """A campaign with two creatives made (one needs review) and one that failed (AR)."""
    campaign_id = store.create_campaign({"campaign_id": "c"})[0].id
    for (product, ratio, locale), status in (
        (EN, CreativeStatus.OK),
        (ES, CreativeStatus.NEEDS_REVIEW),
        (AR, CreativeStatus.FAILED),
    ):
        path = "" if status is CreativeStatus.FAILED else f"{product}/9x16/{locale}.jpg"
        store.checkpoint_creative(
            campaign_id,
            product_id=product,
            aspect_ratio=ratio,
            locale=locale,
            status=status,
            path=path,
        )
    return campaign_id


def test_a_bulk_approval_is_one_review_per_creative(
    store: MetadataStore, cid: str, clock: FakeClock
) -> None:
    recorded = store.record_reviews(cid, [EN, ES], APPROVED, "", "  Ana Ruiz ", KEY)
    assert [r.key for r in recorded] == [EN, ES]
    for r in recorded:
        assert r.campaign_id == cid and r.id.startswith("rev_")
        assert r.decision is APPROVED and r.comment == ""
        assert r.reviewer == "Ana Ruiz"  # stripped
        assert r.api_key == KEY and r.created_at == clock.moment
    assert store.reviews(cid) == recorded
    assert store.reviews(cid, history=True) == recorded
    (event,) = [e for e in store.events(cid) if e.kind == "reviewed"]
    assert event.detail == {"decision": "approved", "creatives": 2, "reviewer": "Ana Ruiz",
                            "by": KEY}  # fmt: skip


def test_a_later_decision_supersedes_and_the_history_keeps_both(
    store: MetadataStore, cid: str, clock: FakeClock
) -> None:
    approved = store.record_reviews(cid, [EN, ES], APPROVED, "fine", "Ana", KEY)
    clock.advance(timedelta(minutes=5))
    (rejected,) = store.record_reviews(cid, [ES], REJECTED, "the price is wrong", "Bo", KEY)
    current = {r.key: r for r in store.reviews(cid)}
    assert current == {EN: approved[0], ES: rejected}
    assert rejected.comment == "the price is wrong"
    history = store.reviews(cid, history=True)
    assert history == [*approved, rejected]  # oldest first


def test_within_one_instant_the_later_review_is_current(store: MetadataStore, cid: str) -> None:
    # the fake clock stands still: the time-ordered id decides
    store.record_reviews(cid, [EN], APPROVED, "", "Ana", KEY)
    (later,) = store.record_reviews(cid, [EN], REJECTED, "too dark", "Bo", KEY)
    assert store.reviews(cid) == [later]


def test_a_key_named_twice_is_recorded_once(store: MetadataStore, cid: str) -> None:
    recorded = store.record_reviews(cid, [ES, EN, ES, EN], APPROVED, "", "Ana", KEY)
    assert [r.key for r in recorded] == [ES, EN]
    assert len(store.reviews(cid, history=True)) == 2


def test_unknown_and_failed_creatives_are_each_named_and_nothing_is_written(
    store: MetadataStore, cid: str
) -> None:
    events = len(store.events(cid))
    with pytest.raises(BriefError) as caught:
        store.record_reviews(cid, [EN, MISSING, AR, ("roast", "1:1", "en-US")], APPROVED,
                             "", "Ana", KEY)  # fmt: skip
    problems = {p.path: p.message for p in caught.value.problems}
    assert set(problems) == {"creatives[1]", "creatives[2]", "creatives[3]"}
    assert "no creative tonic 1:1 en-US" in problems["creatives[1]"]
    assert "failed" in problems["creatives[2]"] and "no image" in problems["creatives[2]"]
    assert store.reviews(cid, history=True) == []
    assert len(store.events(cid)) == events


@pytest.mark.parametrize(
    ("decision", "comment", "reviewer", "paths"),
    [
        (REJECTED, "", "Ana", {"comment"}),
        (REJECTED, "   \n", "Ana", {"comment"}),  # blank is no reason
        (APPROVED, "x" * (MAX_COMMENT + 1), "Ana", {"comment"}),
        (APPROVED, "", "   ", {"reviewer"}),
        (APPROVED, "", "x" * (MAX_REVIEWER + 1), {"reviewer"}),
        (REJECTED, "", "", {"comment", "reviewer"}),
    ],
)
def test_text_rules_are_problems_of_their_fields(
    store: MetadataStore,
    cid: str,
    decision: ReviewDecision,
    comment: str,
    reviewer: str,
    paths: set[str],
) -> None:
    with pytest.raises(BriefError) as caught:
        store.record_reviews(cid, [EN, MISSING], decision, comment, reviewer, KEY)
    # every problem at once: the text's and the creatives'
    assert {p.path for p in caught.value.problems} == paths | {"creatives[1]"}
    assert store.reviews(cid, history=True) == []


def test_the_longest_allowed_texts_are_stored_whole(store: MetadataStore, cid: str) -> None:
    comment, reviewer = "é" * MAX_COMMENT, "ñ" * MAX_REVIEWER
    (stored,) = store.record_reviews(cid, [EN], REJECTED, comment, reviewer, "k" * LABEL_LENGTH)
    (read,) = store.reviews(cid)
    assert read == stored and (read.comment, read.reviewer) == (comment, reviewer)


def test_no_creatives_and_unknown_campaigns_are_refused(store: MetadataStore, cid: str) -> None:
    with pytest.raises(BriefError) as caught:
        store.record_reviews(cid, [], APPROVED, "", "Ana", KEY)
    assert [p.path for p in caught.value.problems] == ["creatives"]
    with pytest.raises(NotFound):
        store.record_reviews("cmp_nope", [EN], APPROVED, "", "Ana", KEY)
    assert store.reviews("cmp_nope") == []


def test_reviews_stay_with_their_campaign_and_go_with_it(store: MetadataStore, cid: str) -> None:
    other = store.create_campaign({"campaign_id": "other"})[0].id
    store.checkpoint_creative(other, product_id="roast", aspect_ratio="9:16", locale="en-US",
                              status=CreativeStatus.OK, path="roast/9x16/en-US.jpg")  # fmt: skip
    store.record_reviews(cid, [EN], APPROVED, "", "Ana", KEY)
    (theirs,) = store.record_reviews(other, [EN], REJECTED, "no", "Bo", KEY)
    assert store.reviews(other) == [theirs]
    with store.engine.begin() as connection:
        connection.execute(text("DELETE FROM campaigns WHERE id = :id"), {"id": cid})
    assert store.reviews(cid, history=True) == []  # ON DELETE CASCADE
    assert store.reviews(other) == [theirs]


def test_reviewers_writing_at_once_are_all_recorded(store: MetadataStore, cid: str) -> None:
    barrier = threading.Barrier(4)
    failures: list[BaseException] = []

    def review(n: int) -> None:
        barrier.wait()
        try:
            store.record_reviews(cid, [EN, ES], REJECTED, f"take {n}", f"reviewer {n}", KEY)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=review, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    history = store.reviews(cid, history=True)
    assert len(history) == 8
    current = store.reviews(cid)
    assert len(current) == 2
    assert {r.reviewer for r in current} <= {f"reviewer {n}" for n in range(4)}
    last = {key: [r for r in history if r.key == key][-1] for key in (EN, ES)}
    assert {r.key: r for r in current} == last


def test_a_key_label_fits_the_audit_columns() -> None:
    def key(name: str) -> ApiKey:
        return ApiKey("key_1", name, Scope.WRITE, "cap_Ab3dE6gH", None, FakeClock()(), None, None)

    assert key("ui").label == "key ui (cap_Ab3dE6gH)"
    long = key("n" * 500).label
    assert len(long) == LABEL_LENGTH and long.endswith("… (cap_Ab3dE6gH)")
