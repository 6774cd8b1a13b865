"""A real SMTP server in this process (aiosmtpd) that keeps what it receives: for tests and the tour.

    with SmtpTestServer(security="starttls", user="u", password="p") as server:
        sender = SmtpSender(server.settings, ssl_context=server.client_context)
        ...
        assert server.messages[0]["Subject"] == "..."

With security "starttls" or "tls" it serves a fresh self-signed certificate for 127.0.0.1;
`client_context` trusts exactly that certificate. aiosmtpd is a development dependency.
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import logging
import socket
import ssl
import tempfile
import warnings
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from types import TracebackType
from typing import Any

from persondata.settings import SmtpSettings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = _dt.datetime.now(_dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _dt.timedelta(minutes=5)).not_valid_after(now + _dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                    x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class _Handler:
    def __init__(self, server: SmtpTestServer) -> None:
        self.server = server

    async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        self.server.messages.append(message)
        self.server.envelopes.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                                      "tls": smtp.transport.get_extra_info("ssl_object") is not None,
                                      "authenticated": bool(session.authenticated)})
        return "250 OK"


class SmtpTestServer:
    """An in-process SMTP server on 127.0.0.1 that records every message it accepts."""

    def __init__(self, security: str = "none", user: str | None = None, password: str | None = None) -> None:
        self.security = security
        self.user = user
        self.password = password
        self.port = _free_port()
        self.messages: list[EmailMessage] = []
        self.envelopes: list[dict[str, Any]] = []
        self.client_context: ssl.SSLContext | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._controller: Any = None

    @property
    def settings(self) -> SmtpSettings:
        """SmtpSettings that reach this server."""
        return SmtpSettings(host="127.0.0.1", port=self.port, user=self.user, password=self.password,
                            security=self.security, sender="privacy@nordlys.example")

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
        from aiosmtpd.smtp import AuthResult

        ok = (auth_data.login.decode(), auth_data.password.decode()) == (self.user, self.password)
        if ok:
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False,
                          message="535 5.7.8 Authentication credentials invalid")

    def __enter__(self) -> SmtpTestServer:
        from aiosmtpd.controller import Controller

        logging.getLogger("mail.log").setLevel(logging.ERROR)  # aiosmtpd's chatter about its own API
        kwargs: dict[str, Any] = {}
        if self.security != "none":
            self._tmp = tempfile.TemporaryDirectory()
            cert, key = _self_signed(Path(self._tmp.name))
            server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            server_ctx.load_cert_chain(cert, key)
            self.client_context = ssl.create_default_context(cafile=str(cert))
            if self.security == "tls":
                kwargs["ssl_context"] = server_ctx
            else:
                kwargs.update(tls_context=server_ctx, require_starttls=True)
        if self.user:
            # implicit TLS is invisible to aiosmtpd's auth_require_tls check (it only knows STARTTLS)
            kwargs.update(authenticator=self._authenticate, auth_required=True,
                          auth_require_tls=self.security == "starttls")
            # ... and then warns that AUTH without (STARTTLS-)TLS is unsafe, on every connection
            warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS",
                                    category=UserWarning)
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port,
                                      server_hostname="127.0.0.1", **kwargs)
        try:
            self._controller.start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._controller is not None and self._controller._thread is not None:
            self._controller.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
