"""/v1/providers: each image provider's breaker, calls, failures, latency and spend."""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from ...provider_stats import ProviderUsage, provider_usage, shared_breaker_states
from ..deps import Context, Reader
from ..schemas import BreakerState, ProviderList, ProviderStatus, problem_responses

log = logging.getLogger(__name__)
router = APIRouter(
    prefix="/v1/providers", tags=["providers"], responses=problem_responses(401, 403, 422, 429)
)
# purgatory's names for the states, as the API spells them
_STATES: dict[str, BreakerState] = {
    "closed": "closed",
    "opened": "open",
    "half-opened": "half-open",
}
OFFLINE_NOTE = "the offline generator has no circuit breaker: it is never down"
LOCAL_NOTE = (
    "without CAP_REDIS_URL each worker keeps its breakers in its own memory, which this "
    "process cannot see"
)
UNREACHABLE_NOTE = "Redis did not answer: the breaker's state is unknown"


def _breakers(context: Context, names: list[str]) -> tuple[dict[str, str], str | None]:
    """The states Redis holds, or none and the reason they cannot be seen."""
    try:
        states = shared_breaker_states(context.service, names)
    except Exception as exc:  # Redis down: the numbers from the store still answer
        log.warning("providers: breaker states unavailable: %s", exc)
        return {}, UNREACHABLE_NOTE
    return ({}, LOCAL_NOTE) if states is None else (states, None)


def _status(usage: ProviderUsage, state: str | None, note: str | None) -> ProviderStatus:
    if usage.offline:
        state, note = None, OFFLINE_NOTE
    breaker = _STATES.get(state) if state is not None else None
    if state is not None and breaker is None:  # a state purgatory added since: say so
        note = f"unknown breaker state {state!r}"
    return ProviderStatus(
        **asdict(usage), error_rate=usage.error_rate, breaker=breaker, breaker_note=note
    )


@router.get("", response_model=ProviderList)
def list_providers(
    context: Context,
    key: Reader,
    hours: Annotated[int, Query(ge=1, le=720, description="The window, in hours.")] = 24,
) -> ProviderList:
    """Every configured provider (the offline one last) and any other called in the window:
    its circuit breaker as the workers share it (null, with the reason, when this process
    cannot see it) and the deployment's calls, failures, cache hits, latency and spend."""
    usage = provider_usage(context.service, timedelta(hours=hours))
    states, note = _breakers(context, [u.name for u in usage if not u.offline])
    return ProviderList(
        window_hours=hours,
        redis_shared=bool(context.service.settings.redis_url),
        items=[_status(u, states.get(u.name), note) for u in usage],
    )
