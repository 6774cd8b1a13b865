"""A worker is killed (SIGKILL) in the middle of an erasure over three systems; a new worker finishes it.

Runs on the embedded SQLite queue (SQLite state) and on Redis (PostgreSQL state). The first
worker stops deterministically right after the first system's step has committed (fault
hook), the test kills it, a second worker starts, finds the dead attempt, and completes the
request: every row is erased exactly once (the company databases log each change with a
trigger), and the audit log shows both attempts.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from jobs_company import JANE, Company
from sqlalchemy import select

from persondata.audit import service as audit
from persondata.audit.models import AuditEntry
from persondata.db.engine import Database
from persondata.db.migrate import upgrade
from persondata.jobs.env import JobEnv
from persondata.jobs.queue import JobQueue
from persondata.mail.testing import SmtpTestServer
from persondata.requests import repository
from persondata.requests.execution import queue_run
from persondata.requests.service import NewRequest, load, open_request, verify_manual
from persondata.settings import load_settings

pytestmark = pytest.mark.slow


def wait_for(what: str, check: Callable[[], bool], proc: subprocess.Popen[bytes], log: Path,
             timeout: float = 90) -> None:
    """Poll until check() holds; fail with the worker's output if it dies or time runs out."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        if proc.poll() is not None:
            pytest.fail(f"worker exited ({proc.returncode}) before {what}:\n{log.read_text()}")
        time.sleep(0.1)
    proc.kill()
    proc.wait()
    pytest.fail(f"timed out waiting for {what}:\n{log.read_text()}")


def worker(env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    """Start `persondata worker` in its own process, its output going to a log file."""
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-c", "from persondata.cli.main import run; run()",
                                 "worker", "--no-periodic"], env=env, cwd=cwd, stdout=out,
                                stderr=subprocess.STDOUT)


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_killed_worker_is_resumed_and_every_row_erased_once(backend: str, company: Company, tmp_path: Path,
                                                           request: pytest.FixtureRequest) -> None:
    state_url = (request.getfixturevalue("sqlite_url") if backend == "sqlite"
                 else request.getfixturevalue("pg_url"))
    redis_url = request.getfixturevalue("redis_url") if backend == "redis" else None
    queue_name = f"pdtest-{uuid.uuid4().hex[:8]}"
    db = Database(state_url)
    upgrade(db)
    with SmtpTestServer() as smtp:
        settings = load_settings(policy_path=company.policy_path, database_url=state_url,
                                 redis_url=redis_url).with_overrides(smtp=smtp.settings)
        env = JobEnv(settings=settings, database=db)
        ctx = env.ctx("dpo")
        with db.transaction() as s:
            rid = open_request(s, ctx, NewRequest(type="erasure", identities=[f"email={JANE}"])).id
            verify_manual(s, ctx, rid, "ID checked at the counter")
            queue_run(s, ctx, rid)
        queue = JobQueue(env, queue_name, periodic=False)
        queue.enqueue(rid)

        marker = tmp_path / "paused"
        base = {**os.environ, "PERSONDATA_POLICY": str(company.policy_path),
                "PERSONDATA_DATABASE_URL": state_url, "PERSONDATA_QUEUE_NAME": queue_name,
                "PERSONDATA_SMTP_HOST": "127.0.0.1", "PERSONDATA_SMTP_PORT": str(smtp.port)}
        if redis_url:
            base["PERSONDATA_REDIS_URL"] = redis_url
        else:
            base.pop("PERSONDATA_REDIS_URL", None)
        first = worker({**base, "PERSONDATA_FAULT_AFTER_STEPS": "1", "PERSONDATA_FAULT_MODE": "pause",
                        "PERSONDATA_FAULT_MARKER": str(marker)}, tmp_path, tmp_path / "worker1.log")
        try:
            wait_for("the first system to be erased", marker.exists, first, tmp_path / "worker1.log")
            # the first worker is paused right after sys1 committed: sys1 done, sys2 and sys3 untouched
            assert len(company.log("sys1")) == 4
            assert company.log("sys2") == [] and company.log("sys3") == []
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=30)
        finally:
            if first.poll() is None:
                first.kill()
                first.wait()
        assert first.returncode == -signal.SIGKILL

        def completed() -> bool:
            with db.transaction() as s:
                return load(s, rid).state == "completed"

        log2 = tmp_path / "worker2.log"
        second = worker(base, tmp_path, log2)
        try:
            wait_for("the request to complete", completed, second, log2)
            wait_for("the completion mail", lambda: len(smtp.messages) >= 2, second, log2)
        finally:
            second.send_signal(signal.SIGINT)
            try:
                second.wait(timeout=30)
            except subprocess.TimeoutExpired:
                second.kill()
                second.wait()

    # every row of Jane's erased exactly once; Bob's untouched
    for system, rows in company.jane.items():
        assert sorted(company.log(system)) == sorted((t, i, "delete") for t, i in rows), system
        assert company.count(system, "customer") == 1 and company.count(system, "orders") == 2
    with db.transaction() as s:
        runs = [(r.attempt, r.status) for r in repository.runs(s, rid)]
        assert runs == [(1, "interrupted"), (2, "done")]
        assert [(st.system, st.attempt) for st in repository.steps(s, rid)] == [
            ("sys1", 1), ("sys2", 2), ("sys3", 2)]
        entries = s.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        mine = [e.action for e in entries if e.target == f"request:{rid}"]
        assert mine.count("request.run_started") == 2
        assert mine.count("request.run_interrupted") == 1
        assert mine.count("request.completed") == 1
        erased = [e.target for e in entries
                  if e.action == "dsr.erase" and json.loads(e.details)["status"] == "done"]
        assert sorted(erased) == ["sys1", "sys2", "sys3"]  # each system erased once, across two attempts
        assert audit.verify(s).ok
    subjects = [m["Subject"] for m in smtp.messages]
    assert subjects.count("Svar på din anmodning om sletning (sag 1)") == 1  # completion sent once
    assert "resumed requests 1" in log2.read_text()
    if redis_url:
        queue.huey.storage.flush_all()
    db.dispose()
