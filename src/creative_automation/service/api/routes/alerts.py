"""/v1/alerts: the monitoring agent's alerts, and acknowledging one."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from ....storage import AlertStatus, ApiKey, Scope
from ..deps import Context, Reader, Writer, visible
from ..schemas import AlertList, AlertPublic, problem_responses

router = APIRouter(
    prefix="/v1/alerts", tags=["alerts"], responses=problem_responses(401, 403, 404, 422, 429)
)
StatusFilter = Literal["open", "acknowledged", "resolved", "all"]


def _scope(context: Context, key: ApiKey) -> list[str] | None:
    """The campaigns whose alerts `key` may see: all for admin, else its own."""
    if key.scope is Scope.ADMIN:
        return None
    return context.service.store.campaign_ids(api_key_id=key.id)


@router.get("", response_model=AlertList)
def list_alerts(
    context: Context,
    key: Reader,
    status: Annotated[StatusFilter, Query(description="Which alerts; default open.")] = "open",
    campaign_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AlertList:
    """Alerts newest first, with their evidence and suggested action: a key sees its own
    campaigns' alerts and the deployment's (provider incidents); an admin key sees all."""
    store = context.service.store
    if campaign_id is not None:
        visible(key, store.get_campaign(campaign_id))  # 404 for a campaign it may not see
    found = store.list_alerts(
        status=None if status == "all" else AlertStatus(status),
        campaign_id=campaign_id,
        campaign_ids=_scope(context, key),
        include_global=campaign_id is None,
        limit=limit,
    )
    return AlertList(items=[AlertPublic.of(a) for a in found])


@router.post("/{alert_id}/acknowledge", response_model=AlertPublic)
def acknowledge_alert(
    context: Context, key: Writer, alert_id: Annotated[str, Path(max_length=64)]
) -> AlertPublic:
    """Acknowledge an alert (it stops re-notifying until it gets worse), as this key."""
    store = context.service.store
    alert = store.get_alert(alert_id)
    if alert.campaign_id is not None:
        visible(key, store.get_campaign(alert.campaign_id))
    return AlertPublic.of(store.acknowledge_alert(alert_id, key.label))
