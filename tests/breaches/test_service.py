"""Cases on persondata's state (SQLite and PostgreSQL): open, update, late notification, close, audit."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select

from persondata.audit import service as audit
from persondata.audit.models import AuditEntry
from persondata.breaches import service, views
from persondata.breaches.models import BreachCase, BreachEvent
from persondata.breaches.schemas import CaseCreate, CaseUpdate, Discovery, Risk
from persondata.db.base import Base
from persondata.db.engine import Database
from persondata.errors import ConflictError, InputError, NotFoundError
from persondata.policy.model import Policy

CPH = ZoneInfo("Europe/Copenhagen")
AWARE = datetime(2027, 3, 24, 10, 0, tzinfo=CPH).astimezone(UTC)
ACTOR = "cli:dpo"


def new_case(**extra: object) -> CaseCreate:
    data: dict[str, object] = {
        "aware_at": AWARE, "discovery": Discovery.external_reporter, "title": "Kundeliste tilgængelig",
        "description": "En ekstern anmelder fandt kundelisten offentligt tilgængelig.",
        "reporter_contact": "finder@example.org", "tables": ["shop.customer"],
        "categories": ["user.contact.email"],
    }
    data.update(extra)
    return CaseCreate.model_validate(data)


def test_models_and_migration_agree(state_db: Database) -> None:
    with state_db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    ours = [d for d in diff if "breach_" in repr(d)]
    assert ours == []


def test_open_update_and_timeline_are_audited(state_db: Database, policy: Policy) -> None:
    now = AWARE + timedelta(hours=2)
    with state_db.transaction() as s:
        case = service.open_case(s, policy, new_case(), actor=ACTOR, now=now)
        ref = case.ref
    assert ref == "BR-0001"
    with state_db.transaction() as s:
        service.update_case(s, policy, "br-1", CaseUpdate(risk=Risk.high_risk, subjects_count=120,
                                                          note="vurderet"), actor=ACTOR,
                            now=now + timedelta(hours=1))
        service.update_case(s, policy, ref, CaseUpdate(authority_notified_at=now + timedelta(hours=20),
                                                       authority_reference="2027-431-0001"),
                            actor=ACTOR, now=now + timedelta(hours=21))
    with state_db.transaction() as s:
        case = service.get_case(s, "1")
        assert case.status == "notified"
        assert case.risk == "high_risk" and case.subjects_count == 120
        assert [e.action for e in case.events] == ["opened", "updated", "updated"]
        assert case.events[1].changes["risk"] == [None, "high_risk"]
        assert case.events[1].note == "vurderet"
        assert case.events[2].changes["status"] == ["open", "notified"]
        entries = s.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [e.action for e in entries] == ["breach.open", "breach.update", "breach.update"]
        assert {e.target for e in entries} == {"breach:BR-0001"}
        assert "finder@example.org" not in " ".join(e.details for e in entries)
        assert json.loads(entries[1].details)["fields"] == ["risk", "subjects_count"]
        assert audit.verify(s).ok


def test_late_notification_needs_the_reason_for_the_delay(state_db: Database, policy: Policy) -> None:
    now = AWARE + timedelta(days=5)
    late = AWARE + timedelta(hours=80)
    with state_db.transaction() as s:
        ref = service.open_case(s, policy, new_case(risk="risk"), actor=ACTOR, now=now).ref
    with pytest.raises(service.LateNotificationError) as info, state_db.transaction() as s:
        service.update_case(s, policy, ref, CaseUpdate(authority_notified_at=late), actor=ACTOR, now=now)
    message = str(info.value)
    assert "8 h after the 72-hour deadline 2027-03-27 10:00 +01:00" in message
    assert "--delay-reason" in message
    assert isinstance(info.value, ConflictError) and info.value.exit_code == 2
    with state_db.transaction() as s:  # nothing was written
        case = service.get_case(s, ref)
        assert case.authority_notified_at is None and len(case.events) == 1
    with state_db.transaction() as s:
        case = service.update_case(s, policy, ref, CaseUpdate(
            authority_notified_at=late, delay_reason="Omfanget var uklart indtil logfilerne var gennemgået."),
            actor=ACTOR, now=now)
        assert case.authority_notified_at == late
    # in time: no reason needed
    with state_db.transaction() as s:
        ref2 = service.open_case(s, policy, new_case(), actor=ACTOR, now=now).ref
        service.update_case(s, policy, ref2, CaseUpdate(authority_notified_at=AWARE + timedelta(hours=71)),
                            actor=ACTOR, now=now)


def test_bad_input_is_refused_with_a_clear_message(state_db: Database, policy: Policy) -> None:
    now = AWARE + timedelta(hours=1)
    with pytest.raises(InputError, match="in the future"), state_db.transaction() as s:
        service.open_case(s, policy, new_case(aware_at=now + timedelta(hours=1)), actor=ACTOR, now=now)
    with pytest.raises(InputError, match=r"not in the policy's data map: shop\.nope"), \
            state_db.transaction() as s:
        service.open_case(s, policy, new_case(tables=["shop.nope"]), actor=ACTOR, now=now)
    with pytest.raises(InputError, match="only for cases reported by an external reporter"), \
            state_db.transaction() as s:
        service.open_case(s, policy, new_case(discovery="internal"), actor=ACTOR, now=now)
    with state_db.transaction() as s:
        ref = service.open_case(s, policy, new_case(reporter_contact=None), actor=ACTOR, now=now).ref
    with pytest.raises(InputError, match="before the awareness time"), state_db.transaction() as s:
        service.update_case(s, policy, ref, CaseUpdate(receipt_sent_at=AWARE - timedelta(hours=1)),
                            actor=ACTOR, now=now)
    with pytest.raises(InputError, match="nothing changed"), state_db.transaction() as s:
        service.update_case(s, policy, ref, CaseUpdate(tables=["shop.customer"]), actor=ACTOR, now=now)
    with pytest.raises(NotFoundError, match="no breach case BR-0099"), state_db.transaction() as s:
        service.get_case(s, "BR-99")
    with pytest.raises(InputError, match="not a breach case reference"):
        service.normalise_ref("case seven")


def test_close_requires_the_duties_done(state_db: Database, policy: Policy) -> None:
    now = AWARE + timedelta(hours=30)
    with state_db.transaction() as s:
        ref = service.open_case(s, policy, new_case(), actor=ACTOR, now=now).ref
    with pytest.raises(ConflictError) as info, state_db.transaction() as s:
        service.close_case(s, ref, note=None, actor=ACTOR, now=now)
    for expected in ("risk is not assessed", "no measures taken", "no receipt", "no feedback"):
        assert expected in str(info.value)
    with state_db.transaction() as s:
        service.update_case(s, policy, ref, CaseUpdate(
            risk=Risk.high_risk, measures_taken="Adgangen lukket", receipt_sent_at=AWARE + timedelta(hours=3),
            feedback_sent_at=AWARE + timedelta(hours=29)), actor=ACTOR, now=now)
    with pytest.raises(ConflictError) as info, state_db.transaction() as s:
        service.close_case(s, ref, note=None, actor=ACTOR, now=now)
    assert "authority has not been notified" in str(info.value)
    assert "have not been told (Art. 34(1))" in str(info.value)
    with state_db.transaction() as s:
        service.update_case(s, policy, ref, CaseUpdate(
            authority_notified_at=AWARE + timedelta(hours=20),
            subjects_notified_at=AWARE + timedelta(hours=25)),
            actor=ACTOR, now=now)
        case = service.close_case(s, ref, note="afsluttet", actor=ACTOR, now=now)
        assert case.status == "closed" and case.closed_at == now
    with pytest.raises(service.CaseClosedError), state_db.transaction() as s:
        service.update_case(s, policy, ref, CaseUpdate(note="more"), actor=ACTOR, now=now)
    with state_db.transaction() as s:
        assert service.list_cases(s) == []
        assert [c.ref for c in service.list_cases(s, include_closed=True)] == [ref]
        assert s.scalar(select(BreachEvent.action).order_by(BreachEvent.id.desc()).limit(1)) == "closed"


def test_unlikely_risk_is_documented_and_closes_without_notification(state_db: Database,
                                                                     policy: Policy) -> None:
    now = AWARE + timedelta(hours=100)
    with state_db.transaction() as s:
        case = service.open_case(s, policy, new_case(
            discovery="internal", reporter_contact=None, risk="unlikely",
            measures_taken="Mailen blev trukket tilbage før den blev læst."), actor=ACTOR, now=now)
        view = views.full(case, policy.breaches, now)
        assert view.flags == []
        assert {d.kind: d.state for d in view.deadlines} == {"authority": "not_required",
                                                             "subjects": "not_required"}
        service.close_case(s, case.ref, note=None, actor=ACTOR, now=now)


def test_views_flag_overdue_and_due_within_24_hours(state_db: Database, policy: Policy) -> None:
    with state_db.transaction() as s:
        case = service.open_case(s, policy, new_case(), actor=ACTOR, now=AWARE)
        early = views.summary(case, policy.breaches, AWARE + timedelta(hours=1))
        soon = views.summary(case, policy.breaches, AWARE + timedelta(hours=50))
        over = views.summary(case, policy.breaches, AWARE + timedelta(hours=73))
        full = views.full(case, policy.breaches, AWARE + timedelta(hours=73))
    assert early.flags == [] and early.next_deadline is not None
    assert early.next_deadline.kind == "authority"
    assert early.next_deadline.due_local == "2027-03-27 10:00 +01:00"
    assert soon.flags == ["due <24h: authority"]
    assert over.flags == ["overdue: authority"]
    receipt = next(d for d in full.deadlines if d.kind == "reporter_receipt")
    assert receipt.due_local == "2027-03-31 (end of day)" and receipt.state == "pending"
    assert full.timezone == "Europe/Copenhagen"
    assert full.timeline[0].action == "opened"


def test_reading_a_reporters_contact_is_audited(state_db: Database, policy: Policy) -> None:
    with state_db.transaction() as s:
        ref = service.open_case(s, policy, new_case(), actor=ACTOR, now=AWARE).ref
    with state_db.transaction() as s:
        service.read_case(s, ref, actor="cli:auditor")
        last = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
    assert (last.action, last.actor, last.target) == ("breach.read", "cli:auditor", "breach:BR-0001")


def test_many_cases_get_distinct_references(state_db: Database, policy: Policy) -> None:
    with state_db.transaction() as s:
        refs = [service.open_case(s, policy, new_case(), actor=ACTOR, now=AWARE).ref for _ in range(3)]
    assert refs == ["BR-0001", "BR-0002", "BR-0003"]
    with state_db.transaction() as s:
        assert s.query(BreachCase).count() == 3


def test_the_policys_reporter_promises_set_the_deadlines(
    state_db: Database, policy_factory: Callable[..., Policy],
) -> None:
    policy = policy_factory(reporter_receipt="1 business day", reporter_feedback="10 days")
    with state_db.transaction() as s:
        case = service.open_case(s, policy, new_case(), actor=ACTOR, now=AWARE)
        view = views.full(case, policy.breaches, AWARE)
    found = {d.kind: d for d in view.deadlines}
    assert (found["reporter_receipt"].rule, str(found["reporter_receipt"].due_date)) == (
        "1 business day", "2027-03-30")
    assert (found["reporter_feedback"].rule, str(found["reporter_feedback"].due_date)) == (
        "10 days", "2027-04-05")
