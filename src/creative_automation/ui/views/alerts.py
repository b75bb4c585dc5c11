"""Alerts: the monitoring agent's alerts with their evidence and suggested action, to
acknowledge; and the stakeholder update drafted for a campaign, ready to copy."""

from __future__ import annotations

from datetime import date

import streamlit as st

from creative_automation.errors import ApiRefused, ApiUnreachable
from creative_automation.service.api.schemas import (
    NAME_MAX,
    REASON_MAX,
    AlertPublic,
    DraftRequest,
)
from creative_automation.ui import badges, session
from creative_automation.ui.badges import plain

SHOW = {"Open": "open", "Acknowledged": "acknowledged", "All": "all"}

api = session.client()
state = st.session_state
st.title("Alerts")


def acknowledge(alert_id: str) -> None:
    try:
        done = api.acknowledge(alert_id)
    except (ApiRefused, ApiUnreachable) as exc:
        state["alert_error"] = str(exc)
        return
    state["alert_note"] = f"Acknowledged: {done.summary}"


def alert_card(alert: AlertPublic, names: dict[str, str]) -> None:
    with st.container(border=True):
        title, button = st.columns([6, 1], vertical_alignment="center")
        where = names.get(alert.campaign_id or "", alert.campaign_id or "the deployment")
        title.markdown(
            f"{badges.severity(alert.severity.value)} {badges.badge(alert.status.value, 'gray')} "
            f"**{plain(alert.summary)}**  \n{alert.rule} · {plain(where)} · seen "
            f"{alert.occurrences}× · last "
            f"{alert.last_seen_at:%Y-%m-%d %H:%M}"
        )
        button.button(
            "Acknowledge", key=f"ack:{alert.id}", icon=":material/check:",
            disabled=alert.status.value != "open", on_click=acknowledge, args=(alert.id,),
        )  # fmt: skip
        st.markdown(f"**Suggested action:** {plain(alert.action)}")
        if alert.acknowledged_by:
            st.caption(
                f"acknowledged by {plain(alert.acknowledged_by)} at "
                f"{alert.acknowledged_at:%Y-%m-%d %H:%M}"
            )
        with st.expander("Evidence"):
            st.json(alert.evidence)


def drafting(names: dict[str, str]) -> None:
    st.header("Stakeholder update")
    if not names:
        st.caption("Drafts are written about a campaign; there are none yet.")
        return
    with st.form("draft_form"):
        campaign_id = st.selectbox("Campaign", list(names), format_func=names.__getitem__)
        left, right = st.columns(2)
        # the request's own limits, so what is typed is always a valid request
        audience = left.text_input("Audience (role)", "Campaign stakeholders", max_chars=NAME_MAX)
        audience_name = left.text_input("Audience name (for the greeting)", max_chars=NAME_MAX)
        sender = right.text_input("Signed by", max_chars=NAME_MAX)
        reason = right.text_input("Why it is late (their words)", max_chars=REASON_MAX)
        eta = st.date_input("New delivery date", value=None, min_value=date.today())
        if st.form_submit_button("Draft the update", icon=":material/edit_note:"):
            request = DraftRequest(
                audience=audience.strip() or "Campaign stakeholders",
                audience_name=audience_name.strip() or None,
                sender=sender.strip() or None,
                reason=reason.strip() or None,
                new_eta=eta,
            )
            with session.answered(stop=False), st.spinner("Drafting…"):
                state["draft"] = api.draft(campaign_id, request)
    if (draft := state.get("draft")) is not None:
        st.markdown(
            f"**Drafted by** {plain(draft.written_by)} · never sent: copy it into your mail"
        )
        if draft.fallback_reason:
            st.caption(f"The template wrote it: {plain(draft.fallback_reason)}")
        st.code(draft.subject, language=None)
        st.code(draft.body, language=None, wrap_lines=True)


show = st.segmented_control("Show", list(SHOW), default="Open") or "Open"
with session.answered(loading="Loading alerts…"):
    alerts = api.alerts(SHOW[show]).items
    campaigns = api.campaigns()
names = {c.id: f"{c.name} · {c.id}" for c in campaigns}
if error := state.pop("alert_error", None):
    st.error(plain(error), icon=":material/error:")
if note := state.pop("alert_note", None):
    st.success(plain(note), icon=":material/task_alt:")
if not alerts:
    st.success(
        f"**No {show.lower()} alerts.** The monitoring agent (`cap agent`) raises them here when "
        "a campaign falls short or a provider fails.",
        icon=":material/notifications_off:",
    )
for alert in alerts:
    alert_card(alert, names)
drafting(names)
