"""The access export: a zip with data.json, one CSV per table, and report.html.

    data.json                    the whole AccessResult (rows, Art. 15 information, portability)
    tables/<system>.<table>.csv  one CSV per table of the subject's own data (UTF-8, header row)
    shared/<system>.<table>.csv  rows linked to the subject but shared with others
    portable.json                Art. 20: per table, the columns that are portable
    report.html                  the readable report in the subject's language
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

from persondata.dsr.report import render_report
from persondata.dsr.results import AccessResult, TableOut


def table_csv(table: TableOut) -> str:
    """One table's rows as CSV text (columns in table order)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    names = [c.name for c in table.columns]
    writer.writerow(names)
    for row in table.rows:
        writer.writerow(["" if row.get(n) is None else row.get(n) for n in names])
    return buf.getvalue()


def portable_map(result: AccessResult) -> dict[str, list[str]]:
    """Per table (`system.table`), the portable columns."""
    return {tb.name: [c.name for c in tb.columns if c.portable] for tb in result.tables}


def export_bytes(result: AccessResult) -> bytes:
    """The export zip's bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("data.json", json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        for tb in result.tables:
            zf.writestr(f"tables/{tb.name}.csv", table_csv(tb))
        for tb in result.references:
            zf.writestr(f"shared/{tb.name}.csv", table_csv(tb))
        zf.writestr("portable.json", json.dumps(portable_map(result), ensure_ascii=False, indent=2))
        zf.writestr("report.html", render_report(result))
    return buf.getvalue()


def write_export(result: AccessResult, path: Path) -> Path:
    """Write the export zip to a file (atomically: a temporary file renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(export_bytes(result))
    tmp.replace(path)
    return path
