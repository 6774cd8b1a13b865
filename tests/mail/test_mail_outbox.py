"""The outbox: one message per key, delivered once, secrets sealed and wiped, failures retried."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from persondata.db.base import Base
from persondata.db.engine import Database
from persondata.errors import ConflictError, SystemFailure
from persondata.mail.delivery import deliver_pending, retry
from persondata.mail.models import OutboxMessage
from persondata.mail.outbox import MASK, message_id_for, queue
from persondata.mail.smtp import SmtpSender
from persondata.mail.testing import SmtpTestServer

NOW = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)
KEY = "test-secret"
CONTROLLER = {"name": "Nordlys Tele A/S", "email": "privacy@nordlys.example", "address": "", "country": "DK"}


def _ctx(**extra: object) -> dict[str, object]:
    return {"controller": CONTROLLER, "request": {"id": 7, "type": "access", "received": "2027-03-01",
                                                   "due": "2027-04-01", "original_due": "2027-04-01"},
            "needs_code": False, **extra}


def _deliver(db: Database, sender: object, **kw: object):  # type: ignore[no-untyped-def]
    return deliver_pending(db, sender, from_addr="privacy@nordlys.example", secret_key=KEY,  # type: ignore[arg-type]
                           clock=lambda: NOW, **kw)


def test_models_and_migration_agree(state_db: Database) -> None:
    with state_db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    mine = ("mail_outbox", "subject_requests", "request_")
    assert [d for d in diff if any(t in str(d) for t in mine)] == []


def test_same_key_is_queued_once_and_sent_once(state_db: Database) -> None:
    with state_db.transaction() as s:
        a = queue(s, key="request:7:receipt", kind="receipt", language="da", to_addr="jane@example.dk",
                  context=_ctx(), now=NOW, request_id=7)
        b = queue(s, key="request:7:receipt", kind="receipt", language="da", to_addr="jane@example.dk",
                  context=_ctx(), now=NOW, request_id=7)
        assert a.id == b.id
    with SmtpTestServer() as server:
        sender = SmtpSender(server.settings)
        report = _deliver(state_db, sender)
        assert len(report.sent) == 1
        assert _deliver(state_db, sender).sent == []  # a retried job finds nothing to send
        with state_db.transaction() as s:  # queueing again after sending changes nothing
            queue(s, key="request:7:receipt", kind="receipt", language="da", to_addr="jane@example.dk",
                  context=_ctx(), now=NOW, request_id=7)
        assert _deliver(state_db, sender).sent == []
    assert len(server.messages) == 1
    msg = server.messages[0]
    assert msg["Subject"] == "Vi har modtaget din anmodning om indsigt (sag 7)"
    assert msg["Content-Language"] == "da"
    assert msg["Message-ID"] == message_id_for("request:7:receipt", "privacy@nordlys.example")
    with state_db.transaction() as s:
        row = s.scalars(select(OutboxMessage)).one()
        assert (row.status, row.attempts, row.sent_at) == ("sent", 1, NOW)
        assert row.subject == msg["Subject"] and "1. april 2027" in (row.body or "")


def test_code_is_sealed_sent_and_then_wiped(state_db: Database) -> None:
    with state_db.transaction() as s:
        queue(s, key="request:7:code:1", kind="code", language="en", to_addr="jane@example.dk",
              context=_ctx(minutes=15, expires_at=(NOW + timedelta(minutes=15)).isoformat()), now=NOW,
              request_id=7, secret={"code": "493817"}, secret_key=KEY)
    with state_db.transaction() as s:
        row = s.scalars(select(OutboxMessage)).one()
        assert row.secret and "493817" not in row.secret and "493817" not in str(row.context)
    with SmtpTestServer() as server:
        _deliver(state_db, SmtpSender(server.settings))
    assert "493817" in server.messages[0].get_content()
    with state_db.transaction() as s:
        row = s.scalars(select(OutboxMessage)).one()
        assert row.secret is None
        assert "493817" not in (row.body or "") and MASK in (row.body or "")


def test_expired_code_is_not_sent(state_db: Database) -> None:
    with state_db.transaction() as s:
        queue(s, key="request:7:code:1", kind="code", language="en", to_addr="jane@example.dk",
              context=_ctx(minutes=15, expires_at=(NOW - timedelta(seconds=1)).isoformat()), now=NOW,
              request_id=7, secret={"code": "493817"}, secret_key=KEY)
    with SmtpTestServer() as server:
        report = _deliver(state_db, SmtpSender(server.settings))
    assert report.expired and server.messages == []


class _Flaky:
    """Fails the first n sends, then delegates to a real sender."""

    def __init__(self, real: SmtpSender, failures: int) -> None:
        self.real, self.failures = real, failures

    def send(self, message: EmailMessage) -> None:
        if self.failures:
            self.failures -= 1
            raise SystemFailure("SMTP 127.0.0.1: 421 try again later")
        self.real.send(message)


def test_failed_send_is_retried_later_and_sent_once(state_db: Database) -> None:
    with state_db.transaction() as s:
        queue(s, key="k1", kind="receipt", language="en", to_addr="jane@example.dk", context=_ctx(), now=NOW)
    with SmtpTestServer() as server:
        flaky = _Flaky(SmtpSender(server.settings), failures=2)
        assert _deliver(state_db, flaky).failed
        assert _deliver(state_db, flaky).failed
        with state_db.transaction() as s:
            row = s.scalars(select(OutboxMessage)).one()
            assert (row.status, row.attempts) == ("pending", 2) and "421" in (row.last_error or "")
        assert len(_deliver(state_db, flaky).sent) == 1
        assert _deliver(state_db, flaky).sent == []
    assert len(server.messages) == 1


def test_message_stuck_in_sending_is_not_resent_automatically(state_db: Database) -> None:
    with state_db.transaction() as s:
        row = queue(s, key="k2", kind="receipt", language="en", to_addr="jane@example.dk", context=_ctx(),
                    now=NOW)
        row.status = "sending"  # the process died during the SMTP conversation
        rid = row.id
    with SmtpTestServer() as server:
        assert _deliver(state_db, SmtpSender(server.settings)).sent == []
        retry(state_db, rid)  # the DPO checked: it never arrived
        assert _deliver(state_db, SmtpSender(server.settings)).sent == [rid]
        with pytest.raises(ConflictError, match="not sending it again"):
            retry(state_db, rid)
    assert len(server.messages) == 1


def test_attachment_is_delivered(state_db: Database, tmp_path: Path) -> None:
    export = tmp_path / "request-7.zip"
    with zipfile.ZipFile(export, "w") as z:
        z.writestr("data.json", '{"customer": []}')
    summary = {"export": {"attached": True, "name": export.name}, "rows": 0, "tables": []}
    with state_db.transaction() as s:
        queue(s, key="request:7:completion", kind="completion", language="nb", to_addr="jane@example.dk",
              context=_ctx(summary=summary), now=NOW, request_id=7, attachment=export)
    with SmtpTestServer() as server:
        _deliver(state_db, SmtpSender(server.settings))
    msg = server.messages[0]
    assert msg["Content-Language"] == "nb"
    parts = list(msg.iter_attachments())
    assert [p.get_filename() for p in parts] == ["request-7.zip"]
    assert parts[0].get_content() == export.read_bytes()
    assert "vedlegget request-7.zip" in msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
