"""`persondata notice` and `persondata ropa` through the real entry point."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook
from tests.notice.conftest import COMPACT


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run the console entry point in a subprocess, output as bytes."""
    return subprocess.run(
        [sys.executable, "-c", "from persondata.cli.main import run; run()", "-p", str(COMPACT), *args],
        capture_output=True, cwd=cwd, timeout=120,
    )


def test_notice_to_stdout_and_file(tmp_path: Path) -> None:
    result = run_cli("notice", "--lang", "en", "--format", "md")
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().startswith("# Privacy notice: Fjordlys ApS")
    out = tmp_path / "notice.html"
    result = run_cli("--json", "notice", "-l", "da", "-f", "html", "-o", str(out))
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["file"] == str(out) and info["lang"] == "da" and info["format"] == "html"
    assert out.read_text("utf-8").startswith('<!DOCTYPE html>\n<html lang="da">')
    assert [p.name for p in tmp_path.iterdir()] == ["notice.html"]  # no temporary file left


def test_default_language_is_the_policys_first() -> None:
    result = run_cli("notice", "-f", "md")
    assert result.returncode == 0
    assert result.stdout.decode().startswith("# Privatlivspolitik")


def test_language_without_own_texts_renders_with_a_note() -> None:
    result = run_cli("notice", "--lang", "nb", "-f", "md")
    assert result.returncode == 0
    assert result.stdout.decode().startswith("# Personvernerklæring")
    assert b"no texts of its own in 'nb'" in result.stderr


def test_unknown_language_and_format_exit_2(tmp_path: Path) -> None:
    out = tmp_path / "x.html"
    result = run_cli("notice", "--lang", "sv", "-o", str(out))
    assert result.returncode == 2
    assert b"cannot render a notice in 'sv'" in result.stderr and b"Traceback" not in result.stderr
    assert not out.exists()
    result = run_cli("notice", "--format", "pdf")
    assert result.returncode == 2 and b"--format must be one of md, html" in result.stderr
    result = run_cli("ropa", "--format", "xlsx", "--processor")
    assert result.returncode == 2 and b"only applies to --format csv" in result.stderr


def test_ropa_csv_xlsx_jsonld(tmp_path: Path) -> None:
    result = run_cli("ropa", "--format", "csv", "--lang", "en")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout.decode())))
    assert [r["ID"] for r in rows] == ["orders", "bookkeeping", "fraud", "newsletter", "recruitment"]
    result = run_cli("ropa", "--format", "csv", "--processor")
    assert result.returncode == 0
    assert result.stdout.decode().splitlines()[1].startswith("hosting,")
    xlsx = tmp_path / "ropa.xlsx"
    result = run_cli("ropa", "-f", "xlsx", "-o", str(xlsx))
    assert result.returncode == 0, result.stderr
    assert load_workbook(xlsx).sheetnames == ["Dataansvarlig", "Databehandler"]
    result = run_cli("ropa", "-f", "jsonld")
    assert result.returncode == 0
    doc = json.loads(result.stdout)
    assert doc["@context"]["dpv"] == "https://w3id.org/dpv#"


def test_csv_file_names_the_processor_record(tmp_path: Path) -> None:
    out = tmp_path / "ropa.csv"
    result = run_cli("ropa", "-o", str(out))
    assert result.returncode == 0
    assert b"add --processor for the Art. 30(2) record" in result.stderr
    assert out.read_text("utf-8").startswith("ID,Dataansvarlig,")


def test_missing_policy_exits_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", "from persondata.cli.main import run; run()",
         "-p", str(tmp_path / "none.yaml"), "notice"], capture_output=True, timeout=120,
    )
    assert result.returncode == 2
    assert b"Traceback" not in result.stderr
