"""Settings: read from the environment once, at the boundary, and passed in."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from persondata.errors import InputError

DEFAULT_POLICY = "privacy.yaml"


@dataclass(frozen=True)
class SmtpSettings:
    """Where outgoing mail goes."""

    host: str = "localhost"
    port: int = 25
    user: str | None = None
    password: str | None = None
    security: str = "none"  # none | starttls | tls
    sender: str | None = None


@dataclass(frozen=True)
class Settings:
    """Everything persondata needs from its environment."""

    policy_path: Path = Path(DEFAULT_POLICY)
    database_url: str | None = None
    secret_key: str = ""
    hash_key: str = ""
    master_key: str = ""
    redis_url: str | None = None
    admin_key_hash: str | None = None
    base_url: str = "http://127.0.0.1:8000"
    smtp: SmtpSettings = field(default_factory=SmtpSettings)

    @property
    def state_url(self) -> str:
        """persondata's own database: explicit URL, else SQLite beside the policy."""
        if self.database_url:
            return self.database_url
        db = self.policy_path.resolve().parent / "persondata.db"
        return f"sqlite:///{db}"

    def with_overrides(self, **changes: object) -> Settings:
        """Return a copy with some fields replaced."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def require(self, name: str) -> str:
        """Return a secret setting or fail with a message naming its variable."""
        value = getattr(self, name)
        if not value:
            raise InputError(f"PERSONDATA_{name.upper()} is not set; persondata needs it here")
        return str(value)


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise InputError(f"{name}={raw!r} is not a whole number") from exc


def load_settings(env: dict[str, str] | None = None, **overrides: object) -> Settings:
    """Build Settings from environment variables (PERSONDATA_*), then apply overrides."""
    env = dict(os.environ) if env is None else env
    smtp = SmtpSettings(
        host=env.get("PERSONDATA_SMTP_HOST", "localhost"),
        port=_int(env, "PERSONDATA_SMTP_PORT", 25),
        user=env.get("PERSONDATA_SMTP_USER") or None,
        password=env.get("PERSONDATA_SMTP_PASSWORD") or None,
        security=env.get("PERSONDATA_SMTP_SECURITY", "none"),
        sender=env.get("PERSONDATA_SMTP_SENDER") or None,
    )
    settings = Settings(
        policy_path=Path(env.get("PERSONDATA_POLICY", DEFAULT_POLICY)),
        database_url=env.get("PERSONDATA_DATABASE_URL") or None,
        secret_key=env.get("PERSONDATA_SECRET_KEY", ""),
        hash_key=env.get("PERSONDATA_HASH_KEY", ""),
        master_key=env.get("PERSONDATA_MASTER_KEY", ""),
        redis_url=env.get("PERSONDATA_REDIS_URL") or None,
        admin_key_hash=env.get("PERSONDATA_ADMIN_KEY_HASH") or None,
        base_url=env.get("PERSONDATA_BASE_URL", "http://127.0.0.1:8000"),
        smtp=smtp,
    )
    clean = {k: v for k, v in overrides.items() if v is not None}
    return settings.with_overrides(**clean) if clean else settings
