"""Crypto-shredding: after the subject's key is destroyed, a backup of the company database is noise."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from persondata.db.engine import Database
from persondata.identity import Hasher, make_identity
from persondata.settings import Settings
from persondata.vault import crypto
from persondata.vault.crypto import KeyShredded, VaultError
from persondata.vault.models import VaultKey
from persondata.vault.service import Vault, compact

T0 = datetime(2025, 5, 1, 9, 0, tzinfo=UTC)


def _company(path: Path) -> sa.Engine:
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE sms_email (id INTEGER PRIMARY KEY, sender TEXT, body TEXT)"))
    return engine


def _everything_persondata_holds(state: Database, settings: Settings) -> list[bytes]:
    """Every data key persondata can still unwrap with its master key."""
    master = crypto.parse_master_key(settings.master_key)
    with state.transaction() as s:
        keys = s.scalars(sa.select(VaultKey).where(VaultKey.wrapped.is_not(None))).all()
        return [crypto.unwrap(master, k.id, k.subject, k.wrapped) for k in keys if k.wrapped]


def test_backup_ciphertext_is_undecryptable_after_shred(tmp_path: Path, settings: Settings) -> None:
    state = Database(f"sqlite:///{tmp_path / 'state.db'}")
    from persondata.db.migrate import upgrade

    upgrade(state)
    hasher = Hasher(settings.hash_key)
    alice = hasher.hash(make_identity("email", "alice@example.dk"))
    bob = hasher.hash(make_identity("email", "bob@example.dk"))
    company = _company(tmp_path / "company.db")
    with state.transaction() as s, company.begin() as conn:
        v = Vault(s, settings)
        rows = [(1, alice, "Alice: the door code is 4711"), (2, bob, "Bob: meeting at 10")]
        for rid, subject, text in rows:
            conn.execute(sa.text("INSERT INTO sms_email VALUES (:i, :s, :b)"),
                         {"i": rid, "s": subject, "b": v.encrypt(subject, text, now=T0)})
    company.dispose()
    backup = tmp_path / "backup-company.db"
    shutil.copyfile(tmp_path / "company.db", backup)
    with state.transaction() as s:
        alice_key = s.scalars(sa.select(VaultKey).where(VaultKey.subject == alice)).one()
        wrapped_before = alice_key.wrapped
    assert wrapped_before is not None
    compact(state.engine)  # time passes: the key reaches the database file itself
    assert wrapped_before in (tmp_path / "state.db").read_bytes()
    alice_data_key = _everything_persondata_holds(state, settings)  # both keys live now
    assert len(alice_data_key) == 2

    with state.transaction() as s:  # the erasure: the subject's key is destroyed
        assert Vault(s, settings).shred(alice, now=T0) == 1
    compact(state.engine)

    old = sa.create_engine(f"sqlite:///{backup}")
    with old.connect() as conn:
        backed_up = dict(conn.execute(sa.text("SELECT sender, body FROM sms_email")).all())
    old.dispose()
    with state.transaction() as s:
        v = Vault(s, settings)
        with pytest.raises(KeyShredded):
            v.decrypt(alice, backed_up[alice])
        assert v.decrypt_text(bob, backed_up[bob]) == "Bob: meeting at 10"
    # Not with any key persondata still holds either:
    kid, body = crypto.parse_token(backed_up[alice])
    live = _everything_persondata_holds(state, settings)
    assert len(live) == 1
    for data_key in live:
        with pytest.raises(VaultError):
            crypto.open_token(data_key, kid, alice, body)
        with pytest.raises(Exception):  # noqa: B017 - any failure: the tag does not verify
            AESGCM(data_key).decrypt(body[:12], body[12:], None)
    # And the wrapped key bytes are gone from the state database's files (file and WAL).
    for f in tmp_path.glob("state.db*"):
        assert wrapped_before not in f.read_bytes(), f"{f.name} still holds the wrapped key"
    state.dispose()


POLICY = """
version: 1
controller: {name: SMS ApS, country: DK, email: privacy@sms.example}
purposes:
  account: {name: Accounts, basis: contract, retention: 3 months after account_terminated}
  sms_by_email: {name: SMS by e-mail, basis: contract, retention: 3 days after received_at}
systems:
  gateway:
    url: "URL"
    tables:
      account:
        primary_key: id
        identities: {email: email}
        purposes: [account]
        anchors: {account_terminated: terminated_at}
        fields: {email: user.contact.email}
      sms_email:
        primary_key: id
        belongs_to: {account_id: account.id}
        purposes: [sms_by_email]
        anchors: {received_at: received_at}
        fields:
          body: {category: user.content.private, encrypted: true, erasure: delete}
"""


def test_erasure_request_shreds_the_subjects_key(tmp_path: Path, settings: Settings) -> None:
    """`dsr erase` destroys the subject's data keys: the backup copy of their messages is noise."""
    import yaml

    from persondata.db.migrate import upgrade
    from persondata.dsr.erase import erase
    from persondata.policy.model import Policy

    url = f"sqlite:///{tmp_path / 'company.db'}"
    policy = Policy.model_validate(yaml.safe_load(POLICY.replace("URL", url)))
    state = Database(f"sqlite:///{tmp_path / 'state.db'}")
    upgrade(state)
    hasher = Hasher(settings.hash_key)
    alice = make_identity("email", "alice@example.dk")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE account (id INTEGER PRIMARY KEY, email TEXT, "
                             "terminated_at DATETIME)"))
        conn.execute(sa.text("CREATE TABLE sms_email (id INTEGER PRIMARY KEY, account_id INTEGER, body TEXT, "
                             "received_at DATETIME)"))
        conn.execute(sa.text("INSERT INTO account VALUES (1, 'alice@example.dk', NULL)"))
    with state.transaction() as s, engine.begin() as conn:
        token = Vault(s, settings).encrypt(hasher.hash(alice), "Alice: the door code is 4711", now=T0)
        conn.execute(sa.text("INSERT INTO sms_email VALUES (1, 1, :b, '2025-05-01 09:00:00')"), {"b": token})
    engine.dispose()
    backup = tmp_path / "backup.db"
    shutil.copyfile(tmp_path / "company.db", backup)
    with state.transaction() as s:
        wrapped = s.scalars(sa.select(VaultKey.wrapped)).one()
        result = erase(s, policy, [alice], hasher=hasher, actor="test", now=T0)
    assert result.keys_shredded == 1 and result.totals["deleted"] == 2
    state.dispose()  # what the CLI does at exit: the last connection folds the WAL away
    old = sa.create_engine(f"sqlite:///{backup}")
    with old.connect() as conn:
        backed_up = conn.execute(sa.text("SELECT body FROM sms_email")).scalar_one()
    old.dispose()
    with state.transaction() as s, pytest.raises(KeyShredded):
        Vault(s, settings).decrypt(None, backed_up)
    assert _everything_persondata_holds(state, settings) == []
    state.dispose()
    for f in tmp_path.glob("state.db*"):
        assert wrapped is not None and wrapped not in f.read_bytes()
