"""Background jobs on Huey: request execution, mail delivery, reminders, deferred erasures.

Why Huey: it is a small, mature task queue with exactly the two backends persondata needs.
On one machine it runs on an embedded SQLite file (no service to install; the queue lives
beside the state database), and with `PERSONDATA_REDIS_URL` set the same tasks run on Redis,
shared by any number of `persondata worker` processes on any number of machines. It has
periodic tasks (crontab), retries with delays, and a consumer with signal handling; and it
is one pure-Python dependency (Celery would bring a broker abstraction and many packages for
nothing we use; RQ has no embedded backend).

Huey removes a task from the queue when a worker takes it, so a worker killed mid-task loses
the message. persondata does not rely on the queue for durability: the state database
records every attempt (host, pid, heartbeat) and every finished step, and a worker that
starts (and every minute after) re-queues requests whose attempt died. Tasks take ids, open
their own sessions, and are idempotent, so a duplicate message is harmless.
"""
