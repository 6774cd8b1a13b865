"""`persondata breach`: the whole flow open -> count -> list -> update -> draft -> close, and bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from persondata.cli.main import run


class Cli:
    """Runs the real entry point in-process with a policy, a state database and a fixed clock."""

    def __init__(self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                 policy: Path, state_url: str) -> None:
        self.capsys, self.monkeypatch = capsys, monkeypatch
        self.base = ["--policy", str(policy), "--database", state_url]
        monkeypatch.setenv("PERSONDATA_ACTOR", "dpo@bureaunord.example")

    def __call__(self, *args: str, now: str | None = None) -> tuple[int, str, str]:
        if now is not None:
            self.monkeypatch.setenv("PERSONDATA_NOW", now)
        try:
            run([*self.base, *args])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = self.capsys.readouterr()
        assert "Traceback" not in err
        return code, out, err

    def json(self, *args: str, now: str | None = None) -> Any:
        code, out, err = self(*args, "--json", now=now)
        assert code == 0, err
        return json.loads(out)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, company_sqlite: str,
        policy_file: Callable[..., Path], state_url: str) -> Cli:
    return Cli(capsys, monkeypatch, policy_file("DK"), state_url)


def test_full_flow_open_count_draft_update_close(cli: Cli, tmp_path: Path) -> None:
    opened = cli.json(
        "breach", "open", "--aware", "2027-03-24 10:00", "--discovery", "external_reporter",
        "--reporter-contact", "finder@example.org", "--title", "Customer export in a public folder",
        "-d", "A customer export file was reachable in a public web folder.",
        "--table", "shop.customer", "--table", "shop.invoice", now="2027-03-24 11:30",
    )
    assert opened["ref"] == "BR-0001"
    deadlines = {d["kind"]: d for d in opened["deadlines"]}
    assert deadlines["authority"]["due"] == "2027-03-27T09:00:00Z"
    assert deadlines["authority"]["due_local"] == "2027-03-27 10:00 +01:00"
    assert deadlines["reporter_receipt"]["due_date"] == "2027-03-31"
    assert deadlines["reporter_feedback"]["due_date"] == "2027-04-07"

    counted = cli.json("breach", "count", "BR-0001", now="2027-03-24 12:00")
    assert (counted["subjects"], counted["subjects_max"], counted["records"]) == (5, 8, 9)
    assert counted["applied_to"] == "BR-0001"

    code, out, _ = cli("breach", "list", now="2027-03-26 11:00")
    assert code == 0
    assert "BR-0001" in out and "due <24h: authority" in out
    listed = cli.json("breach", "list", now="2027-03-27 10:01")
    assert listed[0]["flags"] == ["overdue: authority"]
    code, out, _ = cli("breach", "list", "--check", now="2027-03-27 10:01")
    assert code == 1 and "overdue: authority" in out

    code, _, err = cli("breach", "update", "BR-0001", "--authority-notified", "2027-03-28 08:30",
                       now="2027-03-28 09:00")
    assert code == 2
    assert "21 h 30 min after the 72-hour deadline 2027-03-27 10:00 +01:00" in err
    assert "--delay-reason" in err

    updated = cli.json(
        "breach", "update", "BR-0001", "--authority-notified", "2027-03-28 08:30",
        "--delay-reason", "The web server logs were only available after Easter.",
        "--authority-reference", "2027-431-0042", "--risk", "high_risk",
        "--consequences", "Phishing mails to the customers.", "--measures-taken", "Folder closed.",
        "--measures-proposed", "Nightly scan of public folders.", "--receipt-sent", "2027-03-24 13:55",
        now="2027-03-28 09:00",
    )
    assert updated["status"] == "notified"
    assert {d["kind"]: d["state"] for d in updated["deadlines"]} == {
        "authority": "late", "subjects": "due_now", "reporter_receipt": "met", "reporter_feedback": "pending"}

    target = tmp_path / "notification.md"
    code, out, _ = cli("breach", "draft", "BR-0001", "--to", "authority", "--lang", "da", "-o", str(target),
                       now="2027-03-28 09:10")
    assert code == 0 and str(target) in out
    draft = target.read_text(encoding="utf-8")
    for value in ("Datatilsynet", "Virk.dk", "Omtrentligt antal berørte registrerede: 5",
                  "registreringer af personoplysninger: 9", "Mette Holm", "Phishing mails",
                  "Folder closed.", "Nightly scan", "The web server logs were only available after Easter.",
                  "Begrundelse for forsinkelse"):
        assert value in draft, value
    code, out, _ = cli("breach", "draft", "BR-0001", "--to", "subjects", "--lang", "en",
                       now="2027-03-28 09:10")
    assert code == 0 and out.startswith("# Important: a security breach") and "Dear customer" in out

    code, _, err = cli("breach", "close", "BR-0001", now="2027-03-28 10:00")
    assert code == 2
    assert "have not been told" in err and "no feedback" in err
    cli.json("breach", "update", "BR-0001", "--subjects-notified", "2027-03-28 12:00",
             "--feedback-sent", "2027-04-02 09:00", now="2027-04-02 10:00")
    closed = cli.json("breach", "close", "BR-0001", "--note", "Reporter thanked; folder removed.",
                      now="2027-04-02 10:05")
    assert closed["status"] == "closed" and closed["flags"] == []

    code, out, _ = cli("breach", "list", now="2027-04-02 10:10")
    assert code == 0 and "no open breach cases" in out
    assert [c["ref"] for c in cli.json("breach", "list", "--all", now="2027-04-02 10:10")] == ["BR-0001"]
    shown = cli.json("breach", "show", "BR-0001", now="2027-04-02 10:10")
    assert [e["action"] for e in shown["timeline"]] == ["opened", "updated", "updated", "updated", "closed"]
    assert shown["timeline"][-1]["note"] == "Reporter thanked; folder removed."
    code, out, _ = cli("breach", "show", "BR-0001", now="2027-04-02 10:10")
    assert code == 0 and "timeline:" in out and "late" in out
    code, _, err = cli("breach", "update", "BR-0001", "--note", "again", now="2027-04-02 10:20")
    assert code == 2 and "is closed" in err
    code, out, _ = cli("audit", "verify")
    assert code == 0


def test_count_with_a_window_and_without_a_case(cli: Cli) -> None:
    result = cli.json("breach", "count", "--table", "shop.enquiry", "--anchor", "last_contact",
                      "--since", "2027-03-20 00:00", "--until", "2027-03-24 00:00", now="2027-03-25 10:00")
    assert (result["subjects"], result["records"], result["applied_to"]) == (3, 4, None)
    code, _, err = cli("breach", "count", "--table", "shop.enquiry", "--since", "2027-03-20 00:00")
    assert code == 2 and "--since/--until need --anchor" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["open", "--aware", "yesterday", "--discovery", "internal", "-d", "x"],
         "--aware: 'yesterday' is not a time"),
        (["open", "--aware", "2027-03-28 02:30", "--discovery", "internal", "-d", "x"], "does not exist"),
        (["open", "--aware", "2027-10-31 02:30", "--discovery", "internal", "-d", "x"], "happens twice"),
        (["open", "--aware", "2027-03-20 10:00", "--discovery", "outsider", "-d", "x"],
         "--discovery: Input should be"),
        (["open", "--aware", "2027-03-20 10:00", "--discovery", "internal", "-d", "x", "--risk", "bad"],
         "--risk: Input should be 'unlikely', 'risk' or 'high_risk'"),
        (["open", "--aware", "2027-03-20 10:00", "--discovery", "internal", "-d", "x", "--subjects", "-1"],
         "--subjects: Input should be greater than or equal to 0"),
        (["open", "--aware", "2027-03-20 10:00", "--discovery", "internal", "-d", "x", "--table", "customer"],
         "--table: Value error, 'customer' must look like system.table"),
        (["open", "--aware", "2027-04-20 10:00", "--discovery", "internal", "-d", "x"], "in the future"),
        (["show", "BR-0042"], "no breach case BR-0042"),
        (["draft", "BR-0042", "--to", "authority"], "no breach case BR-0042"),
        (["open", "--discovery", "internal", "-d", "x"], "Missing option '--aware'"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, company_sqlite: str,
    policy_file: Callable[..., Path], sqlite_url: str, args: list[str], message: str,
) -> None:
    cli = Cli(capsys, monkeypatch, policy_file("DK"), sqlite_url)  # input checks: one state engine is enough
    code, _, err = cli("breach", *args, now="2027-03-25 10:00")
    assert code == 2
    assert message in err


def test_norwegian_controller_gets_norwegian_holidays_and_authority(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, company_sqlite: str,
    policy_file: Callable[..., Path], sqlite_url: str,
) -> None:
    cli = Cli(capsys, monkeypatch, policy_file("NO"), sqlite_url)
    opened = cli.json("breach", "open", "--aware", "2026-04-30 09:00", "--discovery", "external_reporter",
                      "--reporter-contact", "tips@example.no", "-d", "Kundeliste på avveie.",
                      now="2026-04-30 10:00")
    assert opened["timezone"] == "Europe/Oslo" and opened["aware_local"] == "2026-04-30 09:00 +02:00"
    deadlines = {d["kind"]: d for d in opened["deadlines"]}
    assert deadlines["reporter_receipt"]["due_date"] == "2026-05-05"  # 1 May is a holiday in Norway
    assert deadlines["reporter_feedback"]["due_date"] == "2026-05-15"  # 14 May: Ascension Day
    code, out, _ = cli("breach", "draft", opened["ref"], "--to", "authority", now="2026-04-30 10:00")
    assert code == 0
    assert out.startswith("# Melding om brudd på personopplysningssikkerheten")  # nb: the policy's first
    assert "Postboks 458 Sentrum, 0105 Oslo" in out and "Altinn" in out


def test_real_entry_point_reports_errors_without_traceback(
    company_sqlite: str, policy_file: Callable[..., Path], tmp_path: Path,
) -> None:
    env = {**os.environ, "PERSONDATA_NOW": "2027-03-25 10:00"}
    args = ["--policy", str(policy_file("DK")), "--database", f"sqlite:///{tmp_path / 'state.db'}",
            "breach", "open", "--aware", "2027-03-28 02:30", "--discovery", "internal", "-d", "x"]
    result = subprocess.run([sys.executable, "-c", "from persondata.cli.main import run; run()", *args],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 2
    assert "does not exist in Europe/Copenhagen" in result.stderr
    assert "Traceback" not in result.stderr
