"""The UI's entry point (`cap ui` runs it with Streamlit): page setup, the navigation, and
the sidebar that says which API this is talking to."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from creative_automation.ui import session

# not pages/: Streamlit would take that folder for an old-style multipage app and serve its
# scripts without this one (no navigation, no page config)
PAGES = Path(__file__).with_name("views")

st.set_page_config(page_title="Creative Automation", page_icon=":material/palette:", layout="wide")
navigation = st.navigation(
    [
        st.Page(PAGES / "campaigns.py", title="Campaigns", icon=":material/table:", default=True),
        st.Page(PAGES / "submit.py", title="Submit", icon=":material/upload_file:"),
        st.Page(PAGES / "campaign.py", title="Campaign", icon=":material/photo_library:"),
        st.Page(PAGES / "providers.py", title="Providers", icon=":material/hub:"),
        st.Page(PAGES / "alerts.py", title="Alerts", icon=":material/notifications:"),
    ]
)
with st.sidebar:
    settings = session.settings()
    st.caption(f"API: `{settings.api_url}`")
    if settings.api_key is None:
        st.caption(":orange[no API key (CAP_API_KEY)]")
navigation.run()
