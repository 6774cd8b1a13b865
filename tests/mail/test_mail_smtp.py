"""SMTP sending against a real in-process server: plain, STARTTLS and implicit TLS, with login."""

from __future__ import annotations

import ssl
from email.message import EmailMessage

import pytest

from persondata.errors import InputError, SystemFailure
from persondata.mail.smtp import SmtpSender
from persondata.mail.testing import SmtpTestServer
from persondata.settings import SmtpSettings


def _message() -> EmailMessage:
    m = EmailMessage()
    m["Subject"] = "Vi har modtaget din anmodning"
    m["From"] = "privacy@nordlys.example"
    m["To"] = "jane@example.dk"
    m.set_content("Hej Jane – æøå")
    return m


@pytest.mark.parametrize(("security", "user"), [("none", None), ("starttls", "mailer"), ("tls", "mailer")])
def test_send_over_each_security_mode(security: str, user: str | None) -> None:
    with SmtpTestServer(security=security, user=user, password="s3cret" if user else None) as server:
        SmtpSender(server.settings, ssl_context=server.client_context).send(_message())
        assert len(server.messages) == 1
        got = server.messages[0]
        assert got["Subject"] == "Vi har modtaget din anmodning"
        assert got.get_content().strip() == "Hej Jane – æøå"
        envelope = server.envelopes[0]
        assert envelope["to"] == ["jane@example.dk"]
        assert envelope["tls"] is (security != "none")
        assert envelope["authenticated"] is (user is not None)


def test_wrong_password_is_a_system_failure() -> None:
    with SmtpTestServer(security="starttls", user="mailer", password="right") as server:
        settings = SmtpSettings(host="127.0.0.1", port=server.port, user="mailer", password="wrong",
                                security="starttls")
        with pytest.raises(SystemFailure, match=r"SMTP 127\.0\.0\.1"):
            SmtpSender(settings, ssl_context=server.client_context).send(_message())
        assert server.messages == []


def test_untrusted_certificate_is_refused() -> None:
    with SmtpTestServer(security="starttls") as server, pytest.raises(SystemFailure, match="CERTIFICATE"):
        SmtpSender(server.settings, ssl_context=ssl.create_default_context()).send(_message())


def test_unreachable_server_and_bad_security_setting() -> None:
    with SmtpTestServer() as server:
        port = server.port
    with pytest.raises(SystemFailure, match=f"127.0.0.1:{port}"):
        SmtpSender(SmtpSettings(host="127.0.0.1", port=port), timeout=2).send(_message())
    with pytest.raises(InputError, match="PERSONDATA_SMTP_SECURITY='ssl'"):
        SmtpSender(SmtpSettings(security="ssl"))
