"""Engines and settings of the metadata store: URLs, drivers, SQLite's pragmas, record ids."""

from __future__ import annotations

import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import sqlite as sqlite_dialect

from creative_automation.errors import ConfigError, SchemaError, StorageUnavailable
from creative_automation.settings import load_settings, normalise_database_url
from creative_automation.storage import MetadataStore, build_metadata_store
from creative_automation.storage.engine import build_engine
from creative_automation.storage.ids import new_id, ulid
from creative_automation.storage.models import UTCDateTime

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:p@db:5432/cap", "postgresql+psycopg://u:p@db:5432/cap"),
        ("postgres://u@db/cap", "postgresql+psycopg://u@db/cap"),
        ("postgresql+psycopg://u@db/cap", "postgresql+psycopg://u@db/cap"),
        ("sqlite:////var/lib/cap.db", "sqlite:////var/lib/cap.db"),
        ("sqlite+pysqlite:///rel.db", "sqlite:///rel.db"),
    ],
)
def test_database_urls_are_normalised_to_our_drivers(given: str, expected: str) -> None:
    assert normalise_database_url(given) == expected


def test_settings_default_to_sqlite_in_the_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CAP_DATA_DIR", str(tmp_path / "data"))
    assert load_settings().metadata_url == f"sqlite:///{tmp_path / 'data' / 'cap.db'}"
    monkeypatch.setenv("CAP_DATABASE_URL", "postgresql://cap@db/cap")
    assert load_settings().metadata_url == "postgresql+psycopg://cap@db/cap"


def test_an_unsupported_database_is_a_settings_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAP_DATABASE_URL", "mysql://root:hunter2@db/cap")
    with pytest.raises(
        ConfigError, match=r"CAP_DATABASE_URL.*unsupported database 'mysql'"
    ) as info:
        load_settings()
    assert "hunter2" not in str(info.value)


def test_missing_psycopg_names_the_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # makes `import psycopg` fail
    with pytest.raises(ConfigError, match=r"pip install 'creative-automation\[postgres\]'"):
        build_engine("postgresql://cap@127.0.0.1/cap")


def test_in_memory_sqlite_is_refused() -> None:
    with pytest.raises(ConfigError, match="in-memory"):
        build_engine("sqlite://")


def test_sqlite_runs_in_wal_with_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = build_engine(f"sqlite:///{tmp_path / 'new' / 'dir' / 'cap.db'}")  # folders made
    with engine.connect() as connection:
        pragma = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout")
        }
    assert pragma == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 15000}
    engine.dispose()


def test_foreign_keys_are_enforced_on_sqlite(tmp_path: Path) -> None:
    with MetadataStore(build_engine(f"sqlite:///{tmp_path / 'cap.db'}")) as store:
        store.upgrade()
        with pytest.raises(Exception, match="FOREIGN KEY"), store.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO events (id, campaign_id, kind, detail, created_at) "
                    "VALUES ('evt_1', 'cmp_missing', 'x', '{}', '2026-01-01')"
                )
            )


def test_build_metadata_store_uses_the_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CAP_DATA_DIR", str(tmp_path / "d"))
    with build_metadata_store(load_settings()) as store:
        assert store.url == f"sqlite:///{tmp_path / 'd' / 'cap.db'}"
        assert store.current_revision() is None  # the schema is not touched
        store.upgrade()
    assert (tmp_path / "d" / "cap.db").is_file()


def test_an_unreachable_server_is_storage_unavailable_without_the_password() -> None:
    # port 9 (discard) on loopback: nothing listens, the connection is refused at once
    engine = build_engine("postgresql://cap:hunter2@127.0.0.1:9/cap?connect_timeout=2")
    with MetadataStore(engine) as store:
        with pytest.raises(StorageUnavailable, match="unavailable") as info:
            store.list_keys()
        assert "hunter2" not in str(info.value) and "***" in str(info.value)
        with pytest.raises(StorageUnavailable):
            store.current_revision()


def test_an_unmigrated_database_is_a_schema_error(tmp_path: Path) -> None:
    store = MetadataStore(build_engine(f"sqlite:///{tmp_path / 'cap.db'}"))
    with store, pytest.raises(SchemaError, match="cap db upgrade"):
        store.create_key("x")


def test_ids_are_prefixed_ulids_in_creation_order() -> None:
    before = time.time_ns() // 1_000_000
    ids = [new_id("cmp") for _ in range(2000)]  # many within one millisecond: still ordered
    after = time.time_ns() // 1_000_000
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"cmp_[0-7][0-9A-HJKMNP-TV-Z]{25}", i) for i in ids)
    # the first 10 characters are the creation time in milliseconds, in Crockford base32
    stamp = 0
    for char in ids[0][4:14]:
        stamp = stamp * 32 + CROCKFORD.index(char)
    assert before <= stamp <= after
    assert len(ulid()) == 26


def test_naive_datetimes_are_refused_and_utc_comes_back() -> None:
    column = UTCDateTime()
    sqlite = sqlite_dialect.dialect()
    with pytest.raises(ValueError, match="naive"):
        column.process_bind_param(datetime(2026, 1, 1), sqlite)
    stored = column.process_bind_param(datetime(2026, 1, 1, 13, tzinfo=UTC), sqlite)
    assert stored == datetime(2026, 1, 1, 13) and stored.tzinfo is None
    assert column.process_result_value(stored, sqlite) == datetime(2026, 1, 1, 13, tzinfo=UTC)
