"""The consent and audit commands, run through the real entry point."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from persondata.cli.main import run

from .conftest import POLICY_FILE


class Result:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def cli(state_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", "200")

    def invoke(*args: str, stdin: str | None = None) -> Result:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
        capsys.readouterr()
        try:
            run(["--policy", str(POLICY_FILE), "--database", state_url, *args])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke


def test_give_check_withdraw_history(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("consent", "check", "-i", "email=jane@example.dk", "--purpose", "newsletter")
    assert r.code == 1 and "NOT allowed" in r.out and "no consent recorded" in r.out
    r = cli("consent", "give", "-i", "email=Jane@Example.dk", "--purpose", "newsletter",
            "--ip", "192.0.2.10", "--user-agent", "Paper form", "--provenance", "Signed at the fair")
    assert r.code == 0, r.err
    assert "consent given: email=jane@example.dk / newsletter" in r.out
    r = cli("consent", "check", "-i", "email=jane@example.dk", "--purpose", "newsletter")
    assert r.code == 0 and r.out.startswith("allowed")
    r = cli("consent", "withdraw", "-i", "email=jane@example.dk", "--purpose", "newsletter")
    assert r.code == 0
    r = cli("--json", "consent", "check", "-i", "email=jane@example.dk", "--purpose", "newsletter")
    assert r.code == 1 and json.loads(r.out)["reason"] == "consent withdrawn"
    r = cli("consent", "history", "-i", "email=jane@example.dk", "--json")
    data = json.loads(r.out)
    assert [e["action"] for e in data["events"]] == ["given", "withdrawn"]
    assert data["events"][0]["ip_prefix"] == "192.0.2.0/24"
    assert data["events"][0]["provenance"] == "Signed at the fair"
    r = cli("consent", "history", "-i", "email=jane@example.dk")
    assert "consent history of email=jane@example.dk" in r.out and "192.0.2.0/24" in r.out
    r = cli("audit", "verify")
    assert r.code == 0 and "audit chain intact: 4 entries" in r.out
    anchor = r.out.split("head ")[1].strip()
    assert cli("audit", "verify", "--anchor", anchor).code == 0
    assert cli("audit", "verify", "--anchor", "9:" + "0" * 64).code == 1
    assert cli("audit", "verify", "--anchor", "nonsense").code == 2
    r = cli("audit", "tail", "-n", "3", "--json")
    assert [e["action"] for e in json.loads(r.out)] == ["consent.withdrawn", "consent.history_read",
                                                         "consent.history_read"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("give", "-i", "email=a@b.dk", "--purpose", "telemarketing"), "not a consent purpose"),
        (("give", "-i", "email=nope", "--purpose", "newsletter"), "not a valid e-mail address"),
        (("give", "-i", "a@b.dk", "--purpose", "newsletter"), "must look like KIND=VALUE"),
        (("give", "-i", "email=a@b.dk", "--purpose", "newsletter", "--at", "yesterday"), "not a date"),
        (("give", "-i", "email=a@b.dk", "--purpose", "newsletter", "--ip", "1.2.3"), "not an IP"),
        (("give", "-i", "email=a@b.dk", "--purpose", "newsletter", "--notice-hash", "x"), "SHA-256"),
        (("check", "-i", "email=a@b.dk", "--purpose", "invoicing"), "not a consent purpose"),
        (("import", "/nonexistent.csv"), "cannot read"),
        (("filter", "--purpose", "newsletter", "/nonexistent.txt"), "cannot open"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(cli, args: tuple[str, ...], words: str) -> None:  # type: ignore[no-untyped-def]
    r = cli("consent", *args)
    assert r.code == 2, (r.out, r.err)
    assert words in r.err and "Traceback" not in r.err
    assert cli("audit", "verify").out.startswith("audit log is empty")


def test_import_and_filter(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    legacy = tmp_path / "legacy.csv"
    legacy.write_text("email,date,provenance\nole@example.no,2016-04-02,CRM 2016\n"
                      "kari@example.no,2017-01-05,CRM 2017\n", encoding="utf-8")
    r = cli("consent", "import", str(legacy), "--purpose", "newsletter", "--dry-run")
    assert r.code == 0 and "would import 2 consent events (newsletter: 2)" in r.out
    r = cli("consent", "import", str(legacy), "--purpose", "newsletter")
    assert r.code == 0 and "imported 2 consent events" in r.out
    broken = tmp_path / "broken.csv"
    broken.write_text("email,date,provenance\nper@example.no,2016-04-02,CRM\nbad,2016-01-01,CRM\n")
    r = cli("consent", "import", str(broken), "--purpose", "newsletter")
    assert r.code == 2 and "line 3:" in r.err and "nothing imported" in r.err
    r = cli("consent", "check", "-i", "email=per@example.no", "--purpose", "newsletter")
    assert r.code == 1
    r = cli("consent", "filter", "--purpose", "newsletter",
            stdin="ole@example.no\nper@example.no\nKARI@example.no\n")
    assert r.code == 0 and r.out == "ole@example.no\nKARI@example.no\n"
    assert "2 of 3 allowed for newsletter" in r.err
    send = tmp_path / "send.csv"
    send.write_text("name,email\nOle,ole@example.no\nPer,per@example.no\n")
    out = tmp_path / "allowed.csv"
    r = cli("consent", "filter", "--purpose", "newsletter", str(send), "-o", str(out), "--json")
    assert r.code == 0 and json.loads(r.out)["written"] == 1
    assert out.read_text() == "name,email\nOle,ole@example.no\n"


def test_audit_verify_reports_tampering_with_exit_1(cli, state_url: str) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    from persondata.db.engine import Database

    for who in ("a", "b", "c"):
        assert cli("consent", "give", "-i", f"email={who}@x.dk", "--purpose", "profiling").code == 0
    db = Database(state_url)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_entry SET actor = 'someone' WHERE id = 2"))
    db.dispose()
    r = cli("audit", "verify")
    assert r.code == 1 and "BROKEN at entry 2" in r.out
    r = cli("audit", "verify", "--json")
    assert r.code == 1 and json.loads(r.out)["broken"]["entry"] == 2


def test_check_exit_codes_in_a_real_process(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'state.db'}"
    with pytest.raises(SystemExit) as given:
        run(["--policy", str(POLICY_FILE), "--database", db, "consent", "give", "-i", "phone=20304050",
             "--purpose", "sms_offers"])
    assert given.value.code == 0
    base = [sys.executable, "-c", "from persondata.cli.main import run; run()", "--policy",
            str(POLICY_FILE), "--database", db, "consent", "check", "--purpose", "sms_offers", "-i"]
    assert subprocess.run([*base, "phone=+45 20 30 40 50"], capture_output=True, timeout=60).returncode == 0
    assert subprocess.run([*base, "phone=+45 20 30 40 51"], capture_output=True, timeout=60).returncode == 1
