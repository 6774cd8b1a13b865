"""The request workflow on SQLite and PostgreSQL state: every transition, every refused one, audit."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from persondata.audit.models import AuditEntry
from persondata.db.engine import Database
from persondata.errors import ConflictError, InputError, NotFoundError, RateLimited
from persondata.mail.models import OutboxMessage
from persondata.policy.model import Policy
from persondata.requests import repository
from persondata.requests.models import RequestEvent, SubjectRequest
from persondata.requests.notifications import create_tasks, mark_done
from persondata.requests.schemas import TRANSITIONS, State
from persondata.requests.service import (
    NewRequest,
    close,
    extend,
    load,
    move,
    open_request,
    reject,
    send_code,
    verify_code,
    verify_manual,
)

T0 = datetime(2027, 2, 28, 12, 0, tzinfo=UTC)  # Sunday; due Tuesday 2027-03-30


def _open(db: Database, make_ctx, **kw) -> int:  # type: ignore[no-untyped-def]
    new = NewRequest(type=kw.pop("type", "erasure"),
                     identities=kw.pop("identities", ["email=Jane@Example.DK"]), **kw)
    with db.transaction() as s:
        return open_request(s, make_ctx(T0), new).id


def test_open_computes_deadline_normalises_identity_and_queues_receipt(state_db: Database, make_ctx) -> None:
    rid = _open(state_db, make_ctx, channel="letter", language="da")
    with state_db.transaction() as s:
        req = load(s, rid)
        assert req.state == "received"
        assert req.due_on == date(2027, 3, 30) == req.original_due_on
        assert req.identities == [{"kind": "email", "value": "jane@example.dk"}]
        assert req.contact_email == "jane@example.dk"
        assert req.verification == "email_code"
        mails = s.scalars(select(OutboxMessage).where(OutboxMessage.request_id == rid)).all()
        assert [(m.kind, m.key, m.language) for m in mails] == [("receipt", f"request:{rid}:receipt", "da")]
        audit = s.scalars(select(AuditEntry).where(AuditEntry.target == f"request:{rid}")).all()
        assert [a.action for a in audit] == ["request.opened"]
        assert audit[0].subject == req.subject_hash


def test_bad_input_is_refused_and_writes_nothing(state_db: Database, make_ctx) -> None:
    for kw, message in [
        ({"type": "deletion"}, "unknown request type 'deletion'"),
        ({"channel": "fax"}, "unknown channel 'fax'"),
        ({"identities": []}, "at least one identity"),
        ({"identities": ["email=not-an-address"]}, "not a valid e-mail"),
        ({"identities": ["shoe=42"]}, "unknown identity kind"),
        ({"language": "sv"}, "unknown language"),
        ({"identities": ["phone=+4520123456"]}, "no e-mail address"),
        ({"received_at": T0 + timedelta(days=1)}, "in the future"),
    ]:
        with pytest.raises(InputError, match=message):
            _open(state_db, make_ctx, **kw)
    with state_db.transaction() as s:
        assert s.scalars(select(SubjectRequest)).all() == []
        assert s.scalars(select(OutboxMessage)).all() == []


def test_policy_without_verification_verifies_at_once(state_db: Database, make_ctx, policy) -> None:
    pol = Policy.model_validate({**policy.model_dump(), "rights": {"verification": {"access": "none"}}})
    with state_db.transaction() as s:
        req = open_request(s, make_ctx(T0, pol=pol), NewRequest(type="access", identities=["email=a@b.dk"]))
        assert req.state == "verified"
        assert [e.action for e in repository.events(s, req.id)] == ["opened", "verified"]


def test_phone_only_request_needs_manual_verification(state_db: Database, make_ctx) -> None:
    rid = _open(state_db, make_ctx, type="restriction", identities=["phone=20 12 34 56"])
    with state_db.transaction() as s:
        req = load(s, rid)
        assert req.verification == "manual"
        assert req.identities == [{"kind": "phone", "value": "+4520123456"}]
        assert req.contact_email is None
        assert s.scalars(select(OutboxMessage)).all() == []  # no address: letters are printed
    with state_db.transaction() as s, pytest.raises(ConflictError, match="no e-mail address"):
        send_code(s, make_ctx(T0), rid)
    with state_db.transaction() as s, pytest.raises(InputError, match="needs a note"):
        verify_manual(s, make_ctx(T0), rid, "  ")
    with state_db.transaction() as s:
        req = verify_manual(s, make_ctx(T0), rid, "called back on the number in our customer file")
        assert req.state == "verified" and req.verified_by == "dpo"


def test_code_verification_happy_path(state_db: Database, make_ctx) -> None:
    rid = _open(state_db, make_ctx)
    with state_db.transaction() as s:
        code = send_code(s, make_ctx(T0), rid)
        assert len(code) == 6 and code.isdigit()
        assert load(s, rid).state == "awaiting_verification"
        stored = repository.active_code(s, rid)
        assert stored is not None and code not in stored.code_hash
    with state_db.transaction() as s:
        outcome = verify_code(s, make_ctx(T0 + timedelta(minutes=14)), rid, code)
    assert outcome.ok
    with state_db.transaction() as s:
        req = load(s, rid)
        assert req.state == "verified"
        actions = [e.action for e in repository.events(s, rid)]
        assert actions == ["opened", "code_sent", "verified"]
        mail = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "code")).one()
        assert code not in str(mail.context) and mail.secret and code not in mail.secret
    # the same code again: nothing to check any more
    with state_db.transaction() as s, pytest.raises(ConflictError, match="there is no code to check"):
        verify_code(s, make_ctx(T0 + timedelta(minutes=15)), rid, code)


def test_five_wrong_codes_block_the_code(state_db: Database, make_ctx) -> None:
    rid = _open(state_db, make_ctx)
    with state_db.transaction() as s:
        code = send_code(s, make_ctx(T0), rid)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    reasons = []
    for i in range(5):
        with state_db.transaction() as s:  # each failure is committed
            outcome = verify_code(s, make_ctx(T0 + timedelta(minutes=i)), rid, wrong)
        assert not outcome.ok
        reasons.append(outcome.reason)
    assert reasons[0] == "wrong code; 4 attempts left"
    assert reasons[3] == "wrong code; 1 attempt left"
    assert "blocked" in reasons[4]
    with state_db.transaction() as s:  # now even the right code fails
        outcome = verify_code(s, make_ctx(T0 + timedelta(minutes=6)), rid, code)
    assert not outcome.ok and "send a new one" in outcome.reason
    with state_db.transaction() as s:
        assert load(s, rid).state == "awaiting_verification"
        failed = [e for e in repository.events(s, rid) if e.action == "verification_failed"]
        assert len(failed) == 6
        audited = s.scalars(select(AuditEntry)
                            .where(AuditEntry.action == "request.verification_failed")).all()
        assert len(audited) == 6


def test_expired_code_and_a_new_code_invalidates_the_old(state_db: Database, make_ctx) -> None:
    rid = _open(state_db, make_ctx)
    with state_db.transaction() as s:
        first = send_code(s, make_ctx(T0), rid)
    with state_db.transaction() as s:
        outcome = verify_code(s, make_ctx(T0 + timedelta(minutes=15)), rid, first)
    assert not outcome.ok and "expired" in outcome.reason
    with state_db.transaction() as s:
        second = send_code(s, make_ctx(T0 + timedelta(minutes=16)), rid)
    with state_db.transaction() as s:
        third = send_code(s, make_ctx(T0 + timedelta(minutes=17)), rid)
    if second != third:
        with state_db.transaction() as s:
            outcome = verify_code(s, make_ctx(T0 + timedelta(minutes=18)), rid, second)
        assert not outcome.ok
    with state_db.transaction() as s:
        assert verify_code(s, make_ctx(T0 + timedelta(minutes=19)), rid, third).ok
        mails = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "code")).all()
        assert len(mails) == 3  # one mail per code, each with its own key


def test_every_transition_and_every_refused_one(state_db: Database, make_ctx) -> None:
    rid = _open(state_db, make_ctx)
    allowed_seen = refused_seen = 0
    for frm in State:
        for to in State:
            with state_db.transaction() as s:
                req = load(s, rid, for_update=True)
                req.state = frm.value
                if to in TRANSITIONS[frm]:
                    move(s, make_ctx(T0), req, to, "test")
                    assert req.state == to.value
                    allowed_seen += 1
                    continue
                refused = f"request {rid} is {frm.value}; it cannot become {to.value}"
                with pytest.raises(ConflictError, match=refused):
                    move(s, make_ctx(T0), req, to, "test")
                assert req.state == frm.value
                refused_seen += 1
    assert (allowed_seen, refused_seen) == (8, 28)
    with state_db.transaction() as s:  # each allowed move is on the timeline and in the audit log
        moves = [e for e in repository.events(s, rid) if e.action == "test"]
        assert len(moves) == 8
        audited = s.scalars(select(AuditEntry).where(AuditEntry.action == "request.test")).all()
        assert len(audited) == 8


def test_extension_before_and_after_the_first_deadline(state_db: Database, make_ctx) -> None:
    rid = _open(state_db, make_ctx)
    with state_db.transaction() as s:
        req = extend(s, make_ctx(datetime(2027, 3, 20, 9, tzinfo=UTC)), rid, 1, "data in six systems")
        assert (req.extended, req.due_on, req.extension_months) == (True, date(2027, 4, 28), 1)
    with state_db.transaction() as s:
        req = extend(s, make_ctx(datetime(2027, 3, 29, 9, tzinfo=UTC)), rid, 1, "backup restore needed")
        assert req.due_on == date(2027, 5, 28) and req.extension_months == 2
    with state_db.transaction() as s, pytest.raises(ConflictError, match="at most 2"):
        extend(s, make_ctx(datetime(2027, 3, 29, 9, tzinfo=UTC)), rid, 1, "more")
    rid2 = _open(state_db, make_ctx)
    with state_db.transaction() as s, pytest.raises(ConflictError, match="first deadline was 2027-03-30"):
        extend(s, make_ctx(datetime(2027, 3, 31, 9, tzinfo=UTC)), rid2, 2, "too late")
    with state_db.transaction() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "extension"))
        keys = sorted(m.key for m in rows)
        assert keys == [f"request:{rid}:extension:1", f"request:{rid}:extension:2"]
        assert load(s, rid2).extended is False


def test_reject_and_close(state_db: Database, make_ctx) -> None:
    rid = _open(state_db, make_ctx)
    with state_db.transaction() as s, pytest.raises(InputError, match="needs a reason"):
        reject(s, make_ctx(T0), rid, "")
    with state_db.transaction() as s, pytest.raises(ConflictError, match="only a completed or rejected"):
        close(s, make_ctx(T0), rid)
    with state_db.transaction() as s:
        reject(s, make_ctx(T0), rid, "manifestly unfounded: the fifth identical request this month")
    with state_db.transaction() as s, pytest.raises(ConflictError, match="is rejected; it cannot become"):
        verify_manual(s, make_ctx(T0), rid, "too late")
    with state_db.transaction() as s, pytest.raises(ConflictError, match="no deadline left"):
        extend(s, make_ctx(T0), rid, 1, "x")
    with state_db.transaction() as s:
        close(s, make_ctx(T0), rid, "answered")
    with state_db.transaction() as s, pytest.raises(ConflictError, match="was closed"):
        close(s, make_ctx(T0), rid)
    with state_db.transaction() as s:
        assert s.scalars(select(OutboxMessage.kind).where(OutboxMessage.request_id == rid)).all() == [
            "receipt", "rejection"]
    with state_db.transaction() as s, pytest.raises(NotFoundError):
        load(s, 9999)


def test_art19_tasks_block_closing_until_done(state_db: Database, make_ctx) -> None:
    rid = _open(state_db, make_ctx)
    with state_db.transaction() as s:
        req = load(s, rid, for_update=True)
        verify_manual(s, make_ctx(T0), rid, "ID card shown at the counter")
        move(s, make_ctx(T0), req, State.in_progress, "started")
        move(s, make_ctx(T0), req, State.completed, "completed")
        assert create_tasks(s, make_ctx(T0), req, ["sms_partner", "bureau"]) == ["bureau", "sms_partner"]
        assert create_tasks(s, make_ctx(T0), req, ["bureau"]) == ["bureau", "sms_partner"]  # idempotent
    with state_db.transaction() as s, pytest.raises(ConflictError, match=r"notify.*bureau, sms_partner"):
        close(s, make_ctx(T0), rid)
    with state_db.transaction() as s:
        mark_done(s, make_ctx(T0), rid, "bureau", "e-mail to dpo@bureau.example")
    with state_db.transaction() as s, pytest.raises(ConflictError, match="already marked"):
        mark_done(s, make_ctx(T0), rid, "bureau")
    with state_db.transaction() as s, pytest.raises(NotFoundError, match="its tasks: bureau, sms_partner"):
        mark_done(s, make_ctx(T0), rid, "google")
    with state_db.transaction() as s:
        mark_done(s, make_ctx(T0), rid, "sms_partner")
    with state_db.transaction() as s:
        close(s, make_ctx(T0), rid)
        tasks = repository.tasks(s, rid)
        assert [(t.recipient, t.name, t.done_by) for t in tasks] == [
            ("bureau", "Debitor Registret", "dpo"), ("sms_partner", "Example SMS AB", "dpo")]
        events = s.scalars(select(RequestEvent.action).where(RequestEvent.request_id == rid)).all()
        assert events[-4:] == ["notifications_created", "recipient_notified", "recipient_notified", "closed"]



def test_manual_policy_refuses_codes(state_db: Database, make_ctx, policy) -> None:
    rights = {"verification": {"restriction": "manual"}}
    pol = Policy.model_validate({**policy.model_dump(), "rights": rights})
    with state_db.transaction() as s:
        new = NewRequest(type="restriction", identities=["email=a@b.dk"])
        req = open_request(s, make_ctx(T0, pol=pol), new)
        assert req.verification == "manual"
        rid = req.id
    with state_db.transaction() as s, pytest.raises(ConflictError, match="requires a manual identity check"):
        send_code(s, make_ctx(T0, pol=pol), rid)
    with state_db.transaction() as s:
        assert verify_manual(s, make_ctx(T0, pol=pol), rid, "passport seen").state == "verified"


def test_receipt_promises_a_code_only_when_one_is_sent(state_db: Database, make_ctx) -> None:
    with_code = _open(state_db, make_ctx, send_code=True)
    without = _open(state_db, make_ctx)
    with state_db.transaction() as s:
        assert load(s, with_code).state == "awaiting_verification"
        assert load(s, without).state == "received"
        mails = {(m.request_id, m.kind): m for m in s.scalars(select(OutboxMessage))}
        assert mails[(with_code, "receipt")].context["needs_code"] is True
        assert (with_code, "code") in mails
        assert mails[(without, "receipt")].context["needs_code"] is False
        assert (without, "code") not in mails


def test_at_most_five_codes_a_day(state_db: Database, make_ctx) -> None:
    rid = _open(state_db, make_ctx)
    for i in range(5):
        with state_db.transaction() as s:
            send_code(s, make_ctx(T0 + timedelta(hours=i)), rid)
    with state_db.transaction() as s, pytest.raises(RateLimited, match=r"5 codes were sent in the last 24 "
                                                                         r"hours; the next can be sent after "
                                                                         r"2027-03-01 12:00 UTC"):
        send_code(s, make_ctx(T0 + timedelta(hours=23)), rid)
    assert RateLimited.http_status == 429
    with state_db.transaction() as s:  # the refused send wrote nothing and left the last code valid
        assert len(s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "code")).all()) == 5
        assert repository.active_code(s, rid) is not None
    with state_db.transaction() as s:  # once the first code is 24 hours old, one more can go
        send_code(s, make_ctx(T0 + timedelta(hours=24, minutes=1)), rid)
