"""Alembic run from code: the shipped migrations, on the store's engine, with no alembic.ini."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine

from ..errors import SchemaError
from .engine import describe, translate_errors

MIGRATIONS = Path(__file__).with_name("migrations")
# Alembic's `context` is one module-level proxy per process: two threads migrating at once
# would share it. Across processes the database's own lock orders them (see env.py).
_ALEMBIC = threading.Lock()


class SchemaStatus(StrEnum):
    """Where a database's schema stands against this code's migrations."""

    MISSING = "missing"  # never migrated (no alembic_version row)
    CURRENT = "current"  # at head
    BEHIND = "behind"  # at an older revision: `cap db upgrade`
    UNKNOWN = "unknown"  # at a revision this code does not ship (a newer cap wrote it)


def alembic_config(engine: Engine) -> Config:
    """An Alembic Config for the shipped scripts; env.py takes the engine from its attributes,
    so SQLite gets the same pragmas and locking as the store."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None, "the package ships no migrations"
    return head


def _known_revisions() -> set[str]:
    return {script.revision for script in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None when it was never migrated."""
    with translate_errors(engine), engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def schema_status(engine: Engine) -> SchemaStatus:
    current = current_revision(engine)
    if current is None:
        return SchemaStatus.MISSING
    if current == head_revision():
        return SchemaStatus.CURRENT
    return SchemaStatus.BEHIND if current in _known_revisions() else SchemaStatus.UNKNOWN


def upgrade(engine: Engine, revision: str = "head") -> None:
    with _ALEMBIC, translate_errors(engine), _alembic_errors():
        command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    with _ALEMBIC, translate_errors(engine), _alembic_errors():
        command.downgrade(alembic_config(engine), revision)


@contextmanager
def _alembic_errors() -> Iterator[None]:
    try:
        yield
    except CommandError as exc:  # an unknown revision, a downgrade target above the current
        raise SchemaError(f"migration refused: {exc}") from None


def ensure_schema(engine: Engine) -> None:
    """Create the schema on a database that has none; refuse one at another revision.

    A missing schema is created because there is nothing to lose and nobody else to wait for
    (a fresh data dir, a new database). A schema at another revision is never migrated on the
    side: other processes may be running the old code against it, so that is an explicit
    `cap db upgrade`, done when the operator chooses.
    """
    status = schema_status(engine)
    if status is SchemaStatus.MISSING:
        upgrade(engine)
    elif status is SchemaStatus.BEHIND:
        raise SchemaError(
            f"the metadata database at {describe(engine)} is at revision "
            f"{current_revision(engine)}, this version of cap needs {head_revision()}: "
            "run `cap db upgrade`"
        )
    elif status is SchemaStatus.UNKNOWN:
        raise SchemaError(
            f"the metadata database at {describe(engine)} is at revision "
            f"{current_revision(engine)}, which this version of cap does not know "
            "(was it upgraded by a newer cap?)"
        )
