"""The metadata store: campaign state, checkpoints, provider calls, API keys, webhooks, audit."""

from .alerts import AlertDraft, Raised
from .checkpoints import CreativeCheckpoint
from .migrate import SchemaStatus
from .records import (
    Alert,
    ApiKey,
    Campaign,
    CampaignPage,
    Creative,
    Event,
    ProviderCall,
    Review,
    WebhookDelivery,
)
from .states import (
    TRANSITIONS,
    AlertStatus,
    CallOutcome,
    CampaignState,
    CreativeStatus,
    DeliveryStatus,
    ReviewDecision,
    Scope,
    Severity,
)
from .store import MetadataStore, build_metadata_store

__all__ = [
    "TRANSITIONS",
    "Alert",
    "AlertDraft",
    "AlertStatus",
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
    "Raised",
    "Review",
    "ReviewDecision",
    "SchemaStatus",
    "Scope",
    "Severity",
    "WebhookDelivery",
    "build_metadata_store",
]
