"""The consent ledger: events, derived state, audit entries, suppression, bad input."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select

from persondata.audit import service as audit
from persondata.audit.models import AuditEntry
from persondata.consent import service
from persondata.consent.models import ConsentEvent, ConsentState
from persondata.consent.schemas import Action, Change, Evidence, Source, truncate_ip
from persondata.consent.suppression import is_suppressed, suppress
from persondata.db.base import Base
from persondata.db.engine import Database
from persondata.errors import IdentityError, InputError
from persondata.identity import Hasher
from persondata.policy.model import Policy

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def counts(db: Database) -> tuple[int, int, int]:
    with db.transaction() as s:
        return (s.scalar(select(func.count()).select_from(ConsentEvent)) or 0,
                s.scalar(select(func.count()).select_from(ConsentState)) or 0,
                s.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def test_migration_matches_models(db: Database) -> None:
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diff if "consent_" in repr(d)] == []


def test_give_withdraw_check_history(db: Database, policy: Policy, hasher: Hasher) -> None:
    jane = service.parse(policy, "email= Jane@Example.DK ")
    assert str(jane) == "email=jane@example.dk"
    with db.transaction() as s:
        service.give(s, policy, hasher, jane, "newsletter", source=Source.web_form, actor="api:shop",
                     at=T0, evidence=Evidence("Mozilla/5.0", "192.0.2.77"), notice_hash="ab" * 32)
    with db.transaction() as s:
        st = service.status(s, policy, hasher, jane, "newsletter")
        assert st.allowed and st.since == T0 and st.reason == "consent given"
        assert not service.status(s, policy, hasher, jane, "profiling").allowed
        assert service.is_allowed(s, hasher.hash(jane), "newsletter")
    with db.transaction() as s:
        service.withdraw(s, policy, hasher, jane, "newsletter", source=Source.unsubscribe_link,
                         actor="web", at=T0 + timedelta(days=3))
    with db.transaction() as s:
        st = service.status(s, policy, hasher, jane, "newsletter")
        assert not st.allowed and st.reason == "consent withdrawn"
        events = service.history(s, hasher, jane, actor="cli:dpo")
    assert [(e.action, e.source) for e in events] == [("given", "web_form"),
                                                        ("withdrawn", "unsubscribe_link")]
    first = events[0]
    assert first.identity == "email=jane@example.dk"
    assert first.ip_prefix == "192.0.2.0/24" and first.user_agent == "Mozilla/5.0"
    assert first.policy_version == "2.0" and first.notice_hash == "ab" * 32
    assert events[1].notice_hash == service.purpose_text_hash(policy, "newsletter")
    with db.transaction() as s:
        entries = audit.tail(s, 10)
        assert audit.verify(s).ok
    assert [e.action for e in entries] == ["consent.given", "consent.withdrawn", "consent.history_read"]
    assert all(e.subject == hasher.hash(jane) for e in entries)


def test_older_event_does_not_override_newer(db: Database, policy: Policy, hasher: Hasher) -> None:
    ole = service.parse(policy, "phone=20 30 40 50")
    with db.transaction() as s:
        service.withdraw(s, policy, hasher, ole, "sms_offers", source=Source.admin, actor="a",
                         at=T0)
        service.give(s, policy, hasher, ole, "sms_offers", source=Source.import_, actor="a",
                     at=T0 - timedelta(days=2000), provenance="CRM export")
    with db.transaction() as s:
        assert not service.status(s, policy, hasher, ole, "sms_offers").allowed
        assert service.state_mismatches(s) == []


@pytest.mark.parametrize(
    ("purpose", "identity", "error", "words"),
    [
        ("marketing_calls", "email=a@b.dk", InputError, "not a consent purpose"),
        ("invoicing", "email=a@b.dk", InputError, "consent purposes: newsletter"),
        ("newsletter", "email=not-an-address", IdentityError, "not a valid e-mail"),
        ("newsletter", "phone=12", IdentityError, "phone"),
        ("newsletter", "shoe=42", InputError, "unknown identity kind"),
    ],
)
def test_bad_input_changes_nothing(db: Database, policy: Policy, hasher: Hasher, purpose: str,
                                   identity: str, error: type[Exception], words: str) -> None:
    with pytest.raises(error, match=words), db.transaction() as s:
        service.give(s, policy, hasher, service.parse(policy, identity), purpose,
                     source=Source.admin, actor="a")
    assert counts(db) == (0, 0, 0)


def test_future_time_and_bad_ip_are_refused(db: Database, policy: Policy, hasher: Hasher) -> None:
    who = service.parse(policy, "email=a@b.dk")
    with pytest.raises(InputError, match="in the future"), db.transaction() as s:
        service.give(s, policy, hasher, who, "newsletter", source=Source.api, actor="a",
                     at=datetime.now(UTC) + timedelta(days=1))
    with pytest.raises(InputError, match="not an IP address"), db.transaction() as s:
        service.give(s, policy, hasher, who, "newsletter", source=Source.api, actor="a",
                     evidence=Evidence(ip="300.1.1.1"))
    assert counts(db) == (0, 0, 0)


def test_ip_truncation() -> None:
    assert truncate_ip("203.0.113.199") == "203.0.113.0/24"
    assert truncate_ip("2001:db8:abcd:1234::1") == "2001:db8:abcd::/48"
    assert truncate_ip("::ffff:198.51.100.7") == "198.51.100.0/24"
    assert truncate_ip(None) is None and truncate_ip(" ") is None


def test_cookie_categories_are_consent_purposes(db: Database, policy: Policy, hasher: Hasher) -> None:
    who = service.parse(policy, "email=a@b.dk")
    with db.transaction() as s:
        service.give(s, policy, hasher, who, "cookies.statistics", source=Source.cookie_banner,
                     actor="banner")
        assert service.status(s, policy, hasher, who, "cookies.statistics").allowed
    with pytest.raises(InputError, match="not a consent purpose"), db.transaction() as s:
        service.give(s, policy, hasher, who, "cookies.necessary", source=Source.cookie_banner,
                     actor="banner")


def test_suppression_blocks_marketing_consent_except_from_the_subject(
        db: Database, policy: Policy, hasher: Hasher) -> None:
    jane = service.parse(policy, "email=jane@example.dk")
    with db.transaction() as s:
        service.give(s, policy, hasher, jane, "newsletter", source=Source.web_form, actor="w", at=T0)
        service.give(s, policy, hasher, jane, "profiling", source=Source.web_form, actor="w", at=T0)
    with db.transaction() as s:
        result = suppress(s, policy, hasher, jane, actor="dsr:objection", reason="Art. 21(3)",
                          at=T0 + timedelta(hours=1))
    assert result.new and result.withdrawn == ["newsletter"]
    with db.transaction() as s:
        assert is_suppressed(s, hasher, jane)
        assert not service.status(s, policy, hasher, jane, "newsletter").allowed
        assert service.status(s, policy, hasher, jane, "profiling").allowed  # not marketing
        off = service.status(s, policy, hasher, jane, "customer_offers")
        assert not off.allowed and "suppression" in off.reason
    before = counts(db)
    for source in (Source.import_, Source.admin, Source.api):
        with pytest.raises(InputError, match="only be given again by the person"), db.transaction() as s:
            service.give(s, policy, hasher, jane, "newsletter", source=source, actor="x")
    assert counts(db) == before
    with db.transaction() as s:  # withdrawing and non-marketing purposes stay possible
        service.withdraw(s, policy, hasher, jane, "sms_offers", source=Source.admin, actor="x")
        service.give(s, policy, hasher, jane, "profiling", source=Source.admin, actor="x")
    with db.transaction() as s:
        service.give(s, policy, hasher, jane, "newsletter", source=Source.web_form, actor="web")
    with db.transaction() as s:
        assert service.status(s, policy, hasher, jane, "newsletter").allowed
        again = suppress(s, policy, hasher, jane, actor="dsr:objection")
        assert not again.new and again.withdrawn == ["newsletter"]
        assert service.state_mismatches(s) == [] and audit.verify(s).ok


def test_other_basis_marketing_is_allowed_until_objection(
        db: Database, policy: Policy, hasher: Hasher) -> None:
    bo = service.parse(policy, "customer_no=C-1001")
    with db.transaction() as s:
        assert service.status(s, policy, hasher, bo, "customer_offers").allowed
        suppress(s, policy, hasher, bo, actor="admin")
        assert not service.status(s, policy, hasher, bo, "customer_offers").allowed


def test_restriction_hook_blocks_processing(db: Database, policy: Policy, hasher: Hasher) -> None:
    jane = service.parse(policy, "email=jane@example.dk")
    with db.transaction() as s:
        service.give(s, policy, hasher, jane, "newsletter", source=Source.web_form, actor="w")
        blocked = service.status(s, policy, hasher, jane, "newsletter",
                                 restricted=lambda _s, subject: subject == hasher.hash(jane))
    assert not blocked.allowed and "Art. 18" in blocked.reason


def test_state_equals_replay_after_random_operations(db: Database, policy: Policy,
                                                     hasher: Hasher) -> None:
    rng = random.Random(7)
    people = [service.parse(policy, f"email=p{i}@example.dk") for i in range(15)]
    purposes = ["newsletter", "sms_offers", "profiling", "cookies.statistics"]
    now = datetime.now(UTC)
    for _round in range(12):
        with db.transaction() as s:
            changes = [Change(identity=rng.choice(people), purpose=rng.choice(purposes),
                              action=rng.choice(list(Action)),
                              source=rng.choice([Source.web_form, Source.cookie_banner]),
                              at=now - timedelta(minutes=rng.randrange(0, 500)))
                       for _ in range(rng.randrange(1, 12))]
            service.record_changes(s, policy, hasher, changes, actor="t")
            if rng.random() < 0.3:
                suppress(s, policy, hasher, rng.choice(people), actor="t",
                         at=now - timedelta(minutes=rng.randrange(0, 500)))
    with db.transaction() as s:
        assert service.state_mismatches(s) == []
        derived = service.replay(s)
        assert derived == service.stored_state(s)
        assert len(derived) > 10
        assert audit.verify(s).ok
