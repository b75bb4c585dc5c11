"""Fixtures of the storage tests: every test runs on each backend (SQLite, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from databases import BACKENDS, FakeClock, database

from creative_automation.storage import MetadataStore
from creative_automation.storage.engine import build_engine


@pytest.fixture(autouse=True)
def no_database_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's CAP_DATABASE_URL is never the one a test writes to."""
    monkeypatch.delenv("CAP_DATABASE_URL", raising=False)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on each backend."""
    with database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def blank_store(database_url: str, clock: FakeClock) -> Iterator[MetadataStore]:
    """A store on an empty, never migrated database."""
    store = MetadataStore(build_engine(database_url), clock=clock)
    yield store
    store.close()


@pytest.fixture
def store(blank_store: MetadataStore) -> MetadataStore:
    """A store on a database migrated to head."""
    blank_store.upgrade()
    return blank_store
