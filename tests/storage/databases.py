"""Databases for the storage tests: a SQLite file, or a PostgreSQL schema of one's own.

PostgreSQL runs only where CAP_TEST_DATABASE_URL names a server (`.ci/run` sets it, so CI never
skips); elsewhere its parameters skip with the reason. Each test gets a fresh schema, since
pytest-xdist workers and other runs share the server, and drops it afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from creative_automation.settings import normalise_database_url

PG_ENV = "CAP_TEST_DATABASE_URL"
BACKENDS = ["sqlite", "postgresql"]


def require_postgres() -> str:
    """The server URL (psycopg driver) to test against; skips without CAP_TEST_DATABASE_URL,
    fails when it is set but the server or the driver is missing."""
    raw = os.environ.get(PG_ENV)
    if not raw:
        pytest.skip(f"{PG_ENV} is not set: no PostgreSQL to test against (.ci/run sets it)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.fail(f"{PG_ENV} is set but psycopg is missing: pip install -e '.[dev]'")
    url = normalise_database_url(raw)
    probe = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with probe.connect():
            pass
    except OperationalError as exc:
        pytest.fail(f"{PG_ENV} is set but no PostgreSQL answers there: {exc.orig}")
    finally:
        probe.dispose()
    return url


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A URL whose connections work in a new, empty schema (search_path), dropped afterwards."""
    server = require_postgres()
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(server).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def database(backend: str, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database of `backend`."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'meta' / 'cap.db'}"
    else:
        with postgres_schema() as url:
            yield url


class FakeClock:
    """A clock the test moves by hand: leases go stale without sleeping."""

    def __init__(self, start: datetime = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)) -> None:
        self.moment = start

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, delta: timedelta) -> None:
        self.moment += delta
