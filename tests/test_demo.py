"""`persondata demo` (what `make demo` runs) completes and leaves every output it promises."""

from __future__ import annotations

import email
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest


@pytest.mark.slow
def test_demo_runs_the_whole_product(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", "from persondata.cli.main import run; run()", "demo",
         "--dir", str(tmp_path / "demo"), "--customers", "30"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Traceback" not in result.stdout + result.stderr
    out = tmp_path / "demo" / "out"
    assert "<html" in (out / "notice.da.html").read_text(encoding="utf-8")
    assert (out / "ropa.xlsx").stat().st_size > 0
    with zipfile.ZipFile(out / "jane-access.zip") as zf:
        assert "data.json" in zf.namelist()
    letters = sorted((out / "mail").glob("*.eml"))
    assert letters, "the request's letters reach the demo's SMTP server"
    first = email.message_from_bytes(letters[0].read_bytes())
    assert first["To"] == "jane@kontorhuset.example"
    assert "audit chain intact" in result.stdout
    assert "request 1: erasure — completed" in result.stdout
