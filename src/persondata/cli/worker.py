"""`persondata worker`: run the background jobs (request execution, mail, reminders, deferred erasures)."""

from __future__ import annotations

import logging

import typer

from persondata.cli import _context


def worker(
    ctx: typer.Context,
    workers: int = typer.Option(1, "--workers", "-w", min=1, help="Worker threads."),
    periodic: bool = typer.Option(True, "--periodic/--no-periodic",
                                  help="Also run the scheduled jobs (run them on one worker only)."),
    queue_name: str = typer.Option("persondata", "--queue", envvar="PERSONDATA_QUEUE_NAME",
                                   help="Queue name (must match what `requests run` uses)."),
) -> None:
    """Consume the job queue (SQLite beside the state database, or Redis with PERSONDATA_REDIS_URL)."""
    from persondata.jobs.env import JobEnv, lease_from_env
    from persondata.jobs.queue import JobQueue

    c = _context.get(ctx)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    env = JobEnv(settings=c.settings, lease=lease_from_env())
    env.db()  # fail fast when the state database is unreachable
    env.policy()
    queue = JobQueue(env, queue_name, periodic=periodic)
    resumed = queue.resume()
    c.err.print(f"persondata worker on {queue.where()}, {workers} thread(s)"
                + (f"; resumed requests {', '.join(map(str, resumed))}" if resumed else ""), highlight=False)
    try:
        queue.consume(workers=workers, periodic=periodic)
    finally:
        env.close()


def register(app: typer.Typer) -> None:
    """Add the worker command."""
    app.command("worker")(worker)
