"""The retention commands end to end: plan (with a forecast), run, runs, holds, opt-out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from persondata.cli.main import run

from . import company


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the console entry point in-process; (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exc:
        run(list(args))
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    url = f"sqlite:///{tmp_path / 'company.db'}"
    company.build(url).dispose()
    policy = tmp_path / "privacy.yaml"
    policy.write_text(company.POLICY, encoding="utf-8")
    monkeypatch.setenv("COMPANY_URL", url)
    monkeypatch.setenv("PERSONDATA_POLICY", str(policy))
    monkeypatch.setenv("COLUMNS", "200")
    return tmp_path


def test_plan_run_runs(setup: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "retention", "plan", "--as-of", "2025-03-01T12:00", "--json")
    assert code == 0, err
    plan = json.loads(out)
    assert plan["totals"]["delete"] > 0
    assert {"table": "contact", "action": "delete", "rows": 2} in [
        {k: t[k] for k in ("table", "action", "rows")} for t in plan["tables"]]
    code, out, _ = cli(capsys, "retention", "plan", "--as-of", "2025-03-01T12:00")
    assert code == 0 and "contact_form: 2 years after last_contact" in out and "main.contact" in out
    code, out, _ = cli(capsys, "retention", "run", "--dry-run", "--as-of", "2025-03-01T12:00", "--json")
    assert json.loads(out)["totals"] == plan["totals"]
    code, out, err = cli(capsys, "retention", "run", "--as-of", "2025-03-01T12:00", "--batch-size", "2")
    assert code == 0, err
    assert "Retention run 1: completed" in out and "deleted:" in out
    code, out, _ = cli(capsys, "retention", "runs", "--json")
    runs = json.loads(out)
    assert runs[0]["status"] == "completed" and runs[0]["totals"]["delete"] == plan["totals"]["delete"]
    code, out, _ = cli(capsys, "retention", "runs", "1")
    assert code == 0 and "main.contact" in out
    code, out, _ = cli(capsys, "retention", "plan", "--as-of", "2025-03-01T12:00", "--json")
    assert json.loads(out)["totals"]["delete"] == 0
    # Forecast: by 2026 the invoice of 1 January 2020 goes as well.
    code, out, _ = cli(capsys, "retention", "plan", "--as-of", "2026-01-01", "--json")
    tables = {t["table"] for t in json.loads(out)["tables"]}
    assert {"invoice", "invoice_line"} <= tables


def test_holds_and_opt_out_commands(setup: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "retention", "hold", "add", "--table", "main.contact", "--reason",
                         "litigation 2025-17", "--until", "2099-01-01", "--json")
    assert code == 0, err
    hold = json.loads(out)
    code, out, _ = cli(capsys, "retention", "plan", "--as-of", "2025-03-01T12:00", "--json")
    lines = [t for t in json.loads(out)["tables"] if t["table"] == "contact"]
    assert lines and all(t["action"] == "held" and "litigation" in t["hold"] for t in lines)
    code, out, _ = cli(capsys, "retention", "hold", "list")
    assert "main.contact" in out and "litigation 2025-17" in out
    code, out, _ = cli(capsys, "retention", "hold", "release", str(hold["id"]))
    assert code == 0
    code, _, err = cli(capsys, "retention", "hold", "release", str(hold["id"]))
    assert code == 2 and "was released" in err
    code, _, err = cli(capsys, "retention", "hold", "add", "--table", "main.nope", "--reason", "x")
    assert code == 2 and "not a table of the data map" in err
    code, _, err = cli(capsys, "retention", "hold", "add", "--reason", "x")
    assert code == 2 and "exactly one" in err
    code, _, err = cli(capsys, "retention", "plan", "--as-of", "yesterday")
    assert code == 2 and "is not a date" in err
    code, out, err = cli(capsys, "retention", "opt-out", "--identity", "email=optout@x.dk")
    assert code == 0 and "main.sms_log" in out, err
    code, out, _ = cli(capsys, "retention", "opt-out", "--identity", "email=optout@x.dk", "--revoke",
                       "--json")
    assert json.loads(out)["opted_out"] is False
