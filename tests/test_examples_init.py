"""`persondata init DIR --example NAME` and `persondata init --list`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from persondata import examples
from persondata.cli.main import run
from persondata.policy.loader import load_policy


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the console entry point in-process: (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exit_info:
        run(list(args))
    out, err = capsys.readouterr()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 0), out, err


@pytest.mark.parametrize("name", examples.EXAMPLES)
def test_init_copies_the_example(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "company"
    code, out, err = cli(capsys, "init", str(target), "--example", name)
    assert code == 0, err
    for file in examples.FILES:
        assert (target / file).read_bytes() == (examples.example_dir(name) / file).read_bytes()
    assert "persondata validate" in out
    for var in examples.system_env_vars(name):
        assert var in out
    loaded = load_policy(target / "privacy.yaml", env={})
    assert loaded.policy.controller.name


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    """Through the real console script: exit 2, a clear message, no traceback, nothing written."""
    target = tmp_path / "co"
    target.mkdir()
    (target / "privacy.yaml").write_text("mine\n", encoding="utf-8")
    command = [sys.executable, "-c", "from persondata.cli.main import run; run()", "init", str(target),
               "--example", "sms-gateway"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "refusing to overwrite" in result.stderr and "--force" in result.stderr
    assert "Traceback" not in result.stderr
    assert (target / "privacy.yaml").read_text(encoding="utf-8") == "mine\n"
    assert not (target / "build_db.py").exists()  # nothing half-written
    forced = subprocess.run([*command, "--force"], capture_output=True, text=True, timeout=120)
    assert forced.returncode == 0, forced.stderr
    assert "Signalpost ApS" in (target / "privacy.yaml").read_text(encoding="utf-8")


def test_init_unknown_example_lists_the_valid_names(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "init", str(tmp_path / "x"), "--example", "bakery")
    assert code == 2
    for name in examples.EXAMPLES:
        assert name in err
    assert not (tmp_path / "x").exists()


def test_init_without_example_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "init", str(tmp_path / "x"))
    assert code == 2
    assert "--example" in err


def test_init_into_a_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "file.txt"
    target.write_text("x", encoding="utf-8")
    code, _, err = cli(capsys, "init", str(target), "--example", "sms-gateway")
    assert code == 2
    assert "not a directory" in err


def test_init_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "init", "--list")
    assert code == 0, err
    for name in examples.EXAMPLES:
        assert name in out
    code, out, _ = cli(capsys, "--json", "init", "--list")
    listing = json.loads(out)
    assert [e["name"] for e in listing] == list(examples.EXAMPLES)
    assert all(e["title"] for e in listing)
