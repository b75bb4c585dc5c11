"""The HTTP API (FastAPI, versioned under /v1): a thin adapter over the service."""

from .app import create_app

__all__ = ["create_app"]
