"""`persondata validate` through the real console entry point: output, exit codes, JSON, no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

GOOD = Path(__file__).parent / "fixtures" / "good.yaml"


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real console entry point in a subprocess."""
    return subprocess.run(
        [sys.executable, "-c", "from persondata.cli.main import run; run()", *args],
        capture_output=True, text=True, cwd=cwd, timeout=120,
    )


def _bad(tmp_path: Path) -> Path:
    text = GOOD.read_text(encoding="utf-8")
    text = text.replace("\"DK12345674\"", "\"DK12345675\"").replace("    basis: legitimate_interest",
                                                                    "    basis: legitimate_interst")
    text = text.replace("    retention: 2 years after last_contact\n", "")
    path = tmp_path / "privacy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_policy_exits_0(tmp_path: Path) -> None:
    result = run_cli("--policy", str(GOOD), "validate")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{GOOD}: valid (0 warnings)"
    assert result.stderr == ""


def test_invalid_policy_lists_every_problem_and_exits_2(tmp_path: Path) -> None:
    path = _bad(tmp_path)
    result = run_cli("-p", str(path), "validate")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stdout.splitlines()
    assert lines[0] == (f"{path}:6: controller.registration: 'DK12345675' is not a valid CVR number: "
                        "the check digit is wrong")
    assert lines[1].startswith(f"{path}:38: purposes.support.basis: 'legitimate_interst' is not allowed")
    assert lines[-1] == f"{path}: invalid: 2 errors, 0 warnings"


def test_warnings_only_exit_0_with_warning_prefix(tmp_path: Path) -> None:
    text = GOOD.read_text(encoding="utf-8").replace("    retention: 2 years after last_contact\n", "")
    path = tmp_path / "privacy.yaml"
    path.write_text(text, encoding="utf-8")
    result = run_cli("-p", str(path), "validate")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{path}:36: warning: purposes.support: no retention rule: the notice must say how long data is kept "
        "(Art. 13(2)(a)) and persondata will never delete this purpose's data",
        f"{path}: valid (1 warning)",
    ]


def test_json_output(tmp_path: Path) -> None:
    path = _bad(tmp_path)
    result = run_cli("-p", str(path), "validate", "--json")
    assert result.returncode == 2
    data = json.loads(result.stdout)
    assert data["valid"] is False
    assert [(e["file"], e["line"]) for e in data["errors"]] == [(str(path), 6), (str(path), 38)]
    assert data["warnings"] == []
    result = run_cli("--json", "-p", str(GOOD), "validate")
    assert result.returncode == 0
    assert json.loads(result.stdout) == {"valid": True, "file": str(GOOD), "errors": [], "warnings": []}


def test_missing_file_and_yaml_error_exit_2_without_traceback(tmp_path: Path) -> None:
    result = run_cli("-p", str(tmp_path / "nope.yaml"), "validate")
    assert result.returncode == 2
    assert f"{tmp_path / 'nope.yaml'}:1: policy file not found" in result.stdout
    path = tmp_path / "broken.yaml"
    path.write_text("controller:\n  name: [x\n  country: DK\n", encoding="utf-8")
    result = run_cli("-p", str(path), "validate")
    assert result.returncode == 2
    assert f"{path}:3: YAML syntax error: expected ',' or ']', but got ':'" in result.stdout
    assert "Traceback" not in result.stderr


def test_check_systems_hook_merges_the_connectors_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    from typer.testing import CliRunner

    from persondata.cli.main import app
    from persondata.errors import Problem

    seen = []

    def check_systems(loaded: object) -> list[Problem]:
        seen.append(loaded)
        return [Problem(str(GOOD), 96, "systems.billing: table 'invoice' does not exist in the database")]

    fake = types.ModuleType("persondata.connectors.checks")
    fake.check_systems = check_systems  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "persondata.connectors.checks", fake)
    result = CliRunner().invoke(app, ["-p", str(GOOD), "validate", "--check-systems"])
    assert result.exit_code == 2, result.output
    assert f"{GOOD}:96: systems.billing: table 'invoice' does not exist in the database" in result.output
    assert f"{GOOD}: invalid: 1 error, 0 warnings" in result.output
    assert len(seen) == 1 and getattr(seen[0], "policy", None) is not None
