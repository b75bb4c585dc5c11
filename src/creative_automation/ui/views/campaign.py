"""Campaign: the gallery, grouped by product with its formats side by side and a locale
switcher; each creative's compliance, provider, cost and review; approve or reject one or
many (stored through the API); download the archive or one image."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import streamlit as st

from creative_automation.errors import ApiRefused, ApiUnreachable
from creative_automation.service.api.schemas import CampaignPublic, CreativePublic
from creative_automation.storage.checkpoints import CreativeKey
from creative_automation.storage.reviews import MAX_COMMENT, MAX_REVIEWER
from creative_automation.ui import badges, gallery, session
from creative_automation.ui.badges import plain

api = session.client()
settings = session.settings()
state = st.session_state


def choose() -> str:
    """The campaign in ?id=, else the one picked here (the newest first)."""
    if chosen := st.query_params.get("id"):
        return chosen
    with session.answered(loading="Loading campaigns…"):
        items = api.campaigns()
    if not items:
        st.title("Campaign")
        st.info(
            "**No campaigns yet.** Submit a brief to see its creatives here.",
            icon=":material/inbox:",
        )
        st.page_link("views/submit.py", label="Submit a brief", icon=":material/upload_file:")
        st.stop()
    names = {c.id: f"{c.name} · {c.id}" for c in items}
    picked = st.selectbox("Campaign", list(names), format_func=names.__getitem__)
    st.query_params["id"] = picked
    return picked


def header(campaign: CampaignPublic) -> None:
    st.title(plain(campaign.name or campaign.brief_campaign_id))
    done, expected = campaign.progress.creatives_done, campaign.progress.creatives_expected
    st.markdown(
        f"{badges.state(campaign.state, campaign.cancel_requested)} · `{campaign.id}` · "
        f"{done} / {expected} creatives · ${campaign.cost_usd:.2f}"
    )
    if campaign.state in badges.ACTIVE:
        st.progress(done / expected if expected else 0.0, text=f"{campaign.state.value}…")
    if campaign.error:
        st.error(f"**The campaign stopped:** {plain(campaign.error)}", icon=":material/error:")


def decide(
    campaign_id: str, keys: list[CreativeKey], decision: str, comment_key: str | None
) -> None:
    """Record a review through the API (a button callback); the outcome is shown above the
    gallery on the run that follows."""
    reviewer = str(state.get("reviewer", "")).strip()
    comment = str(state.get(comment_key, "")).strip() if comment_key else ""
    if not reviewer:
        state["review_error"] = "Enter your name under Reviewer before approving or rejecting."
        return
    try:
        done = api.review(campaign_id, keys, decision=decision, reviewer=reviewer, comment=comment)
    except ApiRefused as exc:
        state["review_error"] = str(exc)
        return
    except ApiUnreachable as exc:
        state["review_error"] = f"The review was not stored: {exc}"
        return
    count = len(done.items)
    state["review_note"] = f"{count} creative{'s' if count != 1 else ''} {decision} by {reviewer}"
    for key in keys:  # a bulk action's selection is spent
        state[gallery.widget_key("select", key)] = False
    if comment_key:
        state[comment_key] = ""


def select_all(keys: list[CreativeKey]) -> None:
    for key in keys:
        state[gallery.widget_key("select", key)] = True


def toolbar(campaign: CampaignPublic, shown: list[CreativePublic]) -> None:
    """The reviewer's name, the bulk review of the selected creatives."""
    reviewable = [c.key for c in shown if c.download_url is not None]
    selected = [k for k in reviewable if state.get(gallery.widget_key("select", k))]
    who, comment, approve, reject, everything = st.columns(
        [2, 3, 1.3, 1.3, 1.3], vertical_alignment="bottom"
    )
    who.text_input("Reviewer", key="reviewer", placeholder="Your name", max_chars=MAX_REVIEWER)
    note = comment.text_input(
        "Comment", key="bulk_comment", placeholder="Required to reject", max_chars=MAX_COMMENT
    )
    approve.button(
        f"Approve {len(selected)}", icon=":material/done_all:", disabled=not selected,
        width="stretch", on_click=decide, args=(campaign.id, selected, "approved", "bulk_comment"),
        help="Approve the selected creatives",
    )  # fmt: skip
    reject.button(
        f"Reject {len(selected)}", icon=":material/block:",
        disabled=not selected or not note.strip(), width="stretch",
        on_click=decide, args=(campaign.id, selected, "rejected", "bulk_comment"),
        help="Reject the selected creatives (say why in Comment)",
    )  # fmt: skip
    everything.button(
        "Select all", icon=":material/select_all:", disabled=not reviewable, width="stretch",
        on_click=select_all, args=(reviewable,),
    )  # fmt: skip


def archive(campaign: CampaignPublic) -> None:
    if campaign.state in badges.ACTIVE or campaign.progress.creatives_done == 0:
        return
    st.download_button(
        "Download all (zip)",
        data=partial(api.archive, campaign.id),
        file_name=f"{campaign.brief_campaign_id}-{campaign.id}.zip",
        mime="application/zip",
        icon=":material/folder_zip:",
        on_click="ignore",
    )


def products(campaign: CampaignPublic, shown: list[CreativePublic]) -> None:
    """The gallery: a section per product, its formats side by side, in the brief's order."""
    names = {p["id"]: p.get("name", p["id"]) for p in campaign.brief.get("products", [])}
    formats = list(dict.fromkeys(c.aspect_ratio for c in shown))  # as the pipeline made them
    for product_id in names or sorted({c.product_id for c in shown}):
        mine = {c.aspect_ratio: c for c in shown if c.product_id == product_id}
        st.subheader(plain(names.get(product_id, product_id)))
        columns = st.columns(len(formats))
        for column, ratio in zip(columns, formats, strict=True):
            with column:
                item = mine.get(ratio)
                if item is None:
                    st.caption(f"{ratio}: not made yet")
                    continue
                image = None
                if item.download_url is not None:
                    image = gallery.thumbnail(api, campaign.id, item.path)
                fetch = partial(api.file, campaign.id, item.path)
                gallery.card(item, image, fetch, partial(decide, campaign.id))


def fetch() -> tuple[CampaignPublic, list[CreativePublic]]:
    with session.answered(loading="Loading the campaign…"):
        return api.campaign(campaign_id), api.creatives(campaign_id).items


campaign_id = choose()
opening = [fetch()]  # this run's answer: the page's first pass uses it, its refreshes ask
live = opening[0][0].state in badges.ACTIVE


@st.fragment(run_every=timedelta(seconds=settings.ui_refresh_s) if live else None)
def page() -> None:
    campaign, items = opening.pop() if opening else fetch()
    if (campaign.state in badges.ACTIVE) != live:
        st.rerun()  # it finished, or was started again: refreshing stops or starts
    header(campaign)
    if not items:
        st.info(
            f"**No creatives yet.** The campaign is {campaign.state.value}; they appear here "
            f"as they are made (this page refreshes every {settings.ui_refresh_s:g} s).",
            icon=":material/hourglass_top:",
        )
        return
    locales = list(campaign.brief.get("locales", {})) or sorted({c.locale for c in items})
    locale = st.segmented_control("Locale", locales, default=locales[0], key="locale") or locales[0]
    shown = [c for c in items if c.locale == locale]
    toolbar(campaign, shown)
    if error := state.pop("review_error", None):
        st.error(plain(error), icon=":material/error:")
    if note := state.pop("review_note", None):
        st.success(plain(note), icon=":material/task_alt:")
    reviewed = sum(c.review is not None for c in items)
    st.caption(f"{len(items)} creatives · {reviewed} reviewed · showing {locale}")
    with session.answered(loading="Loading the creatives…"):
        products(campaign, shown)
    archive(campaign)


page()
