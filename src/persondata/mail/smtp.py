"""Send a message over SMTP: plain, STARTTLS or implicit TLS, with login when a user is set."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Protocol

from persondata.errors import InputError, SystemFailure
from persondata.settings import SmtpSettings

SECURITY = ("none", "starttls", "tls")


class Sender(Protocol):
    """Anything that can hand a message to a mail server."""

    def send(self, message: EmailMessage) -> None:
        """Send one message or raise SystemFailure."""


class SmtpSender:
    """An SMTP client configured from settings.smtp (host, port, user, password, security)."""

    def __init__(self, smtp: SmtpSettings, ssl_context: ssl.SSLContext | None = None,
                 timeout: float = 30.0) -> None:
        if smtp.security not in SECURITY:
            raise InputError(f"PERSONDATA_SMTP_SECURITY={smtp.security!r}; use one of {', '.join(SECURITY)}")
        self.smtp = smtp
        self.timeout = timeout
        self._context = ssl_context

    def _ssl(self) -> ssl.SSLContext:
        return self._context or ssl.create_default_context()

    def send(self, message: EmailMessage) -> None:
        """Connect, secure the connection as configured, log in, send, quit."""
        s = self.smtp
        try:
            client: smtplib.SMTP
            if s.security == "tls":
                client = smtplib.SMTP_SSL(s.host, s.port, timeout=self.timeout, context=self._ssl())
            else:
                client = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
            with client:
                client.ehlo()
                if s.security == "starttls":
                    client.starttls(context=self._ssl())
                    client.ehlo()
                if s.user:
                    client.login(s.user, s.password or "")
                client.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise SystemFailure(f"SMTP {s.host}:{s.port} ({s.security}): {exc}") from exc
