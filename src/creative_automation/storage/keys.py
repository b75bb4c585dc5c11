"""API keys: made from `secrets`, stored as SHA-256 only, scoped, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import or_, select, update

from ..errors import NotFound, StorageError
from .base import StoreBase
from .ids import new_id
from .models import ApiKeyRow
from .records import ApiKey, from_row
from .states import Scope

KEY_PREFIX = "cap_"
PREFIX_LENGTH = len(KEY_PREFIX) + 8  # shown in lists and accepted by revoke: "cap_Ab3dE6gH"
# last_used_at is written at most this often per key, so authenticating is a read, not a
# write (on SQLite, a write lock) per request
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_key(plaintext: str) -> str:
    """SHA-256 of the key. The keys are 256 random bits, so a fast hash is the right one:
    there is no dictionary to slow down, unlike passwords (bcrypt would only cost latency)."""
    return hashlib.sha256(plaintext.encode()).hexdigest()


def api_key(row: ApiKeyRow) -> ApiKey:
    return from_row(ApiKey, row, scope=Scope(row.scope))


class KeysMixin(StoreBase):
    def create_key(
        self, name: str, scope: Scope = Scope.WRITE, webhook_url: str | None = None
    ) -> tuple[str, ApiKey]:
        """A new key: the plaintext (returned this once, never stored) and its record."""
        plaintext = KEY_PREFIX + secrets.token_urlsafe(32)
        row = ApiKeyRow(
            id=new_id("key"),
            name=name,
            scope=Scope(scope).value,
            prefix=plaintext[:PREFIX_LENGTH],
            key_sha256=hash_key(plaintext),
            webhook_url=webhook_url,
            created_at=self.now(),
        )
        with self._write() as session:
            session.add(row)
            session.flush()
            self._event(session, "key_created", detail=_about(row))
            return plaintext, api_key(row)

    def authenticate(self, plaintext: str) -> ApiKey | None:
        """The key's record if `plaintext` is a live key; None if unknown or revoked.

        Looked up by hash through a unique index: the comparison is of digests of a secret the
        caller must already hold, so its timing tells an attacker nothing about a key.
        """
        digest = hash_key(plaintext)
        with self._read() as session:
            row = session.scalars(
                select(ApiKeyRow).where(ApiKeyRow.key_sha256 == digest)
            ).one_or_none()
            if row is None or row.revoked_at is not None:
                return None
            key = api_key(row)
        now = self.now()
        if key.last_used_at is not None and now - key.last_used_at < LAST_USED_RESOLUTION:
            return key
        with self._write() as session:
            session.execute(
                update(ApiKeyRow)
                .where(ApiKeyRow.id == key.id, ApiKeyRow.revoked_at.is_(None))
                .where(
                    or_(
                        ApiKeyRow.last_used_at.is_(None),
                        ApiKeyRow.last_used_at < now - LAST_USED_RESOLUTION,
                    )
                )
                .values(last_used_at=now)
            )
        return from_row(ApiKey, row, scope=key.scope, last_used_at=now)

    def get_key(self, key_id: str) -> ApiKey:
        with self._read() as session:
            row = session.get(ApiKeyRow, key_id)
            if row is None:
                raise NotFound(f"no API key {key_id}")
            return api_key(row)

    def list_keys(self) -> list[ApiKey]:
        """Every key, revoked ones included, newest first; records carry no secret."""
        with self._read() as session:
            return [
                api_key(r) for r in session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.id.desc()))
            ]

    def revoke_key(self, id_or_prefix: str) -> ApiKey:
        """Revoke the key with this id or prefix (as `cap keys list` shows them); revoking a
        revoked key changes nothing. A prefix shared by two keys is refused: give the id."""
        with self._write() as session:
            rows = list(
                session.scalars(
                    select(ApiKeyRow)
                    .where(or_(ApiKeyRow.id == id_or_prefix, ApiKeyRow.prefix == id_or_prefix))
                    .with_for_update()
                )
            )
            if not rows:
                raise NotFound(f"no API key has the id or prefix {id_or_prefix!r}")
            if len(rows) > 1:
                ids = ", ".join(sorted(r.id for r in rows))
                raise StorageError(
                    f"the prefix {id_or_prefix!r} matches {len(rows)} keys ({ids}): give the id"
                )
            (row,) = rows
            if row.revoked_at is None:
                row.revoked_at = self.now()
                session.flush()
                self._event(session, "key_revoked", detail=_about(row))
            return api_key(row)


def _about(row: ApiKeyRow) -> dict[str, str]:
    return {"key_id": row.id, "name": row.name, "scope": row.scope, "prefix": row.prefix}
