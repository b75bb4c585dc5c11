"""Alembic environment: runs the shipped migrations on the engine the metadata store passes in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, text

from creative_automation.errors import SchemaError
from creative_automation.settings import load_settings
from creative_automation.storage.engine import build_engine, writer
from creative_automation.storage.models import Base

# pg_advisory_xact_lock key ("capdb"): two processes upgrading at once (two API replicas
# starting together) run one after the other; the second then finds the schema at head.
MIGRATION_LOCK = 0x6361_7064_62


def _engine() -> Engine:
    engine = context.config.attributes.get("engine")
    if isinstance(engine, Engine):
        return engine
    # the plain `alembic` command line (making a new revision): an ini's URL, else settings
    url = context.config.get_main_option("sqlalchemy.url") or load_settings().metadata_url
    return build_engine(url)


def run_migrations() -> None:
    if context.is_offline_mode():
        raise SchemaError("offline (--sql) migrations are not supported; run them on a database")
    # writer: on SQLite the whole migration holds the write lock from its first statement
    with writer(_engine()).connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            # SQLite cannot ALTER most things: Alembic copies the table instead
            render_as_batch=connection.dialect.name == "sqlite",
            # one transaction per upgrade on both databases (our SQLite begin hook makes DDL
            # transactional there too), so a failed migration leaves the previous schema
            transactional_ddl=True,
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                )
            context.run_migrations()


run_migrations()
