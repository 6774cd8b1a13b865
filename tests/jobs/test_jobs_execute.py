"""Executing requests as jobs, in this process: idempotent, resumable, mail once, Art. 19 tasks."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from jobs_company import JANE, Company
from sqlalchemy import select

from persondata.audit import service as audit
from persondata.audit.models import AuditEntry
from persondata.db.engine import Database
from persondata.errors import ConflictError, SystemFailure
from persondata.identity import Hasher
from persondata.jobs import tasks
from persondata.jobs.env import JobEnv
from persondata.mail.models import OutboxMessage
from persondata.mail.testing import SmtpTestServer
from persondata.requests import repository
from persondata.requests.execution import Worker, claim, queue_run, to_resume
from persondata.requests.models import RequestRun
from persondata.requests.service import Ctx, NewRequest, load, open_request, verify_manual
from persondata.settings import load_settings

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def make_env(db: Database, company: Company, smtp: SmtpTestServer, now: datetime = NOW) -> JobEnv:
    settings = load_settings(policy_path=company.policy_path, database_url=db.url).with_overrides(
        smtp=smtp.settings)
    return JobEnv(settings=settings, policy_override=company.policy, database=db, clock=lambda: now)


def prepare(env: JobEnv, type_: str = "erasure", queue: bool = True, **kw: object) -> int:
    ctx = env.ctx("dpo")
    with env.db().transaction() as s:
        req = open_request(s, ctx, NewRequest(type=type_, identities=[f"email={JANE}"], **kw))  # type: ignore[arg-type]
        verify_manual(s, ctx, req.id, "customer called from the number on file")
        if queue:
            queue_run(s, ctx, req.id)
        return req.id


def test_erasure_over_three_systems_completes_once(state_db: Database, company: Company,
                                                   smtp: SmtpTestServer) -> None:
    env = make_env(state_db, company, smtp)
    rid = prepare(env)
    assert tasks.execute_request(env, rid) == "completed"
    for system, rows in company.jane.items():
        assert sorted(company.log(system)) == sorted((t, i, "delete") for t, i in rows)
        assert company.count(system, "customer") == 1 and company.count(system, "orders") == 2  # Bob's
    with state_db.transaction() as s:
        req = load(s, rid)
        assert req.state == "completed"
        assert req.result is not None and req.result["counts"]["deleted"] == 12
        assert [(st.system, st.attempt) for st in repository.steps(s, rid)] == [
            ("sys1", 1), ("sys2", 1), ("sys3", 1)]
        assert [t.recipient for t in repository.tasks(s, rid)] == ["sms_partner"]
        assert audit.verify(s).ok
    kinds = [m["Subject"] for m in smtp.messages]
    assert kinds == ["Vi har modtaget din anmodning om sletning (sag 1)",
                     "Svar på din anmodning om sletning (sag 1)"]
    body = smtp.messages[1].get_content()
    assert "sys1.customer: 1 slettet" in body and "sys3.orders: 3 slettet" in body
    assert "Example SMS AB" in body
    # a retried or duplicated job finds nothing to do and sends nothing
    assert tasks.execute_request(env, rid) == "nothing to do"
    assert tasks.deliver_mail(env).sent == []
    assert len(smtp.messages) == 2
    assert all(len(company.log(s)) == 4 for s in company.systems)


def test_completion_mail_failure_is_retried_without_resending(state_db: Database, company: Company,
                                                              smtp: SmtpTestServer) -> None:
    env = make_env(state_db, company, smtp)
    rid = prepare(env)
    down = SmtpTestServer()  # never started: nothing listens on its port
    env.settings = env.settings.with_overrides(smtp=down.settings)
    assert tasks.execute_request(env, rid) == "completed"  # mail failure does not fail the request
    with state_db.transaction() as s:
        statuses = s.scalars(select(OutboxMessage.status).where(OutboxMessage.request_id == rid)).all()
        assert statuses == ["pending", "pending"]
    env.settings = env.settings.with_overrides(smtp=smtp.settings)
    assert len(tasks.deliver_mail(env).sent) == 2
    assert tasks.execute_request(env, rid) == "nothing to do"
    assert len(tasks.deliver_mail(env).sent) == 0
    assert len(smtp.messages) == 2


def test_a_failing_system_leaves_the_request_resumable(sqlite_db: Database, company: Company,
                                                       smtp: SmtpTestServer) -> None:
    env = make_env(sqlite_db, company, smtp)
    rid = prepare(env)
    broken = company.systems["sys2"]
    hidden = broken.with_suffix(".away")

    def break_sys2() -> None:
        broken.rename(hidden)
        broken.mkdir()  # a directory where the database file should be: sqlite cannot open it

    def mend_sys2() -> None:
        broken.rmdir()
        hidden.rename(broken)

    break_sys2()  # unreachable before anything is done: discovery fails, nothing changes
    with pytest.raises(SystemFailure, match="sys2"):
        tasks.execute_request(env, rid)
    with sqlite_db.transaction() as s:
        assert repository.steps(s, rid) == [] and "plan" not in load(s, rid).details
    mend_sys2()
    assert all(company.log(s) == [] for s in company.systems)
    with sqlite3.connect(broken) as conn:  # now sys2 refuses writes: its erasure fails mid-way
        conn.execute("CREATE TRIGGER no_delete BEFORE DELETE ON orders "
                     "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END")
    with pytest.raises(SystemFailure, match=r"erasure in system sys2 failed.*disk on fire"):
        tasks.execute_request(env, rid)
    with sqlite_db.transaction() as s:
        assert load(s, rid).state == "in_progress"
        runs = repository.runs(s, rid)
        assert [(r.attempt, r.status) for r in runs] == [(1, "failed"), (2, "failed")]
        assert "sys2" in (runs[1].error or "")
        assert [st.system for st in repository.steps(s, rid)] == ["sys1"]
    with sqlite3.connect(broken) as conn:
        conn.execute("DROP TRIGGER no_delete")
    assert tasks.execute_request(env, rid) == "completed"  # Huey's retry
    with sqlite_db.transaction() as s:
        assert [(st.system, st.attempt) for st in repository.steps(s, rid)] == [
            ("sys1", 2), ("sys2", 3), ("sys3", 3)]
    for system, rows in company.jane.items():
        assert sorted(company.log(system)) == sorted((t, i, "delete") for t, i in rows)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_dead_and_stale_attempts_are_found_and_resumed(state_db: Database, company: Company,
                                                       smtp: SmtpTestServer) -> None:
    env = make_env(state_db, company, smtp)
    here = Worker("this-host", os.getpid())  # alive
    there = Worker("other-host", 4242)  # another machine: only its heartbeat tells
    lease = timedelta(minutes=30)
    rid = prepare(env)
    ctx = env.ctx()
    with state_db.transaction() as s:
        run = claim(s, ctx, rid, lease, Worker(here.host, _dead_pid()))
        assert run is not None and run.attempt == 1
    with state_db.transaction() as s:  # the other machine cannot see that process: it waits for the lease
        assert to_resume(s, NOW, lease, there) == []
        assert claim(s, ctx, rid, lease, there) is None
    with state_db.transaction() as s:  # same host, process gone: dead at once
        assert to_resume(s, NOW, lease, here) == [rid]
        run2 = claim(s, ctx, rid, lease, here)
        assert run2 is not None and run2.attempt == 2
    with state_db.transaction() as s:  # attempt 2 is alive with a fresh heartbeat
        assert to_resume(s, NOW + timedelta(minutes=29), lease, there) == []
        assert claim(s, ctx, rid, lease, there) is None
        with pytest.raises(ConflictError, match=f"being executed by this-host:{os.getpid()}"):
            queue_run(s, ctx, rid, lease, there)
    later = Ctx(ctx.policy, ctx.hasher, ctx.secret_key, "dpo", NOW + timedelta(minutes=31))
    with state_db.transaction() as s:  # heartbeat older than the lease: dead for the other machine
        assert to_resume(s, later.now, lease, there) == [rid]
        run3 = claim(s, later, rid, lease, there)
        assert run3 is not None and run3.attempt == 3
    with state_db.transaction() as s:
        runs = s.scalars(select(RequestRun).order_by(RequestRun.attempt))
        assert [(r.attempt, r.status) for r in runs] == [
            (1, "interrupted"), (2, "interrupted"), (3, "running")]
        entries = s.scalars(select(AuditEntry).where(AuditEntry.target == f"request:{rid}"))
        actions = [e.action for e in entries]
        assert actions.count("request.run_started") == 3 and actions.count("request.run_interrupted") == 2


def test_queued_but_never_started_is_picked_up_after_a_grace_period(sqlite_db: Database, company: Company,
                                                                    smtp: SmtpTestServer) -> None:
    env = make_env(sqlite_db, company, smtp)
    rid = prepare(env)
    queued: list[int] = []

    def enqueue(request_id: int) -> int:
        queued.append(request_id)
        return request_id

    assert tasks.resume_interrupted(env, enqueue) == []
    env.clock = lambda: NOW + timedelta(minutes=11)
    assert tasks.resume_interrupted(env, enqueue) == [rid]
    assert queued == [rid]
    assert tasks.resume_interrupted(env, lambda request_id: None) == []  # already in the queue


def test_run_refuses_unverified_and_finished_requests(sqlite_db: Database, company: Company,
                                                      smtp: SmtpTestServer) -> None:
    env = make_env(sqlite_db, company, smtp)
    ctx = env.ctx()
    with sqlite_db.transaction() as s:
        rid = open_request(s, ctx, NewRequest(type="erasure", identities=[f"email={JANE}"])).id
    with sqlite_db.transaction() as s, pytest.raises(ConflictError, match="verify it first"):
        queue_run(s, ctx, rid)
    done = prepare(env)
    tasks.execute_request(env, done)
    with sqlite_db.transaction() as s, pytest.raises(ConflictError, match="is completed"):
        queue_run(s, ctx, done)


def test_access_request_attaches_the_export(sqlite_db: Database, company: Company,
                                            smtp: SmtpTestServer) -> None:
    env = make_env(sqlite_db, company, smtp)
    rid = prepare(env, "access", language="en")
    assert tasks.execute_request(env, rid) == "completed"
    completion = smtp.messages[-1]
    assert completion["Subject"] == "Our answer to your access request (case 1)"
    [zipped] = list(completion.iter_attachments())
    assert zipped.get_filename() == "request-1.zip"
    import io
    import json
    import zipfile

    with zipfile.ZipFile(io.BytesIO(zipped.get_content())) as z:
        data = json.loads(z.read("data.json"))
    assert {t["system"] for t in data["tables"]} == {"sys1", "sys2", "sys3"}
    assert all(company.log(s) == [] for s in company.systems)  # access changes nothing
    with sqlite_db.transaction() as s:
        assert repository.tasks(s, rid) == []  # no Art. 19 tasks for access


def test_hasher_matches_the_request_subject(sqlite_db: Database, company: Company,
                                            smtp: SmtpTestServer) -> None:
    env = make_env(sqlite_db, company, smtp)
    rid = prepare(env, queue=False)
    with sqlite_db.transaction() as s:
        from persondata.identity import Identity

        assert load(s, rid).subject_hash == Hasher(env.settings.hash_key).hash(Identity("email", JANE))
