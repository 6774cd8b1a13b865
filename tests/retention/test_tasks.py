"""The scheduled job: registered as a daily periodic task, runs retention, steps aside when busy."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from huey import MemoryHuey

from persondata.jobs.env import JobEnv
from persondata.retention import service
from persondata.retention.tasks import register, run_daily
from persondata.settings import load_settings

from . import company
from .company import AS_OF


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> JobEnv:
    url = f"sqlite:///{tmp_path / 'company.db'}"
    company.build(url).dispose()
    policy = tmp_path / "privacy.yaml"
    policy.write_text(company.POLICY, encoding="utf-8")
    monkeypatch.setenv("COMPANY_URL", url)
    settings = load_settings(policy_path=policy, database_url=f"sqlite:///{tmp_path / 'state.db'}")
    return JobEnv(settings, clock=lambda: AS_OF)


def test_registered_daily(env: JobEnv) -> None:
    huey = MemoryHuey(utc=True)
    task = register(huey, env)
    assert "retention_run" in task.name
    periodic = task.task_class()
    assert periodic.validate_datetime(datetime(2025, 3, 2, 3, 15))
    assert not periodic.validate_datetime(datetime(2025, 3, 2, 3, 16))
    assert [t for t in huey.read_periodic(datetime(2025, 3, 2, 3, 15))]


def test_run_daily_erases_and_reports(env: JobEnv) -> None:
    out = run_daily(env)
    assert out["status"] == "completed" and out["totals"]["delete"] > 0
    engine = sa.create_engine(os.environ["COMPANY_URL"])
    assert company.ids(engine, "contact") == [2, 4]
    engine.dispose()
    assert service.runs(env.db())[0]["actor"] == "scheduler"
