"""Retrying a finished campaign: only failed, partially succeeded or cancelled ones; failed
creatives are made again, finished ones kept; every test on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from creative_automation.errors import InvalidTransition
from creative_automation.storage import CampaignState, CreativeStatus, MetadataStore
from creative_automation.storage.states import RETRYABLE, TERMINAL, TRANSITIONS

S = CampaignState
BRIEF = {"campaign_id": "retry", "campaign_name": "Retry"}


def run_to(store: MetadataStore, final: CampaignState) -> str:
    campaign, _ = store.create_campaign(BRIEF)
    if final is S.CANCELLED:
        store.request_cancel(campaign.id)
        return campaign.id
    store.transition(campaign.id, S.GENERATING)
    for i, status in enumerate((CreativeStatus.OK, CreativeStatus.FAILED, CreativeStatus.OK)):
        store.checkpoint_creative(
            campaign.id, product_id=f"p{i}", aspect_ratio="1:1", locale="en", status=status,
            path=f"p{i}/1x1/en.jpg", cost_usd=0.25,
        )  # fmt: skip
    if final is not S.FAILED:
        store.transition(campaign.id, S.RENDERING)
        store.transition(campaign.id, S.CHECKING)
    store.transition(campaign.id, final, error="boom" if final is S.FAILED else None)
    return campaign.id


@pytest.mark.parametrize("final", sorted(RETRYABLE))
def test_a_retried_campaign_is_queued_again_with_its_finished_creatives(
    store: MetadataStore, final: CampaignState
) -> None:
    campaign_id = run_to(store, final)
    retried = store.retry_campaign(campaign_id, {"by": "test"})
    assert retried.state is S.QUEUED and not retried.terminal
    assert retried.error is None and not retried.cancel_requested
    assert retried.finished_at is None and retried.started_at is None
    kept = store.finished_creatives(campaign_id)
    assert ("p1", "1:1", "en") not in kept  # the failed one is made again
    assert retried.creatives_done == len(kept)
    assert retried.cost_usd == pytest.approx(0.25 * len(kept))
    last = store.events(campaign_id)[-1]
    assert (last.from_state, last.to_state) == (final, S.QUEUED)
    assert last.detail["retry"] is True and last.detail["by"] == "test"
    # it runs again like a new campaign
    store.transition(campaign_id, S.GENERATING)
    assert store.get_campaign(campaign_id).started_at is not None


@pytest.mark.parametrize("state", [S.QUEUED, S.GENERATING, S.SUCCEEDED])
def test_only_failed_partial_or_cancelled_campaigns_can_be_retried(
    store: MetadataStore, state: CampaignState
) -> None:
    campaign, _ = store.create_campaign(BRIEF)
    steps = {S.QUEUED: [], S.GENERATING: [S.GENERATING]}.get(
        state, [S.GENERATING, S.RENDERING, S.CHECKING, S.SUCCEEDED]
    )
    for step in steps:
        store.transition(campaign.id, step)
    with pytest.raises(InvalidTransition, match="can be retried"):
        store.retry_campaign(campaign.id)
    assert store.get_campaign(campaign.id).state is state


def test_retry_never_appears_in_the_transition_table() -> None:
    # terminal states stay final for every ordinary transition; only retry_campaign revives
    assert RETRYABLE <= TERMINAL
    assert all(not TRANSITIONS[s] for s in RETRYABLE)
