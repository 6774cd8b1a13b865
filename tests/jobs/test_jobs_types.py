"""Every request type through the job layer, the scheduled jobs, and the Huey plumbing in this process."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from jobs_company import JANE, Company

from persondata.consent import service as consent
from persondata.consent.schemas import Source
from persondata.db.engine import Database
from persondata.identity import Identity
from persondata.jobs import tasks
from persondata.jobs.env import JobEnv, state_dir
from persondata.jobs.queue import JobQueue
from persondata.mail.testing import SmtpTestServer
from persondata.requests import repository
from persondata.requests.execution import queue_run
from persondata.requests.service import NewRequest, load, open_request, verify_manual
from persondata.settings import load_settings

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def make_env(db: Database, company: Company, smtp: SmtpTestServer, **overrides: object) -> JobEnv:
    settings = load_settings(policy_path=company.policy_path, database_url=db.url,
                             **overrides).with_overrides(smtp=smtp.settings)  # type: ignore[arg-type]
    return JobEnv(settings=settings, policy_override=company.policy, database=db, clock=lambda: NOW)


def prepare(env: JobEnv, type_: str, language: str = "en", **details: object) -> int:
    ctx = env.ctx("dpo")
    with env.db().transaction() as s:
        req = open_request(s, ctx, NewRequest(type=type_, identities=[f"email={JANE}"], language=language,
                                              details=dict(details)))
        verify_manual(s, ctx, req.id, "known customer")
        queue_run(s, ctx, req.id)
        return req.id


def _emails(company: Company, system: str) -> list[str]:
    with sqlite3.connect(company.systems[system]) as conn:
        return [r[0] for r in conn.execute("SELECT email FROM customer ORDER BY id")]


def test_rectification_writes_every_system_and_creates_art19_tasks(sqlite_db: Database, company: Company,
                                                                   smtp: SmtpTestServer) -> None:
    env = make_env(sqlite_db, company, smtp)
    rid = prepare(env, "rectification", set={"user.contact.email": "Jane.New@Example.DK"})
    assert tasks.execute_request(env, rid) == "completed"
    assert all(_emails(company, s)[0] == "jane.new@example.dk" for s in company.systems)
    assert all(_emails(company, s)[1] == "bob@example.dk" for s in company.systems)
    with sqlite_db.transaction() as s:
        req = load(s, rid)
        assert req.result is not None and req.result["fields"] == [{"field": "email", "rows": 3}]
        assert [t.recipient for t in repository.tasks(s, rid)] == ["sms_partner"]
    body = smtp.messages[-1].get_content()
    assert "email: corrected in 3 records" in body and "Example SMS AB" in body


def test_restriction(sqlite_db: Database, company: Company, smtp: SmtpTestServer) -> None:
    env = make_env(sqlite_db, company, smtp)
    rid = prepare(env, "restriction", language="nb")
    assert tasks.execute_request(env, rid) == "completed"
    from persondata.dsr.service import restriction_status

    with sqlite_db.transaction() as s:
        hasher = env.ctx().hasher
        assert restriction_status(s, [Identity("email", JANE)], hasher).restricted
        assert [t.recipient for t in repository.tasks(s, rid)] == ["sms_partner"]
    assert "begrenset behandlingen" in smtp.messages[-1].get_content()


def test_objection_to_marketing_and_to_legitimate_interest(sqlite_db: Database, company: Company,
                                                           smtp: SmtpTestServer) -> None:
    env = make_env(sqlite_db, company, smtp)
    marketing = prepare(env, "objection", language="da", purpose="newsletter")
    assert tasks.execute_request(env, marketing) == "completed"
    assert "spærreliste" in smtp.messages[-1].get_content()
    interest = prepare(env, "objection", purpose="statistics")
    assert tasks.execute_request(env, interest) == "completed"
    body = smtp.messages[-1].get_content()
    assert "“Statistics”" in body and "compelling legitimate grounds" in body
    with sqlite_db.transaction() as s:
        assert load(s, interest).result["status"] == "pending"  # type: ignore[index]
        assert repository.tasks(s, interest) == []  # Art. 19 is for erasure, rectification, restriction


def test_consent_withdrawal_withdraws_what_was_given(sqlite_db: Database, company: Company,
                                                     smtp: SmtpTestServer) -> None:
    env = make_env(sqlite_db, company, smtp)
    ctx = env.ctx()
    with sqlite_db.transaction() as s:
        consent.give(s, ctx.policy, ctx.hasher, Identity("email", JANE), "newsletter", source=Source.web_form,
                     actor="web", at=NOW - timedelta(days=30))
    rid = prepare(env, "consent_withdrawal")
    assert tasks.execute_request(env, rid) == "completed"
    with sqlite_db.transaction() as s:
        assert not consent.is_allowed(s, ctx.hasher.hash(Identity("email", JANE)), "newsletter")
        assert load(s, rid).result["purposes"] == ["newsletter"]  # type: ignore[index]
    assert "withdrew your consent for: newsletter" in smtp.messages[-1].get_content()


def test_daily_reminder_is_sent_once_per_day(sqlite_db: Database, company: Company,
                                             smtp: SmtpTestServer) -> None:
    env = make_env(sqlite_db, company, smtp)
    ctx = env.ctx()
    with sqlite_db.transaction() as s:
        for received in (NOW - timedelta(days=40), NOW - timedelta(days=27), NOW - timedelta(days=2)):
            new = NewRequest(type="access", identities=[f"email={JANE}"], received_at=received)
            open_request(s, ctx, new)
    assert tasks.send_reminders(env) == {"overdue": 1, "due_soon": 1, "sent": True}
    assert tasks.send_reminders(env)["sent"] is True  # queued again: same key, not sent again
    reminders = [m for m in smtp.messages if m["To"] == "privacy@nordlys.example"]
    assert len(reminders) == 1
    assert reminders[0]["Subject"] == "Anmodninger med frist: 1 overskredet, 1 inden for 7 dage"
    assert "sag 1 (indsigt): frist" in reminders[0].get_content()
    env.clock = lambda: NOW + timedelta(days=1)
    tasks.send_reminders(env)
    assert len([m for m in smtp.messages if m["To"] == "privacy@nordlys.example"]) == 2


def test_deferred_erasures_job_runs(sqlite_db: Database, company: Company, smtp: SmtpTestServer) -> None:
    env = make_env(sqlite_db, company, smtp)
    outcome = tasks.deferred_erasures_due(env)
    assert outcome["by"] in ("retention", "dsr")
    if outcome["by"] == "dsr":
        assert outcome["outcome"]["due"] == 0


def test_queue_on_sqlite_beside_the_state_database(sqlite_db: Database, company: Company,
                                                   smtp: SmtpTestServer) -> None:
    env = make_env(sqlite_db, company, smtp)
    q = JobQueue(env, "pdtest", periodic=False)
    assert q.where().startswith(f"sqlite {state_dir(env.settings) / 'persondata-jobs.db'}")
    rid = prepare(env, "access")
    q.enqueue(rid)
    assert q.queued_ids() == {rid}
    assert q.resume() == []  # a starting worker does not queue it twice
    q.enqueue(rid)  # but a duplicate message is harmless
    assert q.pending() == 2
    results = []
    while (task := q.huey.dequeue()) is not None:
        results.append(q.huey.execute(task))
    assert results == ["completed", "nothing to do"]
    with sqlite_db.transaction() as s:
        assert load(s, rid).state == "completed"


def test_queue_on_redis(sqlite_db: Database, company: Company, smtp: SmtpTestServer, redis_url: str) -> None:
    env = make_env(sqlite_db, company, smtp, redis_url=redis_url)
    q = JobQueue(env, "pdtest-unit", periodic=True)
    try:
        assert q.where() == "redis://127.0.0.1:6379/0 (queue pdtest-unit)"
        rid = prepare(env, "access")
        q.enqueue(rid)
        task = q.huey.dequeue()
        assert task is not None and q.huey.execute(task) == "completed"
    finally:
        q.huey.storage.flush_all()


@pytest.mark.parametrize("type_", ["restriction", "consent_withdrawal"])
def test_letters_for_requests_without_email(sqlite_db: Database, company: Company, smtp: SmtpTestServer,
                                            type_: str) -> None:
    from persondata.requests.letters import render_letter

    env = make_env(sqlite_db, company, smtp)
    ctx = env.ctx()
    with sqlite_db.transaction() as s:
        req = open_request(s, ctx, NewRequest(type=type_, identities=["phone=+4520123456"], channel="letter",
                                              language="da"))
        subject, body = render_letter(ctx.policy, req, "receipt")
    assert subject.startswith("Vi har modtaget din anmodning")
    assert "2. december 2026" in body  # received Monday 2 Nov 2026 -> Wednesday 2 Dec
    assert smtp.messages == []
