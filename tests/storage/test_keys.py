"""API keys: shown once, stored as a hash, authenticated, scoped and revoked; on both backends."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, fields
from datetime import timedelta

import pytest
from databases import FakeClock
from sqlalchemy import text

from creative_automation.errors import NotFound, StorageError
from creative_automation.storage import ApiKey, MetadataStore, Scope


def test_a_new_key_authenticates(store: MetadataStore, clock: FakeClock) -> None:
    plaintext, key = store.create_key("partner", Scope.WRITE, webhook_url="https://h.example/x")
    assert plaintext.startswith("cap_") and len(plaintext) >= 4 + 43  # 32 random bytes
    assert key.prefix == plaintext[:12] and key.id.startswith("key_")
    assert key.webhook_url == "https://h.example/x" and key.last_used_at is None
    found = store.authenticate(plaintext)
    assert found is not None and found.id == key.id and found.scope is Scope.WRITE
    assert found.last_used_at == clock.moment


def test_wrong_or_empty_keys_do_not_authenticate(store: MetadataStore) -> None:
    plaintext, _ = store.create_key("partner")
    assert store.authenticate(plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")) is None
    assert store.authenticate("") is None
    assert store.authenticate(plaintext.upper()) is None


def test_a_revoked_key_no_longer_authenticates(store: MetadataStore, clock: FakeClock) -> None:
    plaintext, key = store.create_key("partner")
    revoked = store.revoke_key(key.id)
    assert revoked.revoked and revoked.revoked_at == clock.moment
    assert store.authenticate(plaintext) is None
    assert store.revoke_key(key.id) == revoked  # revoking again changes nothing
    assert [e.kind for e in store.audit()] == ["key_revoked", "key_created"]
    assert store.audit()[0].detail["key_id"] == key.id


def test_revoke_by_prefix_or_refuse_an_ambiguous_or_unknown_one(store: MetadataStore) -> None:
    _, key = store.create_key("partner")
    assert store.revoke_key(key.prefix).id == key.id
    with pytest.raises(NotFound, match="nope"):
        store.revoke_key("nope")
    _, a = store.create_key("a")
    _, b = store.create_key("b")
    with store.engine.begin() as connection:  # a prefix collision (1 in 2**48 in real life)
        connection.execute(
            text("UPDATE api_keys SET prefix = 'cap_same' WHERE id = :id"), {"id": b.id}
        )
        connection.execute(
            text("UPDATE api_keys SET prefix = 'cap_same' WHERE id = :id"), {"id": a.id}
        )
    with pytest.raises(StorageError, match="matches 2 keys"):
        store.revoke_key("cap_same")
    assert not store.get_key(a.id).revoked and not store.get_key(b.id).revoked


def test_only_the_hash_is_stored_and_lists_carry_no_secret(store: MetadataStore) -> None:
    plaintext, key = store.create_key("partner")
    with store.engine.connect() as connection:
        stored = connection.execute(text("SELECT * FROM api_keys")).mappings().one()
    assert plaintext not in {str(v) for v in stored.values()}
    assert stored["key_sha256"] == hashlib.sha256(plaintext.encode()).hexdigest()
    listed = store.list_keys()
    assert listed == [key]
    assert {f.name for f in fields(ApiKey)} == {
        "id", "name", "scope", "prefix", "webhook_url", "created_at", "last_used_at", "revoked_at"
    }  # fmt: skip
    assert plaintext not in repr(asdict(listed[0])) and stored["key_sha256"] not in repr(listed)


def test_list_shows_revoked_keys_newest_first(store: MetadataStore) -> None:
    _, old = store.create_key("old")
    store.create_key("new", Scope.ADMIN)
    store.revoke_key(old.id)
    assert [(k.name, k.revoked) for k in store.list_keys()] == [("new", False), ("old", True)]
    with pytest.raises(NotFound):
        store.get_key("key_missing")


def test_last_used_is_written_at_most_once_a_minute(store: MetadataStore, clock: FakeClock) -> None:
    plaintext, key = store.create_key("partner")
    first = clock.moment
    store.authenticate(plaintext)
    clock.advance(timedelta(seconds=30))
    assert store.get_key(key.id).last_used_at == first
    auth = store.authenticate(plaintext)
    assert auth is not None and auth.last_used_at == first  # a read, no write
    clock.advance(timedelta(seconds=31))
    store.authenticate(plaintext)
    assert store.get_key(key.id).last_used_at == clock.moment


@pytest.mark.parametrize(
    ("scope", "allowed"),
    [
        (Scope.READ, {Scope.READ}),
        (Scope.WRITE, {Scope.READ, Scope.WRITE}),
        (Scope.ADMIN, {Scope.READ, Scope.WRITE, Scope.ADMIN}),
    ],
)
def test_each_scope_includes_the_ones_below(
    store: MetadataStore, scope: Scope, allowed: set[Scope]
) -> None:
    plaintext, _ = store.create_key("k", scope)
    key = store.authenticate(plaintext)
    assert key is not None
    assert {s for s in Scope if key.allows(s)} == allowed
    revoked = store.revoke_key(key.id)
    assert not any(revoked.allows(s) for s in Scope)
