"""What a job needs, built once per process from the settings: state database, policy, mail, clock."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import make_url

from persondata.db.base import utcnow
from persondata.db.engine import Database
from persondata.errors import InputError
from persondata.identity import Hasher
from persondata.mail.smtp import Sender, SmtpSender
from persondata.policy.model import Policy
from persondata.requests.execution import LEASE
from persondata.requests.service import Ctx
from persondata.settings import Settings


def state_dir(settings: Settings) -> Path:
    """The directory of a SQLite state database, else the policy's directory."""
    url = make_url(settings.state_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent
    return settings.policy_path.resolve().parent


def lease_from_env(env: dict[str, str] | None = None) -> timedelta:
    """PERSONDATA_JOB_LEASE_SECONDS: how long an attempt without heartbeat counts as alive."""
    raw = (env if env is not None else os.environ).get("PERSONDATA_JOB_LEASE_SECONDS")
    if not raw:
        return LEASE
    try:
        return timedelta(seconds=int(raw))
    except ValueError as exc:
        raise InputError(f"PERSONDATA_JOB_LEASE_SECONDS={raw!r} is not a whole number") from exc


@dataclass
class JobEnv:
    """Settings plus what is derived from them, opened lazily and kept for the process."""

    settings: Settings
    policy_override: Policy | None = None
    clock: Callable[[], datetime] = utcnow
    lease: timedelta = LEASE
    sender: Sender | None = None
    actor: str = "worker"
    database: Database | None = field(default=None, repr=False)
    _policy: tuple[float, Policy] | None = field(default=None, repr=False)
    _own_db: bool = field(default=False, repr=False)

    def db(self) -> Database:
        """The state database (migrated); the one given, or opened here."""
        if self.database is None:
            from persondata.db.migrate import ensure_current

            self.database = Database(self.settings.state_url)
            self._own_db = True
            ensure_current(self.database)
        return self.database

    def policy(self) -> Policy:
        """The policy, reloaded when the file changes."""
        if self.policy_override is not None:
            return self.policy_override
        from persondata.policy.loader import load_policy

        path = self.settings.policy_path
        mtime = path.stat().st_mtime if path.exists() else 0.0
        if self._policy is None or self._policy[0] != mtime:
            self._policy = (mtime, load_policy(path).policy)
        return self._policy[1]

    def ctx(self, actor: str | None = None) -> Ctx:
        """A workflow context at the current time."""
        return Ctx(policy=self.policy(), hasher=Hasher(self.settings.require("hash_key")),
                   secret_key=self.settings.require("secret_key"), actor=actor or self.actor,
                   now=self.clock())

    def mail_sender(self) -> Sender:
        """Where mail goes (settings.smtp unless a sender was given)."""
        return self.sender or SmtpSender(self.settings.smtp)

    def from_addr(self) -> str:
        """The From address: PERSONDATA_SMTP_SENDER, else the policy's rights contact or controller."""
        policy = self.policy()
        contact = policy.rights.contact if policy.rights.contact and "@" in policy.rights.contact else None
        return self.settings.smtp.sender or contact or policy.controller.email

    @property
    def exports_dir(self) -> Path:
        """Where access exports are written."""
        return state_dir(self.settings) / "exports"

    def close(self) -> None:
        """Release database connections."""
        if self.database is not None and self._own_db:
            self.database.dispose()
            self.database = None
