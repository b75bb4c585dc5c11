"""Campaigns: every campaign of this key with its state, progress, cost and open alerts;
refreshes while any runs (and stops when none does); open, retry or cancel the selected one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import streamlit as st

from creative_automation.service.api.schemas import CampaignSummary
from creative_automation.ui import badges, session
from creative_automation.ui.badges import plain

api = session.client()
refresh = session.settings().ui_refresh_s

head, new = st.columns([5, 1], vertical_alignment="bottom")
head.title("Campaigns")
new.page_link("views/submit.py", label="New campaign", icon=":material/add:")


def table(items: list[CampaignSummary], alerts: Counter[str]) -> list[dict[str, object]]:
    return [
        {
            "Campaign": c.name or c.brief_campaign_id,
            "State": badges.state_label(c.state, c.cancel_requested),
            "Progress": (
                c.progress.creatives_done / c.progress.creatives_expected
                if c.progress.creatives_expected
                else 0.0
            ),
            "Creatives": f"{c.progress.creatives_done} / {c.progress.creatives_expected}",
            "Cost (USD)": c.cost_usd,
            "Open alerts": alerts.get(c.id, 0),
            "Created": c.created_at,
            "ID": c.id,
        }
        for c in items
    ]


def actions(chosen: CampaignSummary) -> None:
    """What can be done with the selected campaign, as its state allows."""
    st.markdown(f"**{plain(chosen.name)}** · `{chosen.id}` · {badges.state(chosen.state)}")
    opened, retry, cancel, _ = st.columns([1, 1, 1, 3])
    opened.page_link(
        "views/campaign.py", label="Open", icon=":material/open_in_new:",
        query_params={"id": chosen.id},
    )  # fmt: skip
    if retry.button(
        "Retry", icon=":material/replay:", disabled=not badges.can_retry(chosen.state),
        help="Queue it again: finished creatives are kept, the rest are made.",
    ):  # fmt: skip
        act(api.retry, chosen, "queued again")
    if cancel.button(
        "Cancel", icon=":material/stop_circle:",
        disabled=not badges.can_cancel(chosen.state, chosen.cancel_requested),
        help="A queued campaign stops at once; a running one at its next checkpoint.",
    ):  # fmt: skip
        act(api.cancel, chosen, "cancel requested")


def act(call: Callable[[str], object], chosen: CampaignSummary, done: str) -> None:
    """Retry or cancel, then run the page again: what refreshes depends on what runs now."""
    with session.answered(stop=False):
        call(chosen.id)
        st.session_state["campaigns_note"] = f"{plain(chosen.name)}: {done}"
        st.rerun()


def fetch() -> tuple[list[CampaignSummary], Counter[str]]:
    with session.answered(loading="Loading campaigns…"):
        items = api.campaigns()
        alerts = Counter(a.campaign_id for a in api.alerts().items if a.campaign_id)
    return items, alerts


def running(items: list[CampaignSummary]) -> int:
    return sum(c.state in badges.ACTIVE for c in items)


opening = [fetch()]  # this run's answer: the listing's first pass uses it, its refreshes ask
live = running(opening[0][0]) > 0


@st.fragment(run_every=timedelta(seconds=refresh) if live else None)
def listing() -> None:
    items, alerts = opening.pop() if opening else fetch()
    if (running(items) > 0) != live:
        st.rerun()  # the last one finished, or one started: refreshing stops or starts
    if note := st.session_state.pop("campaigns_note", None):
        st.toast(note, icon=":material/task_alt:")
    if not items:
        st.info(
            "**No campaigns yet.** Submit a brief (or start from the example) and it shows "
            "up here while it runs.",
            icon=":material/inbox:",
        )
        st.page_link("views/submit.py", label="Submit a brief", icon=":material/upload_file:")
        return
    active = running(items)
    st.caption(
        f"{len(items)} campaign{'s' if len(items) != 1 else ''} · {active} running"
        + (f" · refreshes every {refresh:g} s" if active else "")
    )
    picked = st.dataframe(
        table(items, alerts),
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key="campaign_table",
        column_config={
            "Progress": st.column_config.ProgressColumn(min_value=0.0, max_value=1.0),
            "Cost (USD)": st.column_config.NumberColumn(format="$%.2f"),
            "Created": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
        },
    )
    rows = picked.selection.rows if picked is not None else []
    if rows:
        actions(items[rows[0]])
    else:
        st.caption("Select a row to open, retry or cancel it.")


listing()
