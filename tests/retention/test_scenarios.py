"""Consent withdrawn, opt-out of logging, holds, deferred erasures and crypto-shredding on expiry,
on SQLite, PostgreSQL and MariaDB (state on SQLite)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from persondata.audit.models import AuditEntry
from persondata.consent import service as consent
from persondata.consent.schemas import Source
from persondata.dsr.models import DeferredErasure, Restriction
from persondata.identity import Hasher, make_identity
from persondata.retention import holds
from persondata.retention.planner import Engine, plan
from persondata.retention.runner import Runner
from persondata.vault.crypto import KeyShredded
from persondata.vault.service import Vault

from . import company
from .company import AS_OF
from .conftest import World

BEFORE = AS_OF - timedelta(days=10)


def _engine(w: World, as_of: datetime = AS_OF) -> Engine:
    return Engine(w.policy, w.settings, w.state, w.systems, as_of)


def _hash(w: World, email: str) -> str:
    return Hasher(w.settings.hash_key).hash(make_identity("email", email))


def _reasons(w: World, as_of: datetime = AS_OF) -> dict[tuple[str, str, str], int]:
    return {(ln.table, ln.reason, ln.action): ln.rows for ln in plan(_engine(w, as_of)).lines if ln.rows}


def test_consent_withdrawn_ends_a_consent_purpose(world: World) -> None:
    h = Hasher(world.settings.hash_key)
    with world.state.transaction() as s:
        consent.give(s, world.policy, h, make_identity("email", "withdrawn@x.dk"), "newsletter",
                     source=Source.web_form, actor="test", at=BEFORE - timedelta(days=100))
        consent.withdraw(s, world.policy, h, make_identity("email", "WITHDRAWN@x.dk"), "newsletter",
                         source=Source.unsubscribe_link, actor="test", at=BEFORE)
        consent.give(s, world.policy, h, make_identity("email", "given@x.dk"), "newsletter",
                     source=Source.web_form, actor="test", at=BEFORE)
    assert _reasons(world)[("subscriber", "consent withdrawn: newsletter", "delete")] == 1
    # Before the withdrawal, nothing of the subscribers had expired.
    assert not any(k[0] == "subscriber" for k in _reasons(world, BEFORE - timedelta(days=1)))
    Runner(_engine(world)).run()
    assert company.ids(world.engine, "subscriber") == [2, 3]


def test_opt_out_of_logging_expires_rows_at_once(world: World) -> None:
    with world.state.transaction() as s:
        holds.set_opt_out(s, Hasher(world.settings.hash_key), make_identity("email", "optout@x.dk"),
                          active=True, actor="test", now=BEFORE)
    got = _reasons(world)
    assert got[("sms_log", "opted out of logging", "delete")] == 2  # the flagged row and optout@x.dk's
    Runner(_engine(world)).run()
    assert company.ids(world.engine, "sms_log") == [2]
    assert company.ids(world.engine, "account") == [2, 3]  # the account itself stays


def test_hold_on_a_subject_keeps_its_rows_until_released(world: World) -> None:
    with world.state.transaction() as s:
        hold = holds.place_hold(s, world.policy, Hasher(world.settings.hash_key), reason="litigation 17",
                                actor="dpo", now=BEFORE, identity=make_identity("email", "old@x.dk"))
    got = _reasons(world)
    assert got[("contact", "contact_form: 2 years after last_contact", "held")] == 1
    assert got[("contact", "contact_form: 2 years after last_contact", "delete")] == 1
    report = Runner(_engine(world)).run()
    assert company.ids(world.engine, "contact") == [1, 2, 4]
    assert report.totals["held"] == 1
    with world.state.transaction() as s:
        holds.release_hold(s, hold.id, actor="dpo", now=AS_OF)
    Runner(_engine(world)).run()
    assert company.ids(world.engine, "contact") == [2, 4]


def test_hold_that_has_ended_no_longer_applies(world: World) -> None:
    with world.state.transaction() as s:
        holds.place_hold(s, world.policy, Hasher(world.settings.hash_key), reason="authority order",
                         actor="dpo", now=BEFORE - timedelta(days=30), system="main",
                         ends_at=BEFORE + timedelta(days=1))
    during = _reasons(world, BEFORE)
    assert during and all(k[2] == "held" for k in during)  # the whole system is held
    Runner(_engine(world, BEFORE)).run()
    assert company.ids(world.engine, "contact") == [1, 2, 3, 4]
    assert not any(k[2] == "held" for k in _reasons(world, AS_OF))  # the hold has ended
    Runner(_engine(world, AS_OF)).run()
    assert company.ids(world.engine, "contact") == [2, 4]


def test_deferred_erasure_comes_due(world: World) -> None:
    subject = _hash(world, "active@x.dk")
    group = str(uuid.uuid4())
    with world.state.transaction() as s:
        for key, due in (("1", date(2025, 1, 1)), ("2", date(2030, 1, 1))):
            s.add(DeferredErasure(group_id=group, subject_hash=subject, system="main", table_name="payment",
                                  row_key=key, purpose="bookkeeping", law="Bogføringsloven", due_on=due,
                                  created_at=BEFORE - timedelta(days=400)))
        s.add(Restriction(group_id=group, identity_hash=subject, kind="email", scope="held_rows",
                          actor="test", created_at=BEFORE - timedelta(days=400)))
    got = _reasons(world)
    assert got[("payment", "deferred erasure due", "delete")] == 1
    assert not any(k[0] == "payment" and k[1] != "deferred erasure due" for k in got)  # still a customer
    report = Runner(_engine(world)).run()
    assert company.ids(world.engine, "payment") == [2]
    assert {(i["rule"], i["action"], i["rows"]) for i in report.items} >= {
        ("deferred erasure due", "delete", 1)}
    with world.state.transaction() as s:
        done = dict(s.execute(sa.select(DeferredErasure.row_key, DeferredErasure.done_at)).all())
        assert done["1"] is not None and done["2"] is None
        assert s.scalars(sa.select(Restriction.lifted_at)).one() is None  # payment 2 still held
        entry = s.scalars(sa.select(AuditEntry).where(AuditEntry.action == "dsr.erase.deferred")).one()
        assert entry.subject == subject
    Runner(_engine(world, datetime(2030, 1, 2, tzinfo=UTC))).run()
    assert company.ids(world.engine, "payment") == []
    with world.state.transaction() as s:
        assert s.scalars(sa.select(Restriction.lifted_at)).one() is not None


def test_a_hold_keeps_a_deferred_erasure_waiting(world: World) -> None:
    subject = _hash(world, "active@x.dk")
    with world.state.transaction() as s:
        s.add(DeferredErasure(group_id="g1", subject_hash=subject, system="main", table_name="payment",
                              row_key="1", purpose="bookkeeping", due_on=date(2025, 1, 1),
                              created_at=BEFORE - timedelta(days=400)))
        hold = holds.place_hold(s, world.policy, Hasher(world.settings.hash_key), reason="court order",
                                actor="dpo", now=BEFORE, identity=make_identity("email", "active@x.dk"))
    assert _reasons(world)[("payment", "deferred erasure due", "held")] == 1
    Runner(_engine(world)).run()
    assert company.ids(world.engine, "payment") == [1, 2]
    with world.state.transaction() as s:
        holds.release_hold(s, hold.id, actor="dpo", now=AS_OF)
    Runner(_engine(world)).run()
    assert company.ids(world.engine, "payment") == [2]


def test_expiry_destroys_vault_keys_of_erased_ciphertexts(world: World) -> None:
    subject = _hash(world, "open@x.dk")
    with world.state.transaction() as s:
        v = Vault(s, world.settings, rotate_after=timedelta(hours=12))
        t1 = v.encrypt(subject, "SMS 1 sent by e-mail", now=datetime(2025, 2, 26, 12, tzinfo=UTC))
        t2 = v.encrypt(subject, "SMS 2 sent by e-mail", now=datetime(2025, 2, 27, 9, tzinfo=UTC))
    with world.engine.begin() as conn:
        for key, token in ((1, t1), (2, t2)):
            conn.execute(sa.text("UPDATE sms_email SET body = :b WHERE id = :k"), {"b": token, "k": key})
    no_master = world.settings.with_overrides(master_key="")  # destroying a key needs no master key
    report = Runner(Engine(world.policy, no_master, world.state, world.systems, AS_OF)).run()
    assert company.ids(world.engine, "sms_email") == [2]
    assert report.shredded_keys == 1
    with world.state.transaction() as s:
        v = Vault(s, world.settings)
        with pytest.raises(KeyShredded):
            v.decrypt(subject, t1)  # the copy of row 1 in any backup is noise now
        assert v.decrypt_text(subject, t2) == "SMS 2 sent by e-mail"


def test_erasure_requests_respect_a_hold_and_retention_finishes_them(world: World) -> None:
    from persondata.dsr.erase import erase

    hasher = Hasher(world.settings.hash_key)
    new = make_identity("email", "new@x.dk")
    with world.state.transaction() as s:
        hold = holds.place_hold(s, world.policy, hasher, reason="litigation 17", actor="dpo", now=BEFORE,
                                identity=new)
        result = erase(s, world.policy, [new], hasher=hasher, actor="dpo", now=AS_OF, systems=world.systems)
    assert [(h.table, h.purpose) for h in result.held] == [("contact", f"hold #{hold.id}")]
    assert company.ids(world.engine, "contact") == [1, 2, 3, 4]  # held: untouched
    Runner(_engine(world)).run()
    assert 2 in company.ids(world.engine, "contact")  # still held
    with world.state.transaction() as s:
        holds.release_hold(s, hold.id, actor="dpo", now=AS_OF)
    Runner(_engine(world)).run()  # the deferred erasure is carried out now
    assert company.ids(world.engine, "contact") == [4]


def test_a_hold_with_an_end_date_holds_erased_rows_until_then(world: World) -> None:
    from persondata.dsr.erase import erase

    hasher = Hasher(world.settings.hash_key)
    new = make_identity("email", "new@x.dk")
    ends = AS_OF + timedelta(days=400)
    with world.state.transaction() as s:
        hold = holds.place_hold(s, world.policy, hasher, reason="litigation 18", actor="dpo", now=BEFORE,
                                identity=new, ends_at=ends)
        result = erase(s, world.policy, [new], hasher=hasher, actor="dpo", now=AS_OF, systems=world.systems)
    held = [(h.table, h.purpose, h.until) for h in result.held]
    assert held == [("contact", f"hold #{hold.id}", ends.date())]
    assert company.ids(world.engine, "contact") == [1, 2, 3, 4]
