"""Submit: a brief uploaded or started from the example, checked as it is edited (the same
field-path problems as the CLI and the API), sent with the files it names."""

from __future__ import annotations

import streamlit as st

from creative_automation.ui import briefs, session
from creative_automation.ui.badges import plain

api = session.client()
settings = session.settings()
state = st.session_state

st.title("Submit a campaign")
st.caption(
    "A brief names its products, markets and formats; every product × locale × format is "
    "made, checked for brand and legal compliance, and laid out for review."
)

start, upload = st.columns(2)
example = briefs.example(settings.ui_examples)
with start:
    st.markdown("**Start from the example**")
    if example is None:
        st.caption(
            f"No example brief in `{settings.ui_examples}` (set CAP_UI_EXAMPLES to the folder "
            f"holding {briefs.EXAMPLE})."
        )
    elif st.button("Use the example brief", icon=":material/auto_awesome:"):
        state["brief_name"], state["brief_text"] = briefs.EXAMPLE, example[0]
        state["example_files"] = example[1]
with upload:
    uploaded = st.file_uploader("…or upload a brief", type=["yaml", "yml", "json"])
    if uploaded is not None and state.get("brief_upload") != uploaded.file_id:
        state["brief_upload"] = uploaded.file_id
        state["brief_name"] = uploaded.name
        state["brief_text"] = uploaded.getvalue().decode("utf-8-sig", errors="replace")
        state["example_files"] = {}

name = state.get("brief_name", "brief.yaml")
text = st.text_area(
    f"Brief ({name})", key="brief_text", height=360, placeholder="campaign_id: …\nproducts: …"
)
files = st.file_uploader(
    "Assets, brand kit, logo and fonts the brief names",
    type=sorted(s.lstrip(".") for s in briefs.ATTACHABLE),
    accept_multiple_files=True,
)
attached: dict[str, bytes] = dict(state.get("example_files", {}))
attached |= {f.name: f.getvalue() for f in files or ()}


def summary(checked: briefs.Checked) -> None:
    """What the brief makes, and which of the files it names are attached."""
    brief = checked.brief
    assert brief is not None
    locales = len(brief.locale_tags)
    total = len(brief.products) * len(brief.formats) * locales
    st.success(
        f"**{plain(brief.campaign_name)}** — {len(brief.products)} products × {locales} locales × "
        f"{len(brief.formats)} formats = {total} creatives",
        icon=":material/check_circle:",
    )
    if checked.named:
        st.markdown(
            "Files: "
            + " ".join(
                f":red-badge[{n} missing]" if n in checked.missing else f":green-badge[{n}]"
                for n in checked.named
            )
        )
    if checked.missing:
        st.warning(
            "Attach the files the brief names before submitting: "
            + plain(", ".join(checked.missing)),
            icon=":material/attach_file:",
        )


checked = briefs.check(name, text, attached, settings) if text.strip() else None
if checked is None:
    st.info("Paste or upload a brief, or start from the example.", icon=":material/edit_note:")
elif checked.problems:
    count = len(checked.problems)
    st.error(
        f"**{count} problem{'s' if count != 1 else ''} in the brief**\n\n"
        + session.problem_lines(checked.problems),
        icon=":material/rule:",
    )
else:
    summary(checked)
ready = checked is not None and checked.ready
if st.button("Submit campaign", type="primary", disabled=not ready):
    assert checked is not None
    sent = [(n, attached[n]) for n in checked.named]
    with session.answered(stop=False), st.spinner("Submitting…"):
        created = api.submit(name, text.encode(), sent)
        state["submitted"] = created.id
if submitted := state.get("submitted"):
    st.success(f"Campaign `{submitted}` is queued.", icon=":material/rocket_launch:")
    st.page_link(
        "views/campaign.py", label="Watch it run", icon=":material/photo_library:",
        query_params={"id": submitted},
    )  # fmt: skip
