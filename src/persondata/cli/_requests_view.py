"""Human output of `persondata requests`: the queue table and one request in detail."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

SHOWN = ("step", "attempt", "worker", "method", "reason", "months", "to", "recipient", "note", "recipients")
FLAG = {"overdue": "[bold red]OVERDUE[/]", "due_soon": "[yellow]due soon[/]", None: ""}


def _short(value: Any) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _days(row: dict[str, Any]) -> str:
    if row["state"] in ("completed", "rejected"):
        return ""
    n = row["days_left"]
    return f"{n} days" if n >= 0 else f"{-n} days late"


def table(out: Console, rows: list[dict[str, Any]]) -> None:
    """The request queue, by deadline."""
    if not rows:
        out.print("no requests")
        return
    t = Table(show_edge=False, pad_edge=False)
    for col in ("id", "type", "state", "channel", "received", "due", "left", "", "subject"):
        t.add_column(col)
    for r in rows:
        state = r["state"] + (" (closed)" if r["closed_at"] else "")
        due = r["due_on"] + (" ext" if r["extended"] else "")
        received = r.get("received_local", r["received_at"])[:10]
        t.add_row(str(r["id"]), r["type"], state, r["channel"], received, due, _days(r), FLAG[r["flag"]],
                  ", ".join(r["identities"]))
    out.print(t)
    overdue = sum(1 for r in rows if r["flag"] == "overdue")
    soon = sum(1 for r in rows if r["flag"] == "due_soon")
    out.print(f"{len(rows)} requests, {overdue} overdue, {soon} due within 7 days", highlight=False)


def detail(out: Console, d: dict[str, Any], message: str | None = None) -> None:
    """One request with its timeline."""
    if message:
        out.print(message, highlight=False)
    p = lambda text: out.print(text, highlight=False, markup=False)  # noqa: E731
    closed = f", closed {d['closed_at'][:16].replace('T', ' ')} UTC" if d["closed_at"] else ""
    p(f"request {d['id']}: {d['type']} — {d['state']}{closed}")
    p(f"  subject     {', '.join(d['identities'])}  (letters in {d['language']} to "
      f"{d['contact_email'] or 'the postal address: persondata requests letter'})")
    expanded = [i for i in (d["details"] or {}).get("expanded", []) if i not in d["identities"]]
    if expanded:
        p(f"  also found  {', '.join(expanded)}  (linked in the company's systems)")
    p(f"  received    {d.get('received_local') or d['received_at']} by {d['channel']}")
    ext = f" (extended {d['extension_months']} month(s): {d['extension_reason']})" if d["extended"] else ""
    n = d["days_left"]
    left = "" if d["finished"] else f", {n} days left" if n >= 0 else f", {-n} days late"
    flag = {"overdue": " — OVERDUE", "due_soon": " — due within 7 days"}.get(d["flag"] or "", "")
    p(f"  due         {d['due_on']}{ext}{left}{flag}")
    how = f"{d['verification']} required"
    if d["verified_at"]:
        how += f"; verified {d['verified_at'][:16].replace('T', ' ')} by {d['verified_by']}"
        if d["verification_note"]:
            how += f" ({d['verification_note']})"
    p(f"  verification {how}")
    if d["rejection_reason"]:
        p(f"  rejected    {d['rejection_reason']}")
    result = d.get("result") or {}
    if result.get("counts"):
        p("  result      " + ", ".join(f"{k} {v}" for k, v in sorted(result["counts"].items())))
    for h in result.get("held", []):
        p(f"  held        {h['system']}.{h['table']}: {h['rows']} row(s) until {h['until']} ({h['law']})")
    if d.get("export_path"):
        p(f"  export      {d['export_path']}")
    for t in d["notifications"]:
        status = f"done {t['done_at'][:10]} by {t['done_by']}" if t["done_at"] else "TO DO"
        p(f"  Art. 19     {t['recipient']} ({t['name']}): {status}")
    for m in d["mail"]:
        when = f" {m['sent_at'][:16].replace('T', ' ')}" if m["sent_at"] else ""
        p(f"  mail        {m['kind']} to {m['to']}: {m['status']}{when}")
    p("  timeline")
    for e in d["timeline"]:
        move = f" {e['from']} -> {e['to']}" if e["to"] else ""
        info = ", ".join(f"{k} {_short(e['details'][k])}" for k in SHOWN
                         if e["details"].get(k) not in (None, "", []))
        info = f"  {info}" if info else ""
        p(f"    {e['at'][:19].replace('T', ' ')}  {e['action']}{move}{info}  ({e['actor']})")


def outbox(out: Console, rows: list[dict[str, Any]], result: dict[str, Any] | None) -> None:
    """Mail not yet sent."""
    if result is not None:
        out.print(f"sent {len(result['sent'])}, failed {len(result['failed'])}", highlight=False)
    if not rows:
        out.print("outbox is empty: everything was sent")
        return
    for r in rows:
        out.print(f"{r['id']}  request {r['request']}  {r['kind']} to {r['to']}: {r['status']} "
                  f"({r['attempts']} attempts){' — ' + r['error'] if r['error'] else ''}",
                  highlight=False, markup=False)
