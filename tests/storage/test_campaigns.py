"""Campaigns in the metadata store: idempotent creation, pages, transitions and their events,
cancellation; every test on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from databases import FakeClock

from creative_automation.errors import IdempotencyConflict, InvalidTransition, NotFound
from creative_automation.storage import TRANSITIONS, CampaignState, MetadataStore
from creative_automation.storage.states import TERMINAL

S = CampaignState


def brief(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "campaign_id": "summer-fizz",
        "campaign_name": "Summer Fizz",
        "products": [{"id": "can", "name": "Fizz can"}],
        "locales": ["en-US", "es-MX"],
    }
    data.update(changes)
    return data


def test_a_new_campaign_is_queued_with_its_brief(store: MetadataStore, clock: FakeClock) -> None:
    campaign, created = store.create_campaign(
        brief(), idempotency_key="k1", webhook_url="https://hooks.example/x", creatives_expected=8
    )
    assert created and campaign.state is S.QUEUED and campaign.id.startswith("cmp_")
    assert len(campaign.id) == 30
    got = store.get_campaign(campaign.id)
    assert got == campaign
    assert got.brief == brief() and got.brief_campaign_id == "summer-fizz"
    assert (got.creatives_expected, got.creatives_done, got.cost_usd, got.attempts) == (8, 0, 0, 0)
    assert got.webhook_url == "https://hooks.example/x"
    assert got.created_at == clock.moment and got.created_at.tzinfo is not None
    assert not got.cancel_requested and got.worker_id is None and got.finished_at is None
    (event,) = store.events(campaign.id)
    assert (event.kind, event.from_state, event.to_state) == ("created", None, S.QUEUED)


def test_same_idempotency_key_and_brief_returns_the_same_campaign(store: MetadataStore) -> None:
    first, created = store.create_campaign(brief(), idempotency_key="k1")
    # the same brief with its keys in another order is the same body
    again, created_again = store.create_campaign(
        dict(reversed(brief().items())), idempotency_key="k1"
    )
    assert created and not created_again
    assert again.id == first.id
    assert len(store.list_campaigns().items) == 1


def test_same_idempotency_key_with_another_brief_is_a_conflict(store: MetadataStore) -> None:
    first, _ = store.create_campaign(brief(), idempotency_key="k1")
    with pytest.raises(IdempotencyConflict, match="different request") as info:
        store.create_campaign(brief(campaign_name="Winter"), idempotency_key="k1")
    assert info.value.campaign_id == first.id
    assert len(store.list_campaigns().items) == 1


def test_idempotency_keys_are_scoped_to_their_api_key(store: MetadataStore) -> None:
    _, key_a = store.create_key("a")
    _, key_b = store.create_key("b")
    a, _ = store.create_campaign(brief(), api_key_id=key_a.id, idempotency_key="k1")
    b, created = store.create_campaign(brief(x=1), api_key_id=key_b.id, idempotency_key="k1")
    cli, cli_created = store.create_campaign(brief(x=2), idempotency_key="k1")
    assert created and cli_created and len({a.id, b.id, cli.id}) == 3
    # and without a key (the CLI) a key still names one campaign: NULLs do not escape it
    with pytest.raises(IdempotencyConflict):
        store.create_campaign(brief(x=3), idempotency_key="k1")


def test_without_an_idempotency_key_every_call_creates(store: MetadataStore) -> None:
    ids = {store.create_campaign(brief())[0].id for _ in range(3)}
    assert len(ids) == 3


def test_a_campaign_for_an_unknown_api_key_is_not_found(store: MetadataStore) -> None:
    with pytest.raises(NotFound, match="key_nope"):
        store.create_campaign(brief(), api_key_id="key_nope", idempotency_key="k1")
    assert store.list_campaigns().items == []


def test_unknown_campaign_is_not_found(store: MetadataStore) -> None:
    with pytest.raises(NotFound, match="cmp_nope"):
        store.get_campaign("cmp_nope")
    with pytest.raises(NotFound):
        store.transition("cmp_nope", S.GENERATING)


def test_list_is_newest_first_in_pages(store: MetadataStore) -> None:
    made = [store.create_campaign(brief(n=n))[0].id for n in range(7)]
    seen: list[str] = []
    cursor = None
    for _ in range(4):
        page = store.list_campaigns(limit=3, cursor=cursor)
        seen += [c.id for c in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == made[::-1]
    assert [
        len(store.list_campaigns(limit=3).items),
        store.list_campaigns(limit=7).next_cursor,
    ] == [
        3,
        None,
    ]


def test_list_filters_by_state_and_api_key(store: MetadataStore) -> None:
    _, key = store.create_key("partner")
    queued, _ = store.create_campaign(brief(), api_key_id=key.id)
    running, _ = store.create_campaign(brief(n=1))
    store.transition(running.id, S.GENERATING)
    assert [c.id for c in store.list_campaigns(state=S.GENERATING).items] == [running.id]
    both = store.list_campaigns(state=[S.QUEUED, S.GENERATING]).items
    assert {c.id for c in both} == {queued.id, running.id}
    assert [c.id for c in store.list_campaigns(api_key_id=key.id).items] == [queued.id]
    with pytest.raises(ValueError, match="limit"):
        store.list_campaigns(limit=0)


def test_a_legal_transition_writes_one_event(store: MetadataStore, clock: FakeClock) -> None:
    campaign, _ = store.create_campaign(brief())
    clock.advance(timedelta(seconds=5))
    moved = store.transition(campaign.id, S.GENERATING, {"by": "worker-1"})
    assert moved.state is S.GENERATING and moved.started_at == clock.moment
    assert moved.updated_at == clock.moment
    events = store.events(campaign.id)
    assert [(e.kind, e.from_state, e.to_state) for e in events] == [
        ("created", None, S.QUEUED),
        ("state", S.QUEUED, S.GENERATING),
    ]
    assert events[-1].detail == {"by": "worker-1"}


def test_an_illegal_transition_raises_and_changes_nothing(store: MetadataStore) -> None:
    campaign, _ = store.create_campaign(brief())
    with pytest.raises(InvalidTransition, match="queued to succeeded"):
        store.transition(campaign.id, S.SUCCEEDED)
    assert store.get_campaign(campaign.id).state is S.QUEUED
    assert len(store.events(campaign.id)) == 1


def test_a_whole_run_to_success_stamps_the_times(store: MetadataStore, clock: FakeClock) -> None:
    campaign, _ = store.create_campaign(brief())
    for state in (S.GENERATING, S.RENDERING, S.CHECKING):
        clock.advance(timedelta(seconds=1))
        store.transition(campaign.id, state)
    clock.advance(timedelta(seconds=1))
    done = store.transition(campaign.id, S.SUCCEEDED, output_uri="s3://bucket/summer-fizz/")
    assert done.terminal and done.finished_at == clock.moment
    assert done.started_at is not None and done.started_at < done.finished_at
    assert done.output_uri == "s3://bucket/summer-fizz/"
    assert [e.to_state for e in store.events(campaign.id)][-1] is S.SUCCEEDED


@pytest.mark.parametrize("final", sorted(TERMINAL))
def test_terminal_states_are_final(store: MetadataStore, final: CampaignState) -> None:
    campaign, _ = store.create_campaign(brief())
    path = {
        S.SUCCEEDED: [S.GENERATING, S.RENDERING, S.CHECKING],
        S.PARTIALLY_SUCCEEDED: [S.GENERATING, S.RENDERING, S.CHECKING],
    }.get(final, [])
    for state in [*path, final]:
        store.transition(campaign.id, state)
    for target in CampaignState:
        with pytest.raises(InvalidTransition, match="it is final"):
            store.transition(campaign.id, target)


def test_failure_keeps_its_error(store: MetadataStore) -> None:
    campaign, _ = store.create_campaign(brief())
    store.transition(campaign.id, S.GENERATING)
    failed = store.transition(campaign.id, S.FAILED, error="every provider is down")
    assert failed.error == "every provider is down"
    assert store.events(campaign.id)[-1].detail == {"error": "every provider is down"}


def test_the_transition_table_covers_every_state() -> None:
    assert set(TRANSITIONS) == set(CampaignState)
    for targets in TRANSITIONS.values():
        assert targets <= set(CampaignState)
    assert {S.SUCCEEDED, S.PARTIALLY_SUCCEEDED, S.FAILED, S.CANCELLED} == TERMINAL
    assert all(
        S.CANCELLED in TRANSITIONS[s] and S.FAILED in TRANSITIONS[s] for s in set(S) - TERMINAL
    )


def test_cancelling_a_queued_campaign_cancels_it_at_once(store: MetadataStore) -> None:
    campaign, _ = store.create_campaign(brief())
    cancelled = store.request_cancel(campaign.id, {"by": "key_x"})
    assert cancelled.state is S.CANCELLED and cancelled.cancel_requested
    assert [e.kind for e in store.events(campaign.id)] == ["created", "cancel_requested", "state"]
    assert store.request_cancel(campaign.id) == cancelled  # again: nothing changes
    assert len(store.events(campaign.id)) == 3


def test_cancelling_a_running_campaign_flags_it_for_its_worker(store: MetadataStore) -> None:
    campaign, _ = store.create_campaign(brief())
    store.transition(campaign.id, S.GENERATING)
    flagged = store.request_cancel(campaign.id)
    assert flagged.state is S.GENERATING and flagged.cancel_requested
    assert store.transition(campaign.id, S.CANCELLED).state is S.CANCELLED


def test_cancelling_a_finished_campaign_is_refused(store: MetadataStore) -> None:
    campaign, _ = store.create_campaign(brief())
    store.transition(campaign.id, S.FAILED)
    with pytest.raises(InvalidTransition):
        store.request_cancel(campaign.id)
    assert not store.get_campaign(campaign.id).cancel_requested


def test_audit_lists_every_kind_of_event_newest_first(store: MetadataStore) -> None:
    campaign, _ = store.create_campaign(brief())
    store.create_key("ops")
    kinds = [e.kind for e in store.audit()]
    assert kinds == ["key_created", "created"]
    assert store.audit()[0].campaign_id is None and store.audit()[1].campaign_id == campaign.id
