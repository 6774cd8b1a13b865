"""One-click unsubscribe tokens: bound to identity and purpose, signed, expiring."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from persondata.audit import service as audit
from persondata.consent import service
from persondata.consent.schemas import Source
from persondata.consent.suppression import is_suppressed
from persondata.consent.tokens import make_token, read_token, unsubscribe
from persondata.db.engine import Database
from persondata.errors import DeniedError, InputError
from persondata.identity import Hasher
from persondata.policy.model import Policy

SECRET = "test-secret-key-not-for-production"
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def test_token_roundtrip_and_binding(policy: Policy, hasher: Hasher) -> None:
    jane = service.parse(policy, "email=jane@example.dk")
    token = make_token(SECRET, hasher, jane, "newsletter", now=T0)
    assert "jane" not in token
    assert read_token(SECRET, token, now=T0 + timedelta(days=364)) == (hasher.hash(jane), "newsletter")
    with pytest.raises(DeniedError, match="expired"):
        read_token(SECRET, token, now=T0 + timedelta(days=366))
    with pytest.raises(DeniedError, match="not valid"):
        read_token("another-secret", token, now=T0)
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    with pytest.raises(DeniedError, match="not valid"):
        read_token(SECRET, tampered, now=T0)
    with pytest.raises(InputError, match="PERSONDATA_SECRET_KEY"):
        make_token("", hasher, jane, "newsletter")


def test_unsubscribe_withdraws_once(db: Database, policy: Policy, hasher: Hasher) -> None:
    jane = service.parse(policy, "email=jane@example.dk")
    with db.transaction() as s:
        service.give(s, policy, hasher, jane, "newsletter", source=Source.web_form, actor="w", at=T0)
    token = make_token(SECRET, hasher, jane, "newsletter", now=T0)
    with db.transaction() as s:
        done = unsubscribe(s, policy, hasher, SECRET, token, now=T0 + timedelta(days=10))
    assert done.outcome == "withdrawn" and done.event_id is not None
    with db.transaction() as s:
        again = unsubscribe(s, policy, hasher, SECRET, token, now=T0 + timedelta(days=11))
        assert again.outcome == "already_withdrawn"
        st = service.status(s, policy, hasher, jane, "newsletter")
        assert not st.allowed and st.event_id == done.event_id
        events = service.history(s, hasher, jane, actor="t")
        assert events[-1].source == "unsubscribe_link" and events[-1].identity == str(jane)
        assert audit.verify(s).ok


def test_unsubscribe_from_other_basis_marketing_suppresses(db: Database, policy: Policy,
                                                           hasher: Hasher) -> None:
    bo = service.parse(policy, "email=bo@example.dk")
    token = make_token(SECRET, hasher, bo, "customer_offers", now=T0)
    with db.transaction() as s:
        assert unsubscribe(s, policy, hasher, SECRET, token, now=T0).outcome == "objection_recorded"
    with db.transaction() as s:
        assert is_suppressed(s, hasher, bo)
        assert not service.status(s, policy, hasher, bo, "customer_offers").allowed


def test_unsubscribe_without_record(db: Database, policy: Policy, hasher: Hasher) -> None:
    nobody = service.parse(policy, "email=nobody@example.dk")
    token = make_token(SECRET, hasher, nobody, "newsletter", now=T0)
    with db.transaction() as s:
        assert unsubscribe(s, policy, hasher, SECRET, token, now=T0).outcome == "nothing_on_record"
