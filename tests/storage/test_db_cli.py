"""`cap db` and `cap keys` as a user runs them, read back from the real database (both backends)."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from creative_automation.cli import app
from creative_automation.storage import MetadataStore, Scope
from creative_automation.storage.engine import build_engine

runner = CliRunner()


@pytest.fixture
def db(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """CAP_DATABASE_URL names an empty database on each backend."""
    monkeypatch.setenv("CAP_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")  # Rich tables at full width
    return database_url


def opened(url: str) -> MetadataStore:
    return MetadataStore(build_engine(url))


def cap(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.output


def test_db_upgrade_current_and_downgrade(db: str) -> None:
    assert "revision none, head 0005: missing (run `cap db upgrade`)" in cap("db", "current")
    assert "empty → 0005" in cap("db", "upgrade")
    assert "already at 0005" in cap("db", "upgrade")
    assert "revision 0005, head 0005: current" in cap("db", "current")
    with opened(db) as store:
        assert store.current_revision() == store.head_revision() == "0005"
    assert "0005 → base" in cap("db", "downgrade")  # to base by default, no questions asked
    with opened(db) as store:
        assert store.current_revision() is None
        assert "campaigns" not in inspect(store.engine).get_table_names()


def test_db_downgrade_to_an_unknown_revision_is_one_readable_error(db: str) -> None:
    cap("db", "upgrade")
    output = cap("db", "downgrade", "--to", "nonsense", code=1)
    assert output.startswith("error: migration refused") and "nonsense" in output


def test_keys_create_prints_a_key_that_authenticates(db: str) -> None:
    result = runner.invoke(app, ["keys", "create", "--name", "partner", "--scope", "admin"])
    assert result.exit_code == 0, result.output
    plaintext = result.stdout.strip()  # the key alone on stdout, the warning on stderr
    assert plaintext.startswith("cap_") and "\n" not in plaintext
    assert "not shown again" in result.stderr
    with opened(db) as store:  # the schema was created on first use
        key = store.authenticate(plaintext)
        assert key is not None and key.name == "partner" and key.scope is Scope.ADMIN
        assert key.id in result.stderr


def test_keys_create_refuses_an_unknown_scope(db: str) -> None:
    result = runner.invoke(app, ["keys", "create", "--name", "x", "--scope", "root"])
    assert result.exit_code == 2 and "root" in result.output


@pytest.mark.parametrize("url", ["ftp://h/x", "http://127.0.0.1:9000/hook"])
def test_keys_create_refuses_a_webhook_it_would_never_send_to(db: str, url: str) -> None:
    result = runner.invoke(app, ["keys", "create", "--name", "x", "--webhook", url])
    assert result.exit_code == 2 and "--webhook" in result.output
    assert "Traceback" not in result.output
    assert "no API keys yet" in cap("keys", "list")  # no key was made


def test_keys_list_shows_every_key_but_no_secret(db: str) -> None:
    assert "no API keys yet" in cap("keys", "list")
    first = runner.invoke(app, ["keys", "create", "--name", "ci", "--webhook", "https://h.x/y"])
    second = runner.invoke(app, ["keys", "create", "--name", "ops", "--scope", "read"])
    keys = [first.stdout.strip(), second.stdout.strip()]
    listing = cap("keys", "list")
    with opened(db) as store:
        records = store.list_keys()
        with store.engine.connect() as connection:
            hashes = connection.execute(text("SELECT key_sha256 FROM api_keys")).scalars().all()
    for record in records:
        assert record.id in listing and record.prefix in listing and record.name in listing
    assert "read" in listing and "write" in listing
    for secret in [*keys, *hashes]:
        assert secret not in listing


def test_keys_revoke_by_prefix_makes_the_key_fail(db: str) -> None:
    plaintext = runner.invoke(app, ["keys", "create", "--name", "ci"]).stdout.strip()
    with opened(db) as store:
        (key,) = store.list_keys()
    assert f"revoked {key.id}" in cap("keys", "revoke", key.prefix)
    with opened(db) as store:
        assert store.authenticate(plaintext) is None
        assert store.get_key(key.id).revoked
    listing = cap("keys", "list")
    assert key.id in listing and listing.count("-") >= 1


def test_keys_revoke_of_an_unknown_key_is_one_readable_error(db: str) -> None:
    output = cap("keys", "revoke", "cap_nothing", code=1)
    assert output == "error: no API key has the id or prefix 'cap_nothing'\n"


def test_keys_on_a_schema_of_another_revision_say_what_to_do(db: str) -> None:
    cap("db", "upgrade")
    with opened(db) as store, store.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    output = cap("keys", "list", code=1)
    assert output.startswith("error: the metadata database at ") and "does not know" in output


def test_an_unreachable_database_is_one_readable_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAP_DATABASE_URL", "postgresql://cap:hunter2@127.0.0.1:9/cap")
    output = cap("keys", "list", code=1)
    assert output.startswith("error: the metadata database at ") and "hunter2" not in output
