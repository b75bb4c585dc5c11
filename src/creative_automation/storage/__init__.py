"""The metadata store: campaign state, checkpoints, provider calls, API keys, webhooks, audit."""

from .checkpoints import CreativeCheckpoint
from .migrate import SchemaStatus
from .records import (
    ApiKey,
    Campaign,
    CampaignPage,
    Creative,
    Event,
    ProviderCall,
    WebhookDelivery,
)
from .states import (
    TRANSITIONS,
    CallOutcome,
    CampaignState,
    CreativeStatus,
    DeliveryStatus,
    Scope,
)
from .store import MetadataStore, build_metadata_store

__all__ = [
    "TRANSITIONS",
    "ApiKey",
    "CallOutcome",
    "Campaign",
    "CampaignPage",
    "CampaignState",
    "Creative",
    "CreativeCheckpoint",
    "CreativeStatus",
    "DeliveryStatus",
    "Event",
    "MetadataStore",
    "ProviderCall",
    "SchemaStatus",
    "Scope",
    "WebhookDelivery",
    "build_metadata_store",
]
