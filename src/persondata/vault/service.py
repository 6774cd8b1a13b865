"""The vault's Python API for applications and for persondata's own erasure and retention.

    vault = Vault(session, settings)
    token = vault.encrypt(subject_hash, "message text")     # 'pdv1:<key id>:...'
    vault.decrypt(subject_hash, token)                      # b'message text'
    vault.shred(subject_hash)                               # the key is gone: tokens are noise

A subject's data key is created on first use. With `rotate_after` each period of that length
(aligned on the Unix epoch, so `timedelta(days=1)` means each UTC day) gets its own key, so
data written in different periods is shredded separately when it expires (e.g. SMS sent by
e-mail kept 3 days: one key per day; the retention run destroys a day's key once its last
message is gone). Nothing here commits: the caller's boundary does.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from persondata.db.base import utcnow
from persondata.settings import Settings
from persondata.vault import crypto, repository
from persondata.vault.crypto import KeyShredded, VaultError
from persondata.vault.models import VaultKey

_TOUCH_EVERY = timedelta(minutes=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Vault:
    """Per-subject AES-256-GCM data keys, wrapped by the master key, in persondata's state."""

    def __init__(self, session: Session, settings: Settings, *, rotate_after: timedelta | None = None,
                 actor: str = "persondata") -> None:
        self.session = session
        self._master = crypto.parse_master_key(settings.master_key)
        self._master_id = crypto.master_id(self._master)
        self.rotate_after = rotate_after
        self.actor = actor
        self._keys: dict[str, tuple[str, bytes]] = {}  # key id -> (subject, data key)

    def _open(self, key: VaultKey) -> bytes:
        cached = self._keys.get(key.id)
        if cached is not None:
            return cached[1]
        if key.wrapped is None or key.shredded_at is not None:
            when = key.shredded_at.date().isoformat() if key.shredded_at else "earlier"
            raise KeyShredded(f"data key {key.id} was destroyed (crypto-shredded) on {when}; "
                              f"its ciphertext cannot be decrypted")
        if key.master_id != self._master_id:
            raise VaultError(f"data key {key.id} was wrapped by another master key "
                             f"({key.master_id}); PERSONDATA_MASTER_KEY is {self._master_id}")
        data_key = crypto.unwrap(self._master, key.id, key.subject, key.wrapped)
        self._keys[key.id] = (key.subject, data_key)
        return data_key

    def _period(self, now: datetime) -> tuple[datetime, datetime] | tuple[None, None]:
        """The rotation period holding now: [start, end), aligned on the Unix epoch (UTC)."""
        if self.rotate_after is None:
            return None, None
        n = (now - _EPOCH) // self.rotate_after
        start = _EPOCH + n * self.rotate_after
        return start, start + self.rotate_after

    def _current(self, subject: str, now: datetime) -> VaultKey:
        start, end = self._period(now)
        key = repository.current_key(self.session, subject, start, end)
        if key is None:
            data_key = os.urandom(32)
            key_id = crypto.new_key_id()
            key = VaultKey(id=key_id, subject=subject, master_id=self._master_id, created_at=now,
                           last_used_at=now, wrapped=crypto.wrap(self._master, key_id, subject, data_key))
            repository.add(self.session, key)
            self._keys[key_id] = (subject, data_key)
        elif now - key.last_used_at >= _TOUCH_EVERY:
            repository.touch(self.session, key.id, now)
            key.last_used_at = now
        return key

    def encrypt(self, subject_hash: str, data: bytes | str, *, now: datetime | None = None) -> str:
        """Encrypt data under the subject's current data key; returns a versioned token."""
        if not subject_hash:
            raise VaultError("a subject (the identity's keyed hash) is needed to encrypt")
        plaintext = data.encode() if isinstance(data, str) else bytes(data)
        key = self._current(subject_hash, now or utcnow())
        return crypto.seal(self._open(key), key.id, subject_hash, plaintext)

    def decrypt(self, subject_hash: str | None, token: str) -> bytes:
        """Decrypt a token; KeyShredded when its key was destroyed (subject None: any subject)."""
        key_id, body = crypto.parse_token(token)
        cached = self._keys.get(key_id)
        if cached is not None:
            subject, data_key = cached
        else:
            key = repository.get(self.session, key_id)
            if key is None:
                raise KeyShredded(f"data key {key_id} is not in the vault; the ciphertext cannot be "
                                  f"decrypted")
            subject, data_key = key.subject, self._open(key)
        if subject_hash is not None and subject_hash != subject:
            raise VaultError(f"data key {key_id} belongs to another subject")
        return crypto.open_token(data_key, key_id, subject, body)

    def decrypt_text(self, subject_hash: str | None, token: str) -> str:
        """Decrypt a token holding UTF-8 text."""
        return self.decrypt(subject_hash, token).decode()

    def shred(self, subject_hash: str, *, now: datetime | None = None, reason: str = "erasure") -> int:
        """Destroy every data key of the subject (audited); returns how many were destroyed."""
        ids = _shred_subject(self.session, self.actor, subject_hash, now or utcnow(), reason)
        self._forget(ids)
        return len(ids)

    def shred_keys(self, key_ids: Iterable[str], *, now: datetime | None = None,
                   reason: str = "expiry") -> int:
        """Destroy the given data keys (audited, one entry); returns how many were destroyed."""
        ids = _shred_ids(self.session, self.actor, key_ids, now or utcnow(), reason)
        self._forget(ids)
        return len(ids)

    def _forget(self, ids: Iterable[str]) -> None:
        for key_id in ids:
            self._keys.pop(key_id, None)


def _audit(session: Session, actor: str, subject: str | None, ids: list[str], reason: str,
           at: datetime) -> None:
    from persondata.audit.service import record

    record(session, actor=actor, action="vault.shred", subject=subject, target="vault_key",
           details={"keys": len(ids), "key_ids": ids[:50], "reason": reason}, at=at)


def _shred_subject(session: Session, actor: str, subject: str, at: datetime, reason: str) -> list[str]:
    ids = repository.shred_subject(session, subject, at)
    if ids:
        _audit(session, actor, subject, ids, reason, at)
    return ids


def _shred_ids(session: Session, actor: str, key_ids: Iterable[str], at: datetime, reason: str) -> list[str]:
    ids = repository.shred_ids(session, key_ids, at)
    if ids:
        _audit(session, actor, None, ids, reason, at)
    return ids


def shred_subjects(session: Session, subject_hashes: Iterable[str], *, actor: str,
                   now: datetime | None = None, reason: str = "erasure") -> int:
    """Destroy every data key of the given subjects (needs no master key); returns how many."""
    at = now or utcnow()
    return sum(len(_shred_subject(session, actor, subject, at, reason))
               for subject in dict.fromkeys(subject_hashes))


def shred_key_ids(session: Session, key_ids: Iterable[str], *, actor: str, now: datetime | None = None,
                  reason: str = "expiry") -> int:
    """Destroy the given data keys (needs no master key; audited, one entry); returns how many."""
    return len(_shred_ids(session, actor, key_ids, now or utcnow(), reason))


def is_token(value: object) -> bool:
    """True when a value looks like a vault token."""
    return crypto.key_id_of(value) is not None


def compact(engine: Engine) -> None:
    """After the shredding transaction committed: drop freed pages that may hold old key bytes."""
    repository.compact(engine)
