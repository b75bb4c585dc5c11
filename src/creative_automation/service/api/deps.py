"""Typed dependencies: the app's context, the caller's API key (with scope and rate), and the
campaigns a key may see."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CollectorRegistry

from ...errors import AuthenticationRequired, NotFound, PermissionDenied
from ...storage import ApiKey, Campaign, Scope
from ..context import Service
from .ratelimit import KeyRateLimiter

MAX_KEY_LENGTH = 200  # ours are 47 characters; anything far longer is not worth a lookup


@dataclass
class ApiContext:
    """What the routes share, built once by create_app (never a module global)."""

    service: Service
    limiter: KeyRateLimiter
    registry: CollectorRegistry


def api_context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.cap
    return context


Context = Annotated[ApiContext, Depends(api_context)]
_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <API key>")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="X-API-Key: <API key>")


def authenticated(
    context: Context,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header: Annotated[str | None, Depends(_header)],
) -> ApiKey:
    """The caller's live API key, from either header; AuthenticationRequired otherwise."""
    plaintext = bearer.credentials if bearer is not None else header
    if not plaintext:
        raise AuthenticationRequired(
            "send an API key as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
        )
    key = None
    if len(plaintext) <= MAX_KEY_LENGTH:
        key = context.service.store.authenticate(plaintext)
    if key is None:
        raise AuthenticationRequired("the API key is unknown or has been revoked")
    return key


def require(scope: Scope) -> Callable[[ApiContext, ApiKey], ApiKey]:
    """A dependency: an authenticated key, within its rate, whose scope includes `scope`."""

    def dependency(context: Context, key: Annotated[ApiKey, Depends(authenticated)]) -> ApiKey:
        context.limiter.hit(key.id)  # every authenticated request counts, refused ones too
        if not key.allows(scope):
            raise PermissionDenied(
                f"this needs a key with the {scope} scope; this key is {key.scope}"
            )
        return key

    return dependency


Reader = Annotated[ApiKey, Depends(require(Scope.READ))]
Writer = Annotated[ApiKey, Depends(require(Scope.WRITE))]
CampaignId = Annotated[str, Path(max_length=64, description="The id POST /v1/campaigns gave.")]


def visible(key: ApiKey, campaign: Campaign) -> Campaign:
    """The campaign if `key` may see it (its own, or any for admin); NotFound otherwise, so a
    key cannot learn which ids exist."""
    if key.scope is Scope.ADMIN or campaign.api_key_id == key.id:
        return campaign
    raise NotFound(f"no campaign {campaign.id}")


def owned_campaign(context: Context, key: Reader, campaign_id: CampaignId) -> Campaign:
    return visible(key, context.service.store.get_campaign(campaign_id))


def writable_campaign(context: Context, key: Writer, campaign_id: CampaignId) -> Campaign:
    return visible(key, context.service.store.get_campaign(campaign_id))


ReadableCampaign = Annotated[Campaign, Depends(owned_campaign)]
WritableCampaign = Annotated[Campaign, Depends(writable_campaign)]
