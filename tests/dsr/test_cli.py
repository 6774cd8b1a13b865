"""`persondata dsr ...` and `persondata restrictions check` through the real entry point."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from persondata.cli.main import run
from persondata.testing.webshop import Shop, write_policy


class Result:
    """Exit code and output of one invocation."""

    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


class Cli:
    """Runs persondata in-process against the webshop."""

    def __init__(self, policy: Path, state: str, capsys: pytest.CaptureFixture[str]) -> None:
        self.policy, self.state, self.capsys = policy, state, capsys

    def __call__(self, *args: str) -> Result:
        self.capsys.readouterr()
        code = 0
        try:
            run(["--policy", str(self.policy), "--database", self.state, *args])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0
        out = self.capsys.readouterr()
        return Result(code, out.out, out.err)


@pytest.fixture
def cli(sqlite_shop: Shop, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("COLUMNS", "200")
    for key, value in sqlite_shop.env.items():
        monkeypatch.setenv(key, value)
    return Cli(write_policy(tmp_path), f"sqlite:///{tmp_path / 'state.db'}", capsys)


def test_access_writes_the_export(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "jane.zip"
    r = cli("dsr", "access", "-i", "email=Jane@Example.dk", "-o", str(out), "--lang", "en")
    assert r.code == 0, r.err
    assert "shop.customer" in r.out and "support.ticket" in r.out and "11 rows in 7 tables" in r.out
    assert "export written to" in r.out
    assert "report.html" in zipfile.ZipFile(out).namelist()
    r = cli("dsr", "access", "-i", "phone=20123456", "--json")
    data = json.loads(r.out)
    assert data["identities"] == ["customer_no=1001", "email=jane@example.dk", "phone=+4520123456"]


def test_erase_dry_run_then_erase_then_check(cli: Cli) -> None:
    r = cli("dsr", "erase", "-i", "email=jane@example.dk", "--dry-run")
    assert r.code == 0, r.err
    assert "DRY RUN" in r.out and "invoice 40: held until 2030-01-01" in r.out and "card_number mask" in r.out
    r = cli("restrictions", "check", "-i", "email=jane@example.dk")
    assert (r.code, r.out.strip()) == (0, "not restricted")
    r = cli("--json", "dsr", "erase", "-i", "email=jane@example.dk")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["totals"]["deleted"] == 3 and data["held"][0]["until"] == "2030-01-01"
    assert [n["key"] for n in data["notify"]] == ["carrier", "accountant", "mailer"]
    r = cli("restrictions", "check", "-i", "phone=+4520123456")
    assert r.code == 1 and "held_rows" in r.out and "2 rows held" in r.out


def test_rectify_restrict_object(cli: Cli) -> None:
    r = cli("dsr", "rectify", "-i", "email=john@example.dk", "--set", "user.contact.email=John@Example.com")
    assert r.code == 0, r.err
    assert "john@example.com" in r.out and "Art. 19" in r.out
    r = cli("dsr", "restrict", "-i", "email=john@example.com", "--reason", "accuracy contested")
    assert r.code == 0 and "restricted:" in r.out
    assert cli("restrictions", "check", "-i", "email=john@example.com").code == 1
    assert cli("dsr", "unrestrict", "-i", "email=john@example.com").code == 0
    assert cli("restrictions", "check", "-i", "email=john@example.com").code == 0
    r = cli("dsr", "object", "-i", "email=john@example.com", "--purpose", "newsletter")
    assert r.code == 0 and "direct marketing stopped" in r.out
    r = cli("--json", "dsr", "object", "-i", "email=john@example.com", "--purpose", "security")
    objection = json.loads(r.out)["objection_id"]
    assert json.loads(r.out)["status"] == "pending"
    r = cli("dsr", "decide", str(objection), "--reject", "--note", "compelling grounds: fraud")
    assert r.code == 0 and "rejected" in r.out


@pytest.mark.parametrize(("args", "words"), [
    (("dsr", "access", "-i", "email=not-an-address"), "not a valid e-mail"),
    (("dsr", "access", "-i", "shoe=42"), "unknown identity kind 'shoe'"),
    (("dsr", "erase", "-i", "email=a@b.dk", "--system", "crm"), "no system crm"),
    (("dsr", "rectify", "-i", "email=jane@example.dk", "--set", "phone=12"), "not a valid phone"),
    (("dsr", "rectify", "-i", "email=jane@example.dk", "--set", "nothing"), "FIELD=VALUE"),
    (("dsr", "object", "-i", "email=jane@example.dk", "--purpose", "sales"), "based on contract"),
])
def test_bad_input_exits_2(cli: Cli, args: tuple[str, ...], words: str) -> None:
    r = cli(*args)
    assert r.code == 2, (r.out, r.err)
    assert words in r.err and "Traceback" not in r.err


def test_unset_system_variable_exits_2(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUPPORT_DB")
    r = cli("dsr", "access", "-i", "email=jane@example.dk")
    assert r.code == 2 and "SUPPORT_DB" in r.err
