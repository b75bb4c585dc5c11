"""How states, findings and reviews read on the pages: Streamlit badge markdown, one place."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from ..compliance.findings import Finding
from ..storage import CampaignState, CreativeStatus
from ..storage.states import RETRYABLE, RUNNING

STATE_COLOUR = {
    CampaignState.QUEUED: "gray",
    CampaignState.GENERATING: "blue",
    CampaignState.RENDERING: "blue",
    CampaignState.CHECKING: "blue",
    CampaignState.SUCCEEDED: "green",
    CampaignState.PARTIALLY_SUCCEEDED: "orange",
    CampaignState.FAILED: "red",
    CampaignState.CANCELLED: "gray",
}
CREATIVE_COLOUR = {
    CreativeStatus.OK: "green",
    CreativeStatus.NEEDS_REVIEW: "orange",
    CreativeStatus.FAILED: "red",
}
FINDING_COLOUR = {"fail": "red", "warn": "orange", "pass": "green", "skipped": "gray"}
SEVERITY_COLOUR = {"critical": "red", "warning": "orange", "info": "blue"}
ACTIVE = frozenset({CampaignState.QUEUED, *RUNNING})  # still moving: the pages refresh


# what can start formatting, a link or image, HTML, LaTeX ($), a table, or a Streamlit
# directive (:red[…], :material/…:); with `[` escaped no link can form, so `(` stays as typed
_MARKDOWN = re.compile(r"([\\`*_\[\]<>#|~$:])")


def plain(text: str) -> str:
    """Text from the API (names, comments, summaries, error messages) as literal markdown:
    a reviewer's `**` or `![](http://…)` shows as typed, never as formatting or an image the
    browser fetches; its line breaks are kept."""
    return _MARKDOWN.sub(r"\\\1", text).replace("\n", "  \n")


def badge(text: str, colour: str) -> str:
    """Streamlit badge markdown; brackets in the text would end the badge early."""
    safe = text.replace("[", "(").replace("]", ")").replace("\n", " ")
    return f":{colour}-badge[{safe}]"


def state_label(value: CampaignState, cancel_requested: bool = False) -> str:
    """`partially succeeded`, `generating · cancelling`: a state in words."""
    label = value.value.replace("_", " ")
    return f"{label} · cancelling" if cancel_requested and value in ACTIVE else label


def state(value: CampaignState, cancel_requested: bool = False) -> str:
    return badge(state_label(value, cancel_requested), STATE_COLOUR[value])


def creative_status(value: CreativeStatus) -> str:
    return badge(value.value.replace("_", " "), CREATIVE_COLOUR[value])


def findings(items: Iterable[Finding]) -> str:
    """`2 fail · 1 warn · 9 pass` as badges, worst first; 'no checks' when there are none."""
    counts = Counter(f.status for f in items)
    parts = [
        badge(f"{counts[s]} {s}", FINDING_COLOUR[s])
        for s in ("fail", "warn", "pass", "skipped")
        if counts[s]
    ]
    return " ".join(parts) or badge("no checks", "gray")


def review(decision: str | None) -> str:
    if decision == "approved":
        return badge("approved", "green")
    if decision == "rejected":
        return badge("rejected", "red")
    return badge("awaiting review", "gray")


def severity(value: str) -> str:
    return badge(value, SEVERITY_COLOUR.get(value, "gray"))


def can_retry(value: CampaignState) -> bool:
    return value in RETRYABLE


def can_cancel(value: CampaignState, cancel_requested: bool) -> bool:
    return value in ACTIVE and not cancel_requested


__all__ = [
    "ACTIVE",
    "badge",
    "can_cancel",
    "can_retry",
    "creative_status",
    "findings",
    "plain",
    "review",
    "severity",
    "state",
    "state_label",
]
