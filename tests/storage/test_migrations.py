"""The shipped Alembic migrations: up and down on both databases, and the same schema as the
models (autogenerate's comparison finds nothing to change)."""

from __future__ import annotations

import multiprocessing
import re
import threading
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from creative_automation.errors import SchemaError
from creative_automation.storage import MetadataStore, SchemaStatus
from creative_automation.storage.campaigns import brief_sha256
from creative_automation.storage.engine import build_engine
from creative_automation.storage.models import Base
from creative_automation.storage.states import (
    CallOutcome,
    CampaignState,
    CreativeStatus,
    DeliveryStatus,
    ReviewDecision,
    Scope,
)

TABLES = {
    "api_keys",
    "campaigns",
    "creatives",
    "provider_calls",
    "webhook_deliveries",
    "events",
    "alerts",
    "reviews",
}


def tables(store: MetadataStore) -> set[str]:
    return set(inspect(store.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_creates_every_table_and_downgrade_removes_them(blank_store: MetadataStore) -> None:
    assert blank_store.schema_status() is SchemaStatus.MISSING
    blank_store.upgrade()
    assert tables(blank_store) == TABLES
    assert blank_store.current_revision() == blank_store.head_revision()
    assert blank_store.schema_status() is SchemaStatus.CURRENT
    blank_store.downgrade()
    assert tables(blank_store) == set()
    assert blank_store.current_revision() is None
    blank_store.upgrade()  # and back again: the downgrade left nothing in the way
    assert tables(blank_store) == TABLES


def test_migrated_schema_matches_the_models(store: MetadataStore) -> None:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


@pytest.mark.parametrize(
    ("table", "column", "vocabulary"),
    [
        ("campaigns", "state", CampaignState),
        ("creatives", "status", CreativeStatus),
        ("provider_calls", "outcome", CallOutcome),
        ("webhook_deliveries", "status", DeliveryStatus),
        ("api_keys", "scope", Scope),
        ("reviews", "decision", ReviewDecision),
    ],
)
def test_check_constraints_allow_exactly_the_python_vocabulary(
    store: MetadataStore, table: str, column: str, vocabulary: type[object]
) -> None:
    # autogenerate does not compare CHECK constraints, so the migration's literal lists are
    # held to the enums here
    (check,) = [
        c for c in inspect(store.engine).get_check_constraints(table) if column in c["sqltext"]
    ]
    assert set(re.findall(r"'([a-z_]+)'", check["sqltext"])) == {str(v) for v in vocabulary}


def test_the_database_refuses_a_state_outside_the_vocabulary(store: MetadataStore) -> None:
    campaign, _ = store.create_campaign({"campaign_id": "c"})
    with pytest.raises(IntegrityError, match=r"(?i)check"), store.engine.begin() as connection:
        connection.execute(
            text("UPDATE campaigns SET state = 'paused' WHERE id = :id"), {"id": campaign.id}
        )


def _upgrade(url: str, barrier: Any) -> None:
    with MetadataStore(build_engine(url)) as store:
        barrier.wait()  # start together so the migrations contend
        store.upgrade()


def test_two_processes_upgrading_at_once_both_succeed(blank_store: MetadataStore) -> None:
    # two API replicas starting together: SQLite's write lock or PostgreSQL's advisory lock
    # puts one migration after the other, and the second finds the schema at head
    url = blank_store.engine.url.render_as_string(hide_password=False)
    ctx = multiprocessing.get_context("spawn")  # fork in a threaded test process may deadlock
    barrier = ctx.Barrier(2)
    procs = [ctx.Process(target=_upgrade, args=(url, barrier)) for _ in range(2)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
    assert [proc.exitcode for proc in procs] == [0, 0]
    assert tables(blank_store) == TABLES
    assert blank_store.schema_status() is SchemaStatus.CURRENT


def test_two_threads_upgrading_at_once_both_succeed(blank_store: MetadataStore) -> None:
    barrier = threading.Barrier(2)
    failures: list[BaseException] = []

    def upgrade() -> None:
        barrier.wait()
        try:
            blank_store.upgrade()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=upgrade) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert blank_store.schema_status() is SchemaStatus.CURRENT


def test_ensure_schema_creates_a_missing_schema(blank_store: MetadataStore) -> None:
    blank_store.ensure_schema()
    assert blank_store.schema_status() is SchemaStatus.CURRENT
    blank_store.ensure_schema()  # and leaves a current one alone


def test_ensure_schema_refuses_a_revision_it_does_not_know(store: MetadataStore) -> None:
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    assert store.schema_status() is SchemaStatus.UNKNOWN
    with pytest.raises(SchemaError, match="does not know"):
        store.ensure_schema()


def test_ensure_schema_sends_an_old_schema_to_cap_db_upgrade(blank_store: MetadataStore) -> None:
    blank_store.upgrade("0001")
    assert blank_store.schema_status() is SchemaStatus.BEHIND
    with pytest.raises(SchemaError, match="run `cap db upgrade`"):
        blank_store.ensure_schema()
    blank_store.upgrade()
    assert blank_store.schema_status() is SchemaStatus.CURRENT


def test_campaigns_made_before_0002_keep_their_idempotency(blank_store: MetadataStore) -> None:
    """0002 adds the request digest; an older campaign's is its brief's, so a replay of its
    Idempotency-Key after the upgrade still finds it."""
    blank_store.upgrade("0001")
    with blank_store.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO campaigns (id, brief_campaign_id, state, brief, brief_sha256, "
                "idempotency_key, attempts, creatives_expected, creatives_done, cost_usd, "
                "cancel_requested, created_at, updated_at) VALUES ('cmp_old', 'c', 'queued', "
                "'{\"campaign_id\": \"c\"}', :digest, 'k-old', 0, 0, 0, 0, false, "
                ":now, :now)"
            ),
            {"digest": brief_sha256({"campaign_id": "c"}), "now": blank_store.now()},
        )
    blank_store.upgrade()
    again, created = blank_store.create_campaign({"campaign_id": "c"}, idempotency_key="k-old")
    assert (again.id, created) == ("cmp_old", False)
    assert again.request_sha256 == again.brief_sha256


def test_an_unknown_target_revision_is_a_readable_error(store: MetadataStore) -> None:
    with pytest.raises(SchemaError, match=r"migration refused.*nonsense"):
        store.upgrade("nonsense")


def test_using_an_unmigrated_database_says_to_run_the_upgrade(blank_store: MetadataStore) -> None:
    with pytest.raises(SchemaError, match="run `cap db upgrade`"):
        blank_store.list_campaigns()
