"""The UI's pages: scripts that Streamlit runs (st.navigation in ui/app.py lists them)."""
