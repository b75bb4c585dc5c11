"""Engines for the metadata store: SQLite tuned for several local processes, PostgreSQL pooled."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import DBAPIError, OperationalError
from tenacity import retry, retry_if_exception, stop_after_delay, wait_exponential

from ..errors import ConfigError, SchemaError, StorageUnavailable
from ..settings import normalise_database_url

BUSY_TIMEOUT_MS = 15_000  # how long a SQLite writer waits for another process's transaction
# Execution option read by the SQLite "begin" hook. Writers take the write lock when their
# transaction starts (BEGIN IMMEDIATE) and so wait out the busy timeout behind another writer;
# a deferred transaction that reads, then writes, would instead fail at once with "database is
# locked" when another process committed in between.
SQLITE_BEGIN = "cap_sqlite_begin"
UNDEFINED_TABLE = "42P01"  # PostgreSQL's SQLSTATE for a missing relation


def build_engine(url: str) -> Engine:
    """An engine for `url` (sqlite:///path or postgresql[+psycopg]://...); ConfigError if the
    URL is unusable or its driver is not installed."""
    try:
        parsed = make_url(normalise_database_url(url))
    except ValueError as exc:
        raise ConfigError(f"CAP_DATABASE_URL: {exc}") from None
    if parsed.get_backend_name() == "postgresql":
        _require_psycopg()
        # pre-ping: a pooled connection dropped by a server restart or an idle timeout is
        # replaced instead of failing the request that happens to draw it
        return create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=10)
    return _sqlite_engine(parsed)


def writer(engine: Engine) -> Engine:
    """The engine to write through: on SQLite its transactions start with BEGIN IMMEDIATE."""
    if engine.dialect.name != "sqlite":
        return engine
    return engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})


def describe(engine: Engine) -> str:
    """The engine's URL without its password, for messages."""
    return engine.url.render_as_string(hide_password=True)


def _require_psycopg() -> None:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise ConfigError(
            "CAP_DATABASE_URL names PostgreSQL, but its driver is not installed: "
            "pip install 'creative-automation[postgres]'"
        ) from None


def _sqlite_engine(url: URL) -> Engine:
    if url.database in (None, "", ":memory:"):
        # each pooled connection would open its own empty database
        raise ConfigError("CAP_DATABASE_URL: in-memory SQLite is not supported, give a file path")
    Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # The driver's own transaction handling skips BEGIN before SELECT and DDL; take it over
    # (SQLAlchemy's documented recipe) so reads are repeatable and migrations are atomic.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    # WAL: readers never block the writer nor the writer them, across processes. Switching a
    # new database to it takes a lock the busy timeout does not wait for (two processes
    # opening it at once: "database is locked"), so it is retried; once set it persists
    if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
        _to_wal(cursor)
    cursor.execute("PRAGMA synchronous = NORMAL")  # durable at checkpoints; safe with WAL
    cursor.execute("PRAGMA foreign_keys = ON")  # off by default in SQLite, per connection
    cursor.close()


@retry(
    retry=retry_if_exception(
        lambda e: isinstance(e, sqlite3.OperationalError) and "locked" in str(e)
    ),
    wait=wait_exponential(multiplier=0.01, max=0.5),
    stop=stop_after_delay(BUSY_TIMEOUT_MS / 1000),
    reraise=True,
)
def _to_wal(cursor: sqlite3.Cursor) -> None:
    cursor.execute("PRAGMA journal_mode = WAL")


def _sqlite_begin(connection: Connection) -> None:
    mode = connection.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


@contextmanager
def translate_errors(engine: Engine) -> Iterator[None]:
    """Database failures the caller can act on become ours: a missing table is a schema that
    was never migrated; a lost connection or a lock held too long is retryable."""
    try:
        yield
    except DBAPIError as exc:
        if _missing_table(exc):
            raise SchemaError(
                f"the metadata database at {describe(engine)} has no schema: run `cap db upgrade`"
            ) from exc
        if isinstance(exc, OperationalError):
            raise StorageUnavailable(
                f"the metadata database at {describe(engine)} is unavailable: {exc.orig}"
            ) from exc
        raise


def _missing_table(exc: DBAPIError) -> bool:
    if getattr(exc.orig, "sqlstate", None) == UNDEFINED_TABLE:
        return True
    return isinstance(exc.orig, sqlite3.OperationalError) and "no such table" in str(exc.orig)
