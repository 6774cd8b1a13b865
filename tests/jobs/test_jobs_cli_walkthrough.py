"""The DPO's walk-through through the CLI alone: open -> code -> verify -> run -> Art. 19 -> close.

On SQLite state with the request run inline, and on PostgreSQL state with the request queued
on Redis and carried out by a `persondata worker` process. The code is read from the mail the
in-process SMTP server received, as the subject would.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from jobs_company import JANE, Company

from persondata.cli.main import run
from persondata.mail.testing import SmtpTestServer


class Cli:
    """Run `persondata` in this process with the test's environment; returns (exit code, JSON or text)."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    def __call__(self, *args: str, json_out: bool = True) -> tuple[int, object, str]:
        self.capsys.readouterr()
        try:
            run(["--json", *args] if json_out else list(args))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = self.capsys.readouterr()
        data = json.loads(captured.out) if json_out and captured.out.strip() else captured.out
        return code, data, captured.err


def _code_from(smtp: SmtpTestServer) -> str:
    [mail] = [m for m in smtp.messages if "kode" in m["Subject"] or "code" in m["Subject"]]
    match = re.search(r"^\s+(\d{6})\s*$", mail.get_content(), re.MULTILINE)
    assert match, mail.get_content()
    return match.group(1)


def _walk(cli: Cli, smtp: SmtpTestServer, company: Company, run_step: list[str]) -> dict[str, object]:
    code, opened, err = cli("requests", "open", "--type", "erasure", "--identity", f"email={JANE}",
                            "--received", "2026-11-01", "--channel", "letter", "--language", "da")
    assert code == 0, err
    assert isinstance(opened, dict)
    rid = str(opened["id"])
    assert opened["state"] == "awaiting_verification"
    assert opened["due_on"] == "2026-12-01"  # Sunday 1 Nov 2026 -> Tuesday 1 Dec 2026
    assert [m["Subject"] for m in smtp.messages] == [f"Vi har modtaget din anmodning om sletning (sag {rid})",
                                                     f"Din kode til sag {rid}"]
    code, _, err = cli("requests", "run", rid)
    assert code == 2 and "verify it first" in err
    wrong = "000000" if _code_from(smtp) != "000000" else "111111"
    code, _, err = cli("requests", "verify", rid, "--code", wrong)
    assert code == 1 and "wrong code; 4 attempts left" in err
    code, verified, err = cli("requests", "verify", rid, "--code", _code_from(smtp))
    assert code == 0, err
    assert isinstance(verified, dict) and verified["state"] == "verified"
    code, queued, err = cli("requests", *run_step[:1], rid, *run_step[1:])
    assert code == 0, err
    return {"id": rid, "run": queued}


def _finish(cli: Cli, smtp: SmtpTestServer, company: Company, rid: str) -> None:
    code, shown, _ = cli("requests", "show", rid)
    assert code == 0 and isinstance(shown, dict)
    assert shown["state"] == "completed"
    assert shown["result"]["counts"]["deleted"] == 12  # type: ignore[index]
    assert [t["recipient"] for t in shown["notifications"]] == ["sms_partner"]  # type: ignore[union-attr]
    for system, rows in company.jane.items():
        assert sorted(company.log(system)) == sorted((t, i, "delete") for t, i in rows)
    completion = smtp.messages[-1]
    assert completion["Subject"] == f"Svar på din anmodning om sletning (sag {rid})"
    code, _, err = cli("requests", "close", rid)
    assert code == 2 and "sms_partner" in err
    code, _, err = cli("requests", "notify-done", rid, "sms_partner", "--note", "e-mailed their DPO")
    assert code == 0, err
    code, closed, err = cli("requests", "close", rid)
    assert code == 0, err
    assert isinstance(closed, dict) and closed["closed_at"]
    code, listed, _ = cli("requests", "list")
    assert code == 0 and listed == []  # closed requests leave the queue
    code, listed, _ = cli("requests", "list", "--all")
    assert isinstance(listed, list) and [r["id"] for r in listed] == [int(rid)]
    code, text, _ = cli("requests", "show", rid, json_out=False)
    assert "closed" in str(text) and "recipient_notified" in str(text)
    code, verdict, _ = cli("audit", "verify")
    assert code == 0 and isinstance(verdict, dict) and verdict["ok"]


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, company: Company, smtp: SmtpTestServer) -> None:
    monkeypatch.setenv("PERSONDATA_POLICY", str(company.policy_path))
    monkeypatch.setenv("PERSONDATA_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PERSONDATA_SMTP_PORT", str(smtp.port))
    monkeypatch.setenv("PERSONDATA_ACTOR", "dpo@nordlys.example")
    monkeypatch.delenv("PERSONDATA_REDIS_URL", raising=False)


@pytest.mark.slow
@pytest.mark.usefixtures("environment")
def test_walkthrough_sqlite_state_inline(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                         company: Company, smtp: SmtpTestServer, sqlite_url: str) -> None:
    monkeypatch.setenv("PERSONDATA_DATABASE_URL", sqlite_url)
    cli = Cli(capsys)
    walked = _walk(cli, smtp, company, ["run", "--inline"])
    assert walked["run"]["outcome"] == "completed"  # type: ignore[index]
    _finish(cli, smtp, company, str(walked["id"]))


@pytest.mark.slow
@pytest.mark.usefixtures("environment")
def test_walkthrough_postgres_state_redis_worker(capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch, company: Company,
                                                 smtp: SmtpTestServer, pg_url: str, redis_url: str,
                                                 tmp_path: Path) -> None:
    queue = f"pdtest-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("PERSONDATA_DATABASE_URL", pg_url)
    monkeypatch.setenv("PERSONDATA_REDIS_URL", redis_url)
    monkeypatch.setenv("PERSONDATA_QUEUE_NAME", queue)
    cli = Cli(capsys)
    walked = _walk(cli, smtp, company, ["run"])
    assert "redis://127.0.0.1:6379" in str(walked["run"]["queue"])  # type: ignore[index]
    rid = str(walked["id"])
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen([sys.executable, "-c", "from persondata.cli.main import run; run()",
                                   "worker", "--no-periodic"], env=dict(os.environ), stdout=out,
                                  stderr=subprocess.STDOUT)
    try:
        end = time.monotonic() + 90
        while time.monotonic() < end:
            _, shown, _ = cli("requests", "show", rid)
            if isinstance(shown, dict) and shown["state"] == "completed" and len(smtp.messages) >= 3:
                break
            assert worker.poll() is None, log.read_text()
            time.sleep(0.2)
        else:
            pytest.fail(f"the worker did not complete request {rid}:\n{log.read_text()}")
    finally:
        worker.send_signal(signal.SIGINT)
        worker.wait(timeout=30)
    _finish(cli, smtp, company, rid)


@pytest.mark.slow
@pytest.mark.usefixtures("environment")
def test_cli_queue_extension_rejection_letters(capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch, smtp: SmtpTestServer,
                                               sqlite_url: str, tmp_path: Path) -> None:
    monkeypatch.setenv("PERSONDATA_DATABASE_URL", sqlite_url)
    cli = Cli(capsys)
    code, old, _ = cli("requests", "open", "--type", "access", "--identity", "email=old@example.dk",
                       "--received", "2026-09-01T10:00", "--no-code")
    assert code == 0 and isinstance(old, dict) and old["due_on"] == "2026-10-01" and old["flag"] == "overdue"
    code, _, err = cli("requests", "extend", str(old["id"]), "--months", "2", "--reason", "complex")
    assert code == 2 and "the first deadline was 2026-10-01" in err and "too late" in err
    code, new, _ = cli("requests", "open", "--type", "restriction", "--identity", "phone=+4520123456",
                       "--channel", "phone", "--language", "en")
    assert code == 0 and isinstance(new, dict) and new["verification"] == "manual" and new["mail"] == []
    rid = str(new["id"])
    code, _, err = cli("requests", "extend", rid, "--reason", "complex")
    assert code == 2 and "--notified" in err
    code, extended, err = cli("requests", "extend", rid, "--months", "1", "--reason", "data in 3 systems",
                              "--notified", "phoned the subject")
    assert code == 0, err
    assert isinstance(extended, dict) and extended["extended"] and extended["extension_months"] == 1
    out = tmp_path / "letter.txt"
    code, _, _ = cli("requests", "letter", rid, "extension", "-o", str(out))
    assert code == 0 and "Reason: data in 3 systems" in out.read_text()
    code, _, err = cli("requests", "reject", rid, "--reason", "")
    assert code == 2 and "needs a reason" in err
    code, rejected, _ = cli("requests", "reject", str(old["id"]), "--reason", "identity not proven")
    assert code == 0 and isinstance(rejected, dict) and rejected["state"] == "rejected"
    assert "klage til Datatilsynet" in smtp.messages[-1].get_content()  # the policy's first language
    monkeypatch.setenv("COLUMNS", "200")
    code, text, _ = cli("requests", "list", json_out=False)
    assert code == 0
    assert "restriction" in str(text) and re.search(r"\d{4}-\d\d-\d\d ext", str(text))
    assert "2 requests, 0 overdue" in str(text)  # the rejected one stays until closed
    code, box, _ = cli("requests", "outbox")
    assert code == 0 and isinstance(box, dict) and box["waiting"] == []
    code, _, err = cli("requests", "verify", rid)
    assert code == 2 and "either --code" in err
    code, _, err = cli("requests", "show", "999")
    assert code == 2 and "no request 999" in err
