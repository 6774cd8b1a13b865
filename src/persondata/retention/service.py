"""Retention as the CLI, the API and scheduled jobs use it: plan, run, runs, holds, opt-outs.

Nothing here commits the caller's work: each function opens the transactions it needs on
the state database (a run commits batch by batch, by design) and returns plain data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from persondata.connectors.sql import Systems
from persondata.db.base import utcnow
from persondata.db.engine import Database
from persondata.errors import NotFoundError
from persondata.policy.model import Policy
from persondata.retention import repository
from persondata.retention.expiry import instant
from persondata.retention.planner import Engine, Plan, plan
from persondata.retention.runner import Progress, Runner, RunReport
from persondata.settings import Settings

DEFAULT_BATCH = 5000


def forecast(policy: Policy, settings: Settings, state: Database, *, as_of: datetime | None = None,
             env: Mapping[str, str] | None = None, systems: Systems | None = None) -> Plan:
    """What has expired at as_of (default now); changes nothing."""
    with _systems(policy, env, systems) as sy:
        return plan(Engine(policy, settings, state, sy, instant(as_of or utcnow())))


def run(policy: Policy, settings: Settings, state: Database, *, as_of: datetime | None = None,
        batch_size: int = DEFAULT_BATCH, actor: str = "retention", env: Mapping[str, str] | None = None,
        systems: Systems | None = None, progress: Progress | None = None, crash_at: str | None = None,
        clock: Callable[[], datetime] = utcnow) -> RunReport:
    """Erase everything expired at as_of (default now), in batches; returns the run's report."""
    with _systems(policy, env, systems) as sy:
        engine = Engine(policy, settings, state, sy, instant(as_of or clock()))
        return Runner(engine, batch_size=batch_size, actor=actor, clock=clock, progress=progress,
                      crash_at=crash_at).run()


def run_deferred_erasures(state: Database, policy: Policy, *, now: datetime | None = None,
                          actor: str = "retention", settings: Settings | None = None,
                          env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Carry out the deferred erasures due now, leaving what a DPO hold covers (for the job queue)."""
    from persondata.dsr.deferred import carry_out_deferred
    from persondata.settings import load_settings

    settings = settings or load_settings()
    when = instant(now or utcnow())
    with _systems(policy, env, None) as sy:
        engine = Engine(policy, settings, state, sy, when)
        with state.transaction() as s:
            result = carry_out_deferred(s, policy, hasher=engine.hasher, actor=actor, now=when, systems=sy,
                                        exclude=lambda d: engine.deferred_held(s, d) is not None)
    return result.model_dump(mode="json")


def runs(state: Database, limit: int = 20) -> list[dict[str, Any]]:
    """The newest runs with their totals."""
    with state.transaction() as s:
        return [_run_dict(r) for r in repository.runs(s, limit)]


def show_run(state: Database, run_id: int) -> dict[str, Any]:
    """One run with its items."""
    with state.transaction() as s:
        found = repository.get_run(s, run_id)
        if found is None:
            raise NotFoundError(f"there is no retention run {run_id}")
        out = _run_dict(found)
        out["items"] = [{"system": i.system, "table": i.table, "rule": i.rule, "action": i.action,
                         "rows": i.rows, "batches": i.batches, "oldest": i.oldest}
                        for i in repository.items(s, run_id)]
        return out


def _run_dict(r: Any) -> dict[str, Any]:
    return {"id": r.id, "started_at": r.started_at, "finished_at": r.finished_at, "as_of": r.as_of,
            "status": r.status, "actor": r.actor, "batch_size": r.batch_size, "totals": r.totals or {},
            "error": r.error}


class _systems:
    """The caller's connectors, or new ones closed at the end."""

    def __init__(self, policy: Policy, env: Mapping[str, str] | None, given: Systems | None) -> None:
        self.own = given is None
        self.systems = given if given is not None else Systems(policy, env)

    def __enter__(self) -> Systems:
        return self.systems

    def __exit__(self, *exc: object) -> None:
        if self.own:
            self.systems.close()
