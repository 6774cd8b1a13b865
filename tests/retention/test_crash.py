"""A run killed (SIGKILL) in the middle leaves nothing half-done; the next run finishes the job.

The run is the real console entry point in a subprocess; the env hook
PERSONDATA_RETENTION_CRASH=<point>:<batch> makes it kill itself at a deterministic point:
`journal` (batch journaled, company untouched), `company` (rows erased, not yet committed),
`committed` (company committed, journal not yet closed). The next run (in-process) settles
what the killed one left and finishes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from persondata.audit.models import AuditEntry
from persondata.audit.service import verify
from persondata.db.engine import Database
from persondata.retention import service
from persondata.retention.models import RetentionBatch, RetentionRun
from persondata.settings import load_settings

from . import company
from .company import AS_OF

EXPIRED, KEPT, BATCH = 47, 5, 10


def _rows() -> dict[str, list[dict[str, object]]]:
    old = datetime(2022, 1, 1)
    rows = [{"id": i, "name": f"Old {i}", "email": f"old{i}@x.dk",
             "last_contact_at": old + timedelta(hours=i)} for i in range(1, EXPIRED + 1)]
    rows += [{"id": 1000 + i, "name": "New", "email": f"new{i}@x.dk", "last_contact_at": datetime(2025, 1, 1)}
             for i in range(KEPT)]
    return {"contact": rows}


def _run(tmp: Path, url: str, crash: str | None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COMPANY_URL=url, PERSONDATA_POLICY=str(tmp / "privacy.yaml"),
               PERSONDATA_DATABASE_URL=f"sqlite:///{tmp / 'state.db'}")
    env.pop("PERSONDATA_RETENTION_CRASH", None)
    if crash:
        env["PERSONDATA_RETENTION_CRASH"] = crash
    return subprocess.run([sys.executable, "-c", "from persondata.cli.main import run; run()", "retention",
                           "run", "--as-of", "2025-03-01T12:00", "--batch-size", str(BATCH)],
                          capture_output=True, text=True, env=env, timeout=120)


def _crash_and_finish(tmp: Path, url: str, point: str) -> None:
    engine = company.build(url, _rows())
    (tmp / "privacy.yaml").write_text(company.POLICY, encoding="utf-8")
    first = _run(tmp, url, f"{point}:3")
    assert first.returncode == -signal.SIGKILL, first.stderr
    left = len(company.ids(engine, "contact"))
    erased_before_crash = 2 * BATCH + (BATCH if point == "committed" else 0)
    assert left == EXPIRED + KEPT - erased_before_crash  # whole batches only, nothing half-done

    state = Database(f"sqlite:///{tmp / 'state.db'}")
    second = service.run(company.policy(url), load_settings(), state, as_of=AS_OF, batch_size=BATCH)
    assert second.status == "completed" and second.settled == (point == "committed")
    assert company.ids(engine, "contact") == [1000 + i for i in range(KEPT)]
    engine.dispose()

    with state.transaction() as s:
        runs = s.scalars(sa.select(RetentionRun).order_by(RetentionRun.id)).all()
        assert [r.status for r in runs] == ["interrupted", "completed"]
        batches = s.scalars(sa.select(RetentionBatch)).all()
        assert not [b for b in batches if b.status == "pending"]
        entries = s.scalars(sa.select(AuditEntry).where(AuditEntry.action == "retention.delete",
                                                        AuditEntry.target == "main.contact")).all()
        details = [json.loads(e.details) for e in entries]
        assert sum(d["rows"] for d in details) == EXPIRED  # every row audited exactly once
        assert len(entries) == len([b for b in batches if b.status == "done"])  # one entry per batch
        assert [d.get("recovered", False) for d in details].count(True) == (point == "committed")
        assert verify(s).ok
    state.dispose()


@pytest.mark.slow
def test_crash_after_company_commit(company_url: str, tmp_path: Path) -> None:
    _crash_and_finish(tmp_path, company_url, "committed")


@pytest.mark.slow
@pytest.mark.parametrize("point", ["journal", "company"])
def test_crash_before_company_commit(sqlite_url: str, tmp_path: Path, point: str) -> None:
    _crash_and_finish(tmp_path, sqlite_url, point)
