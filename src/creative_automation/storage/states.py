"""Campaign states and the one table of allowed transitions; the other closed vocabularies."""

from __future__ import annotations

from enum import StrEnum

from ..errors import InvalidTransition


class CampaignState(StrEnum):
    """Where a campaign is. The value is what the database and the API carry."""

    QUEUED = "queued"
    GENERATING = "generating"
    RENDERING = "rendering"
    CHECKING = "checking"
    SUCCEEDED = "succeeded"
    PARTIALLY_SUCCEEDED = "partially_succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return not TRANSITIONS[self]


_S = CampaignState
_STOP = frozenset({_S.FAILED, _S.CANCELLED})
# The only place that says which state may follow which. A running state may go back to
# queued: that is a requeue after its worker's lease went stale, resumed from checkpoints.
TRANSITIONS: dict[CampaignState, frozenset[CampaignState]] = {
    _S.QUEUED: frozenset({_S.GENERATING}) | _STOP,
    _S.GENERATING: frozenset({_S.RENDERING, _S.QUEUED}) | _STOP,
    _S.RENDERING: frozenset({_S.CHECKING, _S.QUEUED}) | _STOP,
    _S.CHECKING: frozenset({_S.SUCCEEDED, _S.PARTIALLY_SUCCEEDED, _S.QUEUED}) | _STOP,
    _S.SUCCEEDED: frozenset(),
    _S.PARTIALLY_SUCCEEDED: frozenset(),
    _S.FAILED: frozenset(),
    _S.CANCELLED: frozenset(),
}
RUNNING = frozenset({_S.GENERATING, _S.RENDERING, _S.CHECKING})
TERMINAL = frozenset(s for s in CampaignState if s.terminal)
# Finished campaigns that an explicit retry (MetadataStore.retry_campaign) may queue again; no
# transition leads out of a terminal state, so nothing else can revive one by accident.
RETRYABLE = frozenset({_S.FAILED, _S.PARTIALLY_SUCCEEDED, _S.CANCELLED})


def check_transition(campaign_id: str, current: CampaignState, target: CampaignState) -> None:
    """Raise InvalidTransition unless TRANSITIONS allows `current` → `target`."""
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none, it is final"
        raise InvalidTransition(
            f"campaign {campaign_id} cannot go from {current} to {target} (allowed: {allowed})"
        )


class Scope(StrEnum):
    """What an API key may do; each scope includes the ones below it (admin ⊇ write ⊇ read)."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"

    def allows(self, required: Scope) -> bool:
        return _RANK[self] >= _RANK[required]


_RANK = {Scope.READ: 0, Scope.WRITE: 1, Scope.ADMIN: 2}


class CreativeStatus(StrEnum):
    """A checkpointed creative's outcome, as in the manifest."""

    OK = "ok"
    NEEDS_REVIEW = "needs_review"
    FAILED = "failed"


class CallOutcome(StrEnum):
    """How one provider call ended."""

    OK = "ok"
    UNAVAILABLE = "unavailable"
    FAILED = "failed"
    REJECTED = "rejected"
    CACHED = "cached"


class DeliveryStatus(StrEnum):
    """A webhook delivery's state: pending until delivered, or failed after its last attempt."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class Severity(StrEnum):
    """How bad an alert is; ordered, so a repeat that got worse notifies again."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


class AlertStatus(StrEnum):
    """An alert is open until someone acknowledges it or its condition clears (resolved)."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class ReviewDecision(StrEnum):
    """A person's sign-off on a creative; the latest one recorded is the creative's."""

    APPROVED = "approved"
    REJECTED = "rejected"


def sql_values(enum: type[StrEnum]) -> str:
    """`'a', 'b'`: the value list of a CHECK constraint."""
    return ", ".join(f"'{member.value}'" for member in enum)
