"""The vault: encrypt/decrypt round trips, binding to subjects, rotation, shredding, bad keys."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from persondata.audit.models import AuditEntry
from persondata.db.engine import Database
from persondata.db.migrate import upgrade
from persondata.settings import Settings
from persondata.vault import crypto
from persondata.vault.crypto import KeyShredded, MasterKeyError, VaultError
from persondata.vault.models import VaultKey
from persondata.vault.service import Vault, is_token

ALICE = "a" * 64
BOB = "b" * 64
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def test_round_trip_text_and_bytes(state: Database, settings: Settings) -> None:
    with state.transaction() as s:
        v = Vault(s, settings)
        t1 = v.encrypt(ALICE, "Hej Alice, din kode er 1234", now=T0)
        t2 = v.encrypt(ALICE, b"\x00\xffbinary", now=T0)
    assert t1.startswith("pdv1:") and is_token(t1) and not is_token("plain text")
    assert "Alice" not in t1
    assert crypto.key_id_of(t1) == crypto.key_id_of(t2)  # one key per subject
    with state.transaction() as s:  # a fresh Vault (no cache) reads the wrapped key back
        v = Vault(s, settings)
        assert v.decrypt_text(ALICE, t1) == "Hej Alice, din kode er 1234"
        assert v.decrypt(None, t2) == b"\x00\xffbinary"


def test_tokens_are_bound_to_subject_and_detect_tampering(state: Database, settings: Settings) -> None:
    with state.transaction() as s:
        v = Vault(s, settings)
        ta = v.encrypt(ALICE, "alice", now=T0)
        tb = v.encrypt(BOB, "bob", now=T0)
        assert crypto.key_id_of(ta) != crypto.key_id_of(tb)
        with pytest.raises(VaultError, match="another subject"):
            v.decrypt(BOB, ta)
        kid, body = crypto.parse_token(ta)
        flipped = bytes([body[-1] ^ 1])
        forged = f"pdv1:{kid}:{base64.urlsafe_b64encode(body[:-1] + flipped).decode()}"
        with pytest.raises(VaultError, match="does not authenticate"):
            v.decrypt(ALICE, forged)
        # Bob's body under Alice's key id: the AAD binds it to Bob's key, so it cannot open.
        _, bob_body = crypto.parse_token(tb)
        moved = f"pdv1:{kid}:{base64.urlsafe_b64encode(bob_body).decode()}"
        with pytest.raises(VaultError):
            v.decrypt(None, moved)
        with pytest.raises(VaultError, match="not a persondata vault token"):
            v.decrypt(ALICE, "hello")


def test_shred_destroys_only_that_subjects_keys_and_is_audited(state: Database, settings: Settings) -> None:
    with state.transaction() as s:
        v = Vault(s, settings)
        ta = v.encrypt(ALICE, "alice", now=T0)
        tb = v.encrypt(BOB, "bob", now=T0)
    with state.transaction() as s:
        assert Vault(s, settings).shred(ALICE, now=T0 + timedelta(days=1)) == 1
    with state.transaction() as s:
        v = Vault(s, settings)
        with pytest.raises(KeyShredded, match="2025-03-02"):
            v.decrypt(ALICE, ta)
        assert v.decrypt(BOB, tb) == b"bob"
        assert v.shred(ALICE) == 0  # idempotent
        row = s.scalars(select(VaultKey).where(VaultKey.subject == ALICE)).one()
        assert row.wrapped is None and row.shredded_at is not None
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action == "vault.shred")).all()
        assert [e.subject for e in entries] == [ALICE]
        # New data for the same subject gets a new key; the old token stays dead.
        t_new = v.encrypt(ALICE, "new", now=T0 + timedelta(days=2))
        assert crypto.key_id_of(t_new) != crypto.key_id_of(ta)
        assert v.decrypt(ALICE, t_new) == b"new"
        with pytest.raises(KeyShredded):
            v.decrypt(ALICE, ta)


def test_shred_within_same_vault_instance_forgets_cached_key(state: Database, settings: Settings) -> None:
    with state.transaction() as s:
        v = Vault(s, settings)
        ta = v.encrypt(ALICE, "alice", now=T0)
        v.shred(ALICE, now=T0)
        with pytest.raises(KeyShredded):
            v.decrypt(ALICE, ta)


def test_rotation_starts_new_keys_and_shred_keys_destroys_old_ones(state: Database,
                                                                   settings: Settings) -> None:
    with state.transaction() as s:
        v = Vault(s, settings, rotate_after=timedelta(days=1))
        day0 = v.encrypt(ALICE, "day 0", now=T0)
        day0b = v.encrypt(ALICE, "day 0 later", now=T0 + timedelta(hours=11))
        day1 = v.encrypt(ALICE, "day 1", now=T0 + timedelta(days=1))
    assert crypto.key_id_of(day0) == crypto.key_id_of(day0b) != crypto.key_id_of(day1)
    with state.transaction() as s:  # written out of order, a message still gets its own day's key
        v = Vault(s, settings, rotate_after=timedelta(days=1))
        late = v.encrypt(ALICE, "late day 0", now=T0 + timedelta(hours=1))
        assert crypto.key_id_of(late) == crypto.key_id_of(day0)
    with state.transaction() as s:
        v = Vault(s, settings)
        old = crypto.key_id_of(day0)
        assert old is not None
        assert v.shred_keys([old], now=T0 + timedelta(days=3)) == 1
        with pytest.raises(KeyShredded):
            v.decrypt(ALICE, day0b)
        assert v.decrypt(ALICE, day1) == b"day 1"


@pytest.mark.parametrize(("value", "message"), [
    ("", "is not set"),
    ("not base64!!", "not valid base64"),
    (base64.b64encode(b"short").decode(), "decodes to 5"),
])
def test_master_key_errors_are_clear(state: Database, settings: Settings, value: str, message: str) -> None:
    with state.transaction() as s, pytest.raises(MasterKeyError, match=message):
        Vault(s, settings.with_overrides(master_key=value))


def test_wrong_master_key_is_named(state: Database, settings: Settings) -> None:
    with state.transaction() as s:
        token = Vault(s, settings).encrypt(ALICE, "x", now=T0)
    other = base64.b64encode(b"another-master-key-of-32-bytes!!").decode()
    with state.transaction() as s, pytest.raises(VaultError, match="another master key"):
        Vault(s, settings.with_overrides(master_key=other)).decrypt(ALICE, token)


def test_models_match_migration(state_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from persondata.db.base import Base

    db = Database(state_url)
    try:
        upgrade(db)
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        ours = [d for d in diff if "vault_key" in repr(d)]
        assert ours == []
    finally:
        db.dispose()
