"""Providers: each image provider in the routing chain with its circuit breaker, calls,
failures, latency and spend over a window, from every worker's recorded calls."""

from __future__ import annotations

import streamlit as st

from creative_automation.ui import badges, session

WINDOWS = {"1 hour": 1, "24 hours": 24, "7 days": 168, "30 days": 720}
BREAKER = {"closed": "🟢 closed", "half-open": "🟡 half-open", "open": "🔴 open"}

api = session.client()
st.title("Providers")
label = st.segmented_control("Window", list(WINDOWS), default="24 hours") or "24 hours"
with session.answered(loading="Loading provider figures…"):
    listing = api.providers(WINDOWS[label])

if not listing.items:
    st.info("**No providers configured.**", icon=":material/hub:")
    st.stop()
calls = sum(p.calls for p in listing.items)
spend = sum(p.spend_usd for p in listing.items)
down = [p.name for p in listing.items if p.breaker == "open"]
total, spent, open_ = st.columns(3)
total.metric(f"Calls ({label})", f"{calls:,}")
spent.metric("Spend", f"${spend:,.2f}")
open_.metric("Breakers open", len(down))
if down:
    st.error(
        f"**{', '.join(down)}** {'is' if len(down) == 1 else 'are'} failing: new work goes to the "
        "next provider in the chain until the breaker closes.",
        icon=":material/power_off:",
    )
frame = [
    {
        "Provider": p.name,
        "Role": "offline (last resort)"
        if p.offline
        else ("in chain" if p.configured else "seen in calls"),
        "Breaker": BREAKER.get(p.breaker or "", "—"),
        "Calls": p.calls,
        "Failures": p.failures,
        "Error rate": p.error_rate,
        "Cached": p.cached,
        "p50 (s)": p.latency_p50_s,
        "p95 (s)": p.latency_p95_s,
        "Spend (USD)": p.spend_usd,
    }
    for p in listing.items
]
st.dataframe(
    frame,
    hide_index=True,
    width="stretch",
    column_config={
        "Error rate": st.column_config.NumberColumn(format="percent"),
        "p50 (s)": st.column_config.NumberColumn(format="%.2f"),
        "p95 (s)": st.column_config.NumberColumn(format="%.2f"),
        "Spend (USD)": st.column_config.NumberColumn(format="$%.2f"),
    },
)
notes = sorted({p.breaker_note for p in listing.items if p.breaker_note})
for note in notes:
    st.caption(f"{badges.badge('breaker', 'gray')} {note}")
if calls == 0:
    st.caption(f"No provider calls in the last {label}.")
