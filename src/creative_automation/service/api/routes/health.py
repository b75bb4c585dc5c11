"""Unauthenticated operations routes: liveness, readiness, Prometheus metrics, problem types."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ....errors import NotFound
from ....storage import SchemaStatus
from ..deps import Context
from ..problems import KINDS, problem, problem_type
from ..schemas import Health, Readiness, problem_responses

router = APIRouter(tags=["operations"])
log = logging.getLogger(__name__)


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is up (it answers); says nothing about the database or the queue."""
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses=problem_responses(503))
def readyz(request: Request, context: Context) -> Response:
    """Ready to serve: the database answers with the current schema, and the queue answers."""
    service = context.service
    checks: dict[str, str] = {}
    try:
        status = service.store.schema_status()
        checks["database"] = "ok" if status is SchemaStatus.CURRENT else f"schema {status}"
    except Exception as exc:  # any failure means not ready; the reason goes to the log
        log.warning("readiness: database: %s", exc)
        checks["database"] = "unavailable"
    try:
        service.queue.ping()
        checks["queue"] = "ok"
    except Exception as exc:
        log.warning("readiness: queue: %s", exc)
        checks["queue"] = "unavailable"
    failing = {name: state for name, state in checks.items() if state != "ok"}
    if failing:
        detail = ", ".join(f"{name}: {state}" for name, state in failing.items())
        return problem(
            request,
            503,
            "Not ready",
            detail,
            slug="not-ready-to-serve",
            headers={"Retry-After": "5"},
            checks=checks,
        )
    return JSONResponse(Readiness(status="ready", checks=checks).model_dump())


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def metrics(context: Context) -> Response:
    """Prometheus text format: service-wide numbers from the store, and this process's HTTP."""
    return Response(generate_latest(context.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/problems/{slug}", include_in_schema=False)
def problem_doc(slug: str) -> JSONResponse:
    """What a problem `type` means (the types are relative URLs to here)."""
    for kind in KINDS.values():
        if kind.slug == slug:
            body = {"type": problem_type(slug), "title": kind.title, "status": kind.status}
            return JSONResponse(body)
    raise NotFound(f"no problem type {slug!r}")
