"""Every error answer as RFC 9457 problem+json: the one map from our error tree to statuses."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from ...errors import (
    AssetError,
    AuthenticationRequired,
    BriefError,
    CreativeAutomationError,
    IdempotencyConflict,
    InvalidTransition,
    LeaseLost,
    NotFound,
    NotReady,
    OutputError,
    PayloadTooLarge,
    PermissionDenied,
    QueueUnavailable,
    RateLimited,
    SchemaError,
    StorageUnavailable,
    UnsupportedMedia,
)

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
RETRY_UNAVAILABLE_S = 5  # Retry-After on a 503: the queue or database is expected back soon


@dataclass(frozen=True)
class Kind:
    """How one branch of the error tree is answered. `expose`: its message is safe to show
    (ours, about the request); otherwise the client gets the title and the log gets the rest."""

    status: int
    slug: str
    title: str
    expose: bool = True


# Most specific first is not needed: the lookup walks each error's MRO.
KINDS: dict[type[CreativeAutomationError], Kind] = {
    BriefError: Kind(422, "invalid-brief", "The brief is invalid"),
    AssetError: Kind(422, "invalid-asset", "An uploaded file is not usable"),
    AuthenticationRequired: Kind(401, "unauthenticated", "A valid API key is required"),
    PermissionDenied: Kind(403, "forbidden", "The API key's scope does not allow this"),
    RateLimited: Kind(429, "rate-limited", "Too many requests for this API key"),
    PayloadTooLarge: Kind(413, "too-large", "The request is too large"),
    UnsupportedMedia: Kind(415, "unsupported-media", "The content type is not accepted"),
    NotReady: Kind(409, "not-ready", "The campaign has no outputs yet"),
    NotFound: Kind(404, "not-found", "Not found"),
    IdempotencyConflict: Kind(409, "idempotency-conflict", "The Idempotency-Key was reused"),
    InvalidTransition: Kind(409, "invalid-state", "Not possible in the campaign's state"),
    LeaseLost: Kind(409, "invalid-state", "Not possible in the campaign's state"),
    QueueUnavailable: Kind(503, "queue-unavailable", "The job queue is unavailable", False),
    StorageUnavailable: Kind(503, "storage-unavailable", "The database is unavailable", False),
    SchemaError: Kind(503, "storage-unavailable", "The database is not ready", False),
    OutputError: Kind(503, "storage-unavailable", "The file store is unavailable", False),
    CreativeAutomationError: Kind(500, "internal", "Internal error", False),
}


def problem_type(slug: str) -> str:
    return f"/problems/{slug}"


def problem(
    request: Request,
    status: int,
    title: str,
    detail: str,
    *,
    slug: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """A problem+json response; `slug` None means a plain HTTP error (type about:blank)."""
    body = {
        "type": problem_type(slug) if slug else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extensions,
    }
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def kind_of(exc: CreativeAutomationError) -> Kind:
    for cls in type(exc).__mro__:
        if cls in KINDS:
            return KINDS[cls]
    return KINDS[CreativeAutomationError]


def from_error(request: Request, exc: CreativeAutomationError) -> JSONResponse:
    kind = kind_of(exc)
    headers: dict[str, str] = {}
    extensions: dict[str, Any] = {}
    if isinstance(exc, AuthenticationRequired):
        headers["WWW-Authenticate"] = 'Bearer realm="cap"'
    elif isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
        extensions["retry_after"] = exc.retry_after
    elif kind.status == 503:
        headers["Retry-After"] = str(RETRY_UNAVAILABLE_S)
    if isinstance(exc, BriefError):
        extensions["errors"] = [{"path": p.path, "message": p.message} for p in exc.problems]
        detail = "; ".join(str(p) for p in exc.problems) or str(exc)
    elif kind.expose:
        detail = str(exc)
    else:
        error_id = uuid.uuid4().hex[:12]
        log.error("%s %s failed [%s]: %s", request.method, request.url.path, error_id, exc)
        detail = f"{kind.title}; try again later (error id {error_id})"
        extensions["error_id"] = error_id
    if isinstance(exc, IdempotencyConflict):
        extensions["campaign_id"] = exc.campaign_id
    return problem(
        request, kind.status, kind.title, detail, slug=kind.slug, headers=headers, **extensions
    )


async def _ours(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CreativeAutomationError)
    return from_error(request, exc)


def _location(loc: tuple[Any, ...]) -> str:
    # ("query", "limit") → "query.limit"; ("body", "x", 0) → "body.x[0]"
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"path": _location(tuple(e.get("loc", ()))), "message": str(e.get("msg", "invalid"))}
        for e in exc.errors()
    ]
    detail = "; ".join(f"{e['path']}: {e['message']}" for e in errors)
    return problem(
        request, 422, "The request is invalid", detail, slug="invalid-request", errors=errors
    )


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    phrase = HTTPStatus(exc.status_code).phrase
    detail = exc.detail if isinstance(exc.detail, str) else phrase
    return problem(request, exc.status_code, phrase, detail, headers=dict(exc.headers or {}))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    error_id = uuid.uuid4().hex[:12]
    log.exception("%s %s crashed [%s]", request.method, request.url.path, error_id)
    return problem(
        request,
        500,
        "Internal error",
        f"an unexpected error occurred; it was logged as {error_id}",
        slug="internal",
        error_id=error_id,
    )


def install(app: FastAPI) -> None:
    """Register the handlers: ours, FastAPI's request validation, HTTP errors, and the rest."""
    app.add_exception_handler(CreativeAutomationError, _ours)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
