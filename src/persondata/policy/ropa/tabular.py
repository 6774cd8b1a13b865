"""The records as CSV (one record per file) and as an Excel workbook (one sheet per record)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, time

from persondata.policy.ropa.records import Record

_WIDTHS = {"id": 16, "legal_basis": 30, "retention": 30, "security": 45, "categories": 36,
           "recipients": 40, "transfers": 45, "controller": 32, "processor": 32}


def _join(cell: list[str]) -> str:
    """Items of a cell on one line: 'a; b' (a sentence's final full stop dropped before ';')."""
    if len(cell) < 2:
        return "".join(cell)
    return "; ".join(item.rstrip(".") for item in cell)


def to_csv(record: Record) -> str:
    """A record as CSV: a header row of column titles, then one row per purpose or activity."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(record.headers)
    for row in record.rows:
        writer.writerow([_join(cell) for cell in row])
    return buf.getvalue()


def _sheet_title(title: str) -> str:
    bad = set("[]:*?/\\")
    return "".join(ch for ch in title if ch not in bad)[:31] or "Sheet"


def to_xlsx(records: list[Record], created: datetime | None = None) -> bytes:
    """The records as a workbook: styled, frozen header row, sensible widths, wrapped cells."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    stamp = created or datetime.combine(datetime(2000, 1, 1).date(), time())
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.properties.creator = "persondata"
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="1F4E79")
    thin = Side(style="thin", color="D0D7DE")
    border = Border(bottom=thin, right=thin)
    wrap = Alignment(wrap_text=True, vertical="top")
    for index, record in enumerate(records):
        ws = wb.active if index == 0 else wb.create_sheet()
        assert ws is not None
        ws.title = _sheet_title(record.sheet)
        ws.append(record.headers)
        for row in record.rows:
            ws.append(["\n".join(cell) for cell in row])
        for col, key in enumerate(record.keys, start=1):
            head = ws.cell(row=1, column=col)
            head.font = header_font
            head.fill = header_fill
            head.alignment = Alignment(wrap_text=True, vertical="center")
            lines = [line for r in record.rows for item in r[col - 1] for line in item.splitlines()]
            longest = max([len(record.headers[col - 1]), *(len(line) for line in lines)])
            width = max(12, min(_WIDTHS.get(key, 28), longest + 2))
            ws.column_dimensions[get_column_letter(col)].width = width
            for r in range(2, len(record.rows) + 2):
                cell = ws.cell(row=r, column=col)
                cell.alignment = wrap
                cell.border = border
        ws.row_dimensions[1].height = 32
        ws.freeze_panes = "A2"
        if record.rows:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(record.keys))}{len(record.rows) + 1}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
