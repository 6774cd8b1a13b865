"""The Huey queue: SQLite file beside the state database by default, Redis with PERSONDATA_REDIS_URL.

`JobQueue(env)` registers persondata's tasks on a Huey instance bound to that environment;
the CLI enqueues through it and `persondata worker` consumes from it. Both sides build the
same queue from the same settings, so task names and storage match.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey, crontab

from persondata.jobs import tasks
from persondata.jobs.env import JobEnv, state_dir

log = logging.getLogger("persondata.jobs")
DEFAULT_NAME = "persondata"


def build_huey(env: JobEnv, name: str = DEFAULT_NAME) -> Huey:
    """A Huey on Redis when a Redis URL is set, else on an SQLite file beside the state database."""
    if env.settings.redis_url:
        return RedisHuey(name, url=env.settings.redis_url, utc=True)
    path = state_dir(env.settings) / "persondata-jobs.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(path), utc=True)


def describe(huey: Huey) -> str:
    """Where the queue lives, for messages."""
    storage: Any = huey.storage
    if isinstance(huey, RedisHuey):
        kwargs = storage.conn.connection_pool.connection_kwargs
        return f"redis://{kwargs.get('host')}:{kwargs.get('port')}/{kwargs.get('db', 0)} (queue {huey.name})"
    return f"sqlite {storage.filename} (queue {huey.name})"


class JobQueue:
    """persondata's tasks on one Huey instance."""

    def __init__(self, env: JobEnv, name: str = DEFAULT_NAME, periodic: bool = True) -> None:
        self.env = env
        self.huey = build_huey(env, name)
        h = self.huey
        self.execute = h.task(retries=3, retry_delay=60, name="execute_request")(self._execute)
        self.deliver = h.task(name="deliver_mail")(self._deliver)
        if periodic:
            h.periodic_task(crontab(minute="*"), name="resume_and_deliver")(self._every_minute)
            h.periodic_task(crontab(hour="6", minute="0"), name="deadline_reminders")(self._reminders)
            h.periodic_task(crontab(hour="2", minute="30"), name="deferred_erasures")(self._deferred)
            from persondata.retention.tasks import register as register_retention

            register_retention(h, env)  # the daily `retention run` (03:15 UTC)

    def _execute(self, request_id: int) -> str:
        return tasks.execute_request(self.env, request_id)

    def _deliver(self, request_id: int | None = None) -> int:
        return len(tasks.deliver_mail(self.env, request_id).sent)

    def _every_minute(self) -> None:
        tasks.resume_interrupted(self.env, self._enqueue_if_absent)
        tasks.deliver_mail(self.env)

    def queued_ids(self) -> set[int]:
        """Requests whose execution is waiting in the queue or scheduled for a retry."""
        name = self.execute.name
        waiting = [*self.huey.pending(), *self.huey.scheduled()]
        return {int(t.args[0]) for t in waiting if t.name == name and t.args}

    def _enqueue_if_absent(self, request_id: int) -> str | None:
        if request_id in self.queued_ids():
            return None
        return self.enqueue(request_id)

    def _reminders(self) -> dict[str, Any]:
        return tasks.send_reminders(self.env)

    def _deferred(self) -> dict[str, Any]:
        return tasks.deferred_erasures_due(self.env)

    def enqueue(self, request_id: int) -> str:
        """Queue a request's execution; returns the task id."""
        result = self.execute(request_id)
        return str(result.id)

    def resume(self) -> list[int]:
        """Queue again what died with a previous worker and is not in the queue (run when a worker starts)."""
        return tasks.resume_interrupted(self.env, self._enqueue_if_absent, grace=timedelta(0))

    def pending(self) -> int:
        """Tasks waiting in the queue."""
        return int(self.huey.pending_count())

    def where(self) -> str:
        """Where the queue lives."""
        return describe(self.huey)

    def consume(self, workers: int = 1, periodic: bool = True) -> None:
        """Run a consumer until SIGINT/SIGTERM (blocking)."""
        consumer = self.huey.create_consumer(workers=workers, periodic=periodic, worker_type="thread",
                                             initial_delay=0.1, max_delay=1.0, check_worker_health=True)
        consumer.run()
