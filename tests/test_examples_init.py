"""`persondata init DIR --example NAME` and `persondata init --list`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from persondata import examples
from persondata.policy.loader import load_policy


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real console entry point in a subprocess."""
    return subprocess.run([sys.executable, "-c", "from persondata.cli.main import run; run()", *args],
                          capture_output=True, text=True, cwd=cwd, timeout=120)


@pytest.mark.parametrize("name", examples.EXAMPLES)
def test_init_copies_the_example(name: str, tmp_path: Path) -> None:
    target = tmp_path / "company"
    result = run_cli("init", str(target), "--example", name)
    assert result.returncode == 0, result.stderr
    for file in examples.FILES:
        assert (target / file).read_bytes() == (examples.example_dir(name) / file).read_bytes()
    assert "validate" in result.stdout
    for var in examples.system_env_vars(name):
        assert var in result.stdout
    loaded = load_policy(target / "privacy.yaml", env={})
    assert loaded.policy.controller.name


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    target = tmp_path / "co"
    target.mkdir()
    (target / "privacy.yaml").write_text("mine\n", encoding="utf-8")
    result = run_cli("init", str(target), "--example", "sms-gateway")
    assert result.returncode == 2
    assert "refusing to overwrite" in result.stderr and "--force" in result.stderr
    assert "Traceback" not in result.stderr
    assert (target / "privacy.yaml").read_text(encoding="utf-8") == "mine\n"
    assert not (target / "build_db.py").exists()  # nothing half-written
    forced = run_cli("init", str(target), "--example", "sms-gateway", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "Signalpost ApS" in (target / "privacy.yaml").read_text(encoding="utf-8")


def test_init_unknown_example_lists_the_valid_names(tmp_path: Path) -> None:
    result = run_cli("init", str(tmp_path / "x"), "--example", "bakery")
    assert result.returncode == 2
    for name in examples.EXAMPLES:
        assert name in result.stderr
    assert not (tmp_path / "x").exists()


def test_init_without_example_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("init", str(tmp_path / "x"))
    assert result.returncode == 2
    assert "--example" in result.stderr


def test_init_list(tmp_path: Path) -> None:
    result = run_cli("init", "--list")
    assert result.returncode == 0, result.stderr
    for name in examples.EXAMPLES:
        assert name in result.stdout
    as_json = json.loads(run_cli("--json", "init", "--list").stdout)
    assert [e["name"] for e in as_json] == list(examples.EXAMPLES)
    assert all(e["title"] for e in as_json)
