"""The one exception tree of the package.

    CreativeAutomationError            base of everything we raise on purpose
    ├── ConfigError                    settings or environment are wrong
    ├── BriefError                     the brief is invalid (carries every problem at once)
    ├── AssetError                     an input image is missing, unsafe, corrupt or too large
    ├── OutputError                    the output folder cannot be written
    ├── ProviderError                  an image/text provider failed
    │   ├── ProviderUnavailable        transient (429, 5xx, timeout): retry, then fall back
    │   ├── ProviderFailed             permanent for this provider (auth, credit, bad request):
    │   │                              no retry, fall back to the next provider
    │   └── ContentRejected            the provider refused this prompt: never retried with the
    │                                  same prompt on the same provider
    ├── RenderError                    a creative cannot be composed as the rules demand
    │   └── FontCoverageError          no bundled font covers the text (never draw tofu)
    ├── CampaignStopped                a resumable run stopped at a checkpoint (cancelled or
    │                                  taken over): what was finished is kept
    ├── QueueUnavailable               the job queue (SQLite file or Redis) cannot be reached
    ├── NotificationError              an alert or update could not be sent (webhook, SMTP)
    ├── ApiError                       the HTTP API, as its clients (the UI) see it
    │   ├── ApiUnreachable             nothing answers at the API's URL, or not in time
    │   └── ApiRefused                 the API answered with an error (its problem+json)
    ├── RequestError                   the HTTP API refuses a request before doing anything
    │   ├── AuthenticationRequired     no API key, or an unknown or revoked one
    │   ├── PermissionDenied           the key's scope does not allow this route
    │   ├── RateLimited                the key sent too many requests (`retry_after` seconds)
    │   ├── PayloadTooLarge            the body, or one uploaded file, is over its limit
    │   ├── UnsupportedMedia           a body or uploaded file of a type the API does not take
    │   └── NotReady                   the campaign has no outputs (yet)
    └── StorageError                   the metadata store cannot do what was asked
        ├── StorageUnavailable         the database cannot be reached or stays locked (retry)
        ├── SchemaError                the schema is missing or at another revision than this
        │                              code: run `cap db upgrade`
        ├── NotFound                   no campaign / API key / delivery with that id
        ├── IdempotencyConflict        an Idempotency-Key reused with a different brief
        ├── InvalidTransition          a campaign state change the state table does not allow
        └── LeaseLost                  another worker holds (or took over) the campaign's lease

User mistakes are reported by the CLI/API as one readable block from `str(error)`;
compliance results are findings (data), never exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass


class CreativeAutomationError(Exception):
    """Base class of every error this package raises on purpose."""


class ConfigError(CreativeAutomationError):
    """Settings or environment are invalid."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, with where it is (a dotted field path)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class BriefError(CreativeAutomationError):
    """The brief is invalid; `problems` lists every problem found, all at once."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        count = len(problems)
        head = f"{source}: {count} problem{'s' if count != 1 else ''} in the brief"
        super().__init__("\n".join([head, *(f"  - {p}" for p in problems)]))

    def __reduce__(self) -> tuple[type[BriefError], tuple[str, list[Problem]]]:
        # rebuilt from its parts when it crosses a process boundary (worker pools, queues)
        return (BriefError, (self.source, self.problems))


class AssetError(CreativeAutomationError):
    """An input image is missing, outside the asset folder, corrupt, or too large."""


class OutputError(CreativeAutomationError):
    """The output folder cannot be created or written (a file in the way, permissions, disk)."""


class ProviderError(CreativeAutomationError):
    """An image or text provider failed."""


class ProviderUnavailable(ProviderError):
    """A transient provider failure: retry later or fall back to the next provider.

    `retry_after` is the wait in seconds the provider asked for (Retry-After), if any.
    """

    def __init__(
        self, message: str, *, retry_after: float | None = None, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), str(self), self.retry_after, self.status))


class ProviderFailed(ProviderError):
    """A permanent failure of this provider for this request (bad key, no credit, bad request):
    not retried; the chain falls back to the next provider."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ContentRejected(ProviderError):
    """The provider refused the prompt (content policy); never retried with the same prompt."""


def _rebuild(
    cls: type[ProviderUnavailable], message: str, retry_after: float | None, status: int | None
) -> ProviderUnavailable:
    return cls(message, retry_after=retry_after, status=status)


class RenderError(CreativeAutomationError):
    """A creative cannot be composed within the layout rules."""


class FontCoverageError(RenderError):
    """No bundled font covers every character of a text."""


class CampaignStopped(CreativeAutomationError):
    """A resumable run stopped at a checkpoint: the campaign was cancelled or another worker
    took it over. What was finished is kept."""


class QueueUnavailable(CreativeAutomationError):
    """The job queue's storage (SQLite file or Redis) cannot be reached: retry later."""


class NotificationError(CreativeAutomationError):
    """An alert or a stakeholder message could not be sent (webhook or mail server refused,
    unreachable, or not configured); the message says which channel and why."""


class ApiError(CreativeAutomationError):
    """The HTTP API, as a client of it (the web UI) sees it."""


class ApiUnreachable(ApiError):
    """Nothing answers at the API's URL (not started, wrong CAP_API_URL), or not in time."""


class ApiRefused(ApiError):
    """The API answered with an error: its problem+json title and detail, and every field
    problem it listed (`problems`, dotted paths as the CLI prints them)."""

    def __init__(self, status: int, title: str, detail: str, problems: list[Problem]) -> None:
        self.status = status
        self.title = title
        self.detail = detail
        self.problems = problems
        lines = [f"{title} ({status}): {detail}" if detail else f"{title} ({status})"]
        super().__init__("\n".join([*lines, *(f"  - {p}" for p in problems)]))

    def __reduce__(self) -> tuple[type[ApiRefused], tuple[int, str, str, list[Problem]]]:
        return (ApiRefused, (self.status, self.title, self.detail, self.problems))


class RequestError(CreativeAutomationError):
    """The HTTP API refuses the request as sent; nothing was changed."""


class AuthenticationRequired(RequestError):
    """No API key was sent, or it is unknown or revoked."""


class PermissionDenied(RequestError):
    """The API key is valid but its scope does not allow this."""


class RateLimited(RequestError):
    """The API key is over its request rate; `retry_after` is the wait in whole seconds."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_limited, (str(self), self.retry_after))


def _rebuild_limited(message: str, retry_after: int) -> RateLimited:
    return RateLimited(message, retry_after=retry_after)


class PayloadTooLarge(RequestError):
    """The request body, or one uploaded file, is larger than its limit."""


class UnsupportedMedia(RequestError):
    """The body's content type, or an uploaded file's content, is not one the API accepts."""


class NotReady(RequestError):
    """The campaign has no outputs yet (still queued or running, or it made none)."""


class StorageError(CreativeAutomationError):
    """The metadata store cannot do what was asked."""


class StorageUnavailable(StorageError):
    """The database cannot be reached, or stayed locked past the busy timeout: retry later."""


class SchemaError(StorageError):
    """The database schema is missing or at a revision this code does not run on."""


class NotFound(StorageError):
    """No campaign, API key or webhook delivery has that id."""


class IdempotencyConflict(StorageError):
    """An idempotency key was reused with a different request body; `campaign_id` is the
    campaign the key already names."""

    def __init__(self, message: str, *, campaign_id: str) -> None:
        super().__init__(message)
        self.campaign_id = campaign_id

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_conflict, (str(self), self.campaign_id))


def _rebuild_conflict(message: str, campaign_id: str) -> IdempotencyConflict:
    return IdempotencyConflict(message, campaign_id=campaign_id)


class InvalidTransition(StorageError):
    """The campaign state table does not allow this change (terminal states are final)."""


class LeaseLost(StorageError):
    """The campaign's lease is held by another worker: this worker must stop working on it."""


__all__ = [
    "AssetError",
    "AuthenticationRequired",
    "BriefError",
    "CampaignStopped",
    "ConfigError",
    "ContentRejected",
    "CreativeAutomationError",
    "FontCoverageError",
    "IdempotencyConflict",
    "InvalidTransition",
    "LeaseLost",
    "NotFound",
    "NotReady",
    "NotificationError",
    "OutputError",
    "PayloadTooLarge",
    "PermissionDenied",
    "Problem",
    "ProviderError",
    "ProviderFailed",
    "ProviderUnavailable",
    "QueueUnavailable",
    "RateLimited",
    "RenderError",
    "RequestError",
    "SchemaError",
    "StorageError",
    "StorageUnavailable",
    "UnsupportedMedia",
]
