"""The scheduled retention job: `retention run` once a day (03:15 UTC by default) on the job queue.

`register(huey, env)` adds it to persondata's Huey instance (persondata.jobs.queue); the job
takes nothing but the environment, opens its own sessions and is safe to repeat: a run that
finds another one in progress steps aside, and a run killed half-way is settled by the next.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from persondata.errors import ConflictError

if TYPE_CHECKING:
    from huey import Huey

    from persondata.jobs.env import JobEnv

log = logging.getLogger("persondata.retention")
SCHEDULE = {"hour": "3", "minute": "15"}


def run_daily(env: JobEnv) -> dict[str, Any]:
    """Erase everything that has expired now; returns the run's id, status and totals."""
    from persondata.retention import service

    try:
        report = service.run(env.policy(), env.settings, env.db(), actor="scheduler", clock=env.clock)
    except ConflictError as exc:
        log.info("retention run skipped: %s", exc)
        return {"skipped": str(exc)}
    if report.warnings:
        log.warning("retention: %s", "; ".join(report.warnings))
    return {"run": report.run_id, "status": report.status, "totals": report.totals}


def register(huey: Huey, env: JobEnv, schedule: dict[str, str] | None = None) -> Callable[..., Any]:
    """Add the daily retention run to a Huey instance as a periodic task."""
    from huey import crontab

    def retention_run() -> dict[str, Any]:
        return run_daily(env)

    return huey.periodic_task(crontab(**(schedule or SCHEDULE)), name="retention_run")(retention_run)
