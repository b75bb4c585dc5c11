"""The web UI for creative teams (Streamlit), a client of the HTTP API: `cap ui` runs app.py.

Each page is a script under views/ (Streamlit runs it top to bottom on every interaction);
what they share lives in modules named for what it is: client (the API), session (settings,
errors), briefs (the live brief check), badges (how states read), gallery (creative cards).
"""
