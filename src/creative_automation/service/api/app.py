"""The app factory: one FastAPI app over one Service, with no module-level state."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from ...brief import Brief
from ..context import Service
from ..metrics import build_registry
from . import problems
from .deps import ApiContext
from .middleware import BodyLimit, RequestMetrics
from .ratelimit import KeyRateLimiter
from .routes import alerts, campaigns, health, outputs, providers, reviews, updates
from .schemas import ProblemDetail

DESCRIPTION = """\
Submit campaign briefs, follow them through the queue, download their creatives.

Every `/v1` route needs an API key (`cap keys create`), sent as `Authorization: Bearer <key>` or
`X-API-Key: <key>`; read keys may GET, write keys may also POST, admin keys see every campaign.
Errors are `application/problem+json` (RFC 9457). The MCP server (streamable HTTP) is at
`/mcp`, behind the same keys.
"""


class CapAPI(FastAPI):
    """FastAPI with the brief's JSON Schema in the OpenAPI components (the create route reads
    its body itself, to take JSON, YAML and multipart, so FastAPI cannot derive it), and the
    problem+json schema every error answer refers to."""

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            schema = super().openapi()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for model, prefix in ((Brief, "Brief"), (ProblemDetail, "")):
                refs = f"#/components/schemas/{prefix}{{model}}"
                definition = model.model_json_schema(ref_template=refs)
                for name, sub in definition.pop("$defs", {}).items():
                    components[f"{prefix}{name}"] = sub
                components[model.__name__] = definition
            self.openapi_schema = schema
        return self.openapi_schema


def create_app(service: Service) -> FastAPI:
    """The API over `service` (its store's schema must be current: `cap db upgrade`)."""
    from ...agent.mcp_http import McpHttp  # here: the agent's modules import the API's own

    settings = service.settings
    registry, http_metrics = build_registry(service)
    limiter = KeyRateLimiter(settings.rate_limit, settings.redis_url)
    mcp = McpHttp(service, on_key=limiter.hit)  # the MCP server, behind the same keys
    app = CapAPI(
        title="Creative Automation Platform",
        version="1",
        description=DESCRIPTION,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lambda _app: mcp.lifespan(),  # the MCP session manager runs with the app
    )
    app.state.cap = ApiContext(service, limiter, registry)
    problems.install(app)
    # the last added runs first: metrics see every answer, the body limit's 413s included
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(RequestMetrics, metrics=http_metrics)
    app.include_router(campaigns.router)
    app.include_router(outputs.router)
    app.include_router(reviews.router)
    app.include_router(updates.router)
    app.include_router(alerts.router)
    app.include_router(providers.router)
    app.include_router(health.router)
    app.router.routes.append(mcp.route())
    return app
