"""Helpers of `persondata breach`: clock, time parsing, input validation and the case printout."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from persondata.cli import _context
from persondata.errors import InputError

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from persondata.breaches.schemas import CaseView

OPTION_OF = {
    "aware_at": "--aware", "occurred_at": "--occurred", "reported_at": "--reported",
    "subjects_count": "--subjects", "records_count": "--records", "tables": "--table",
    "categories": "--category", "systems": "--system", "authority_notified_at": "--authority-notified",
    "subjects_notified_at": "--subjects-notified", "receipt_sent_at": "--receipt-sent",
    "feedback_sent_at": "--feedback-sent",
}


def zone_for(country: str) -> ZoneInfo:
    """The controller's time zone."""
    from persondata.breaches.times import controller_zone

    return controller_zone(country)


def clock(raw: str | None, zone: ZoneInfo) -> datetime:
    """The current time, or the one --now / PERSONDATA_NOW fixes."""
    from persondata.breaches.times import parse_time
    from persondata.db.base import utcnow

    return utcnow() if not raw else parse_time(raw, zone, "--now")


def when(raw: str | None, zone: ZoneInfo, option: str) -> datetime | None:
    """An option's time (ISO with offset, or local) as UTC; None when not given."""
    from persondata.breaches.times import parse_time

    return None if raw is None else parse_time(raw, zone, option)


def validated(model: type[Any], data: dict[str, Any]) -> Any:
    """Validate input into a schema, turning pydantic's errors into one clear InputError."""
    from pydantic import ValidationError

    try:
        return model.model_validate({k: v for k, v in data.items() if v is not None})
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else "input"
            option = OPTION_OF.get(field, "--" + field.replace("_", "-"))
            lines.append(f"{option}: {err['msg']}")
        raise InputError("; ".join(lines)) from exc


def title_of(description: str) -> str | None:
    """A default title: the description's first line."""
    lines = description.strip().splitlines()
    return lines[0][:80] if lines else None


def risk_help() -> str:
    """Help text of --risk."""
    return "Risk to the people affected: unlikely, risk or high_risk."


def print_case(c: _context.CliContext, view: CaseView, opened: bool = False) -> None:
    """The human printout of a case: facts, deadlines and (except just opened) the timeline."""
    from persondata.breaches.times import show, zone_of

    zone = zone_of(view.timezone)
    out = c.out
    if opened:
        out.print(f"opened {view.ref}", highlight=False)
    out.print(f"{view.ref}  {view.title}", highlight=False)
    facts = [
        ("status", view.status.value), ("risk", view.risk.value if view.risk else "not assessed"),
        ("aware", view.aware_local), ("discovery", view.discovery.value),
        ("reporter", ", ".join(x for x in (view.reporter_name, view.reporter_contact) if x) or
         ("anonymous" if view.discovery.value == "external_reporter" else "-")),
        ("tables", ", ".join(view.tables) or "-"), ("categories", ", ".join(view.categories) or "-"),
        ("people", "?" if view.subjects_count is None else str(view.subjects_count)),
        ("records", "?" if view.records_count is None else str(view.records_count)),
        ("authority notified", show(view.authority_notified_at, zone)),
    ]
    if view.delay_reason:
        facts.append(("delay reason", view.delay_reason))
    for name, value in facts:
        out.print(f"  {name + ':':<20}{value}", highlight=False)
    out.print("deadlines:", highlight=False)
    for d in view.deadlines:
        style = {"overdue": "red", "due_soon": "yellow", "due_now": "yellow", "late": "red"}.get(d.state)
        state = f"[{style}]{d.state}[/{style}]" if style else d.state
        due = d.due_local if d.required or d.done_at else "-"
        done = f"done {show(d.done_at, zone)}" if d.done_at else d.note
        out.print(f"  {d.kind:<18}{d.rule:<20}{due:<26}{state}" + (f"  {done}" if done else ""),
                  highlight=False)
    if not opened:
        out.print("timeline:", highlight=False)
        for e in view.timeline:
            fields = ", ".join(e.changes) if e.changes else ""
            out.print(f"  {e.at_local}  {e.actor}  {e.action}  {fields}"
                      + (f"  — {e.note}" if e.note else ""), highlight=False, markup=False)
