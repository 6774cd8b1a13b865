"""`consent import`: legacy consents from CSV, with date and provenance, all or nothing.

Columns (header names, any order; other columns are ignored and reported):
  identity (KIND=VALUE) or one identity-kind column (email, phone, ...)   required
  purpose      a consent purpose (or --purpose for the whole file)          required
  at | date    when consent was given: YYYY-MM-DD or ISO 8601 (UTC if no zone) required
  provenance   where the consent comes from (or --provenance)               required
  action       given (default) | withdrawn
  policy_version, notice_hash, user_agent, ip                                optional

Every row is checked first; any problem rejects the whole file, naming each bad row by
its line, and nothing is written.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TextIO

from sqlalchemy.orm import Session

from persondata.audit import service as audit
from persondata.consent import repository
from persondata.consent.bulk import Normaliser
from persondata.consent.schemas import Action, Change, Evidence, Source
from persondata.consent.service import check_purpose, record_changes
from persondata.db.base import utcnow
from persondata.errors import InputError, PersondataError
from persondata.identity import Hasher, Identity
from persondata.policy.model import Policy

MAX_SHOWN = 50
OPTIONAL = {"action", "policy_version", "notice_hash", "user_agent", "ip"}


class ImportRejected(InputError):
    """A legacy import with bad rows; carries every problem, each `line N: message`."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:MAX_SHOWN]
        more = f"\n... and {len(problems) - MAX_SHOWN} more" if len(problems) > MAX_SHOWN else ""
        super().__init__(f"import rejected, nothing imported ({len(problems)} problem(s)):\n"
                         + "\n".join(shown) + more)


@dataclass
class ImportReport:
    """What an import did (or, with dry_run, would do)."""

    rows: int = 0
    imported: int = 0
    by_purpose: dict[str, int] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    dry_run: bool = False


def parse_time(text: str) -> datetime:
    """A date (midnight UTC) or an ISO 8601 time (UTC when it has no zone)."""
    text = text.strip()
    try:
        if len(text) == 10:
            d = date.fromisoformat(text)
            return datetime(d.year, d.month, d.day, tzinfo=UTC)
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{text!r} is not a date (YYYY-MM-DD) or an ISO 8601 time") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _columns(header: list[str], normaliser: Normaliser, kind: str | None, purpose: str | None,
             provenance: str | None) -> tuple[dict[str, int], str | None, list[str]]:
    names = [h.strip().lower() for h in header]
    index = {n: i for i, n in enumerate(names)}
    problems = []
    if len(index) != len(names):
        problems.append("line 1: a column name appears twice")
    if kind is not None:
        id_col = kind if kind in index else None
    elif "identity" in index:
        id_col = "identity"
    else:
        present = [k for k in normaliser.kinds if k in index]
        id_col = present[0] if len(present) == 1 else None
        if len(present) > 1:
            problems.append(f"line 1: several identity columns ({', '.join(present)}); "
                            f"choose one with --kind")
    if id_col is None and not problems:
        problems.append("line 1: no identity column: name one 'identity' (KIND=VALUE) or after a kind "
                        f"({', '.join(normaliser.kinds)})")
    time_col = "at" if "at" in index else "date" if "date" in index else None
    for needed, have in (("purpose", "purpose" in index or purpose is not None),
                         ("at (or date)", time_col is not None),
                         ("provenance", "provenance" in index or provenance is not None)):
        if not have:
            problems.append(f"line 1: missing column {needed!r}")
    if problems:
        raise ImportRejected(problems)
    used = {id_col, time_col, "purpose", "provenance", *OPTIONAL}
    ignored = [h for h, n in zip(header, names, strict=True) if n not in used]
    cols = {n: index[n] for n in used if n in index}
    cols["_identity"] = index[str(id_col)]
    cols["_time"] = index[str(time_col)]
    return cols, None if id_col == "identity" else id_col, ignored


def _row_change(row: list[str], cols: dict[str, int], normaliser: Normaliser, kind: str | None,
                policy: Policy, purpose: str | None, provenance: str | None,
                policy_version: str | None, now: datetime) -> Change:
    def cell(name: str) -> str:
        return row[cols[name]].strip() if name in cols and cols[name] < len(row) else ""

    text = row[cols["_identity"]]
    k, raw = normaliser.split(text, kind)
    identity = Identity(k, normaliser.value(k, raw))
    key = check_purpose(policy, cell("purpose") or purpose or "")
    at = parse_time(cell("_time"))
    if at > now:
        raise InputError(f"{cell('_time')} is in the future")
    settings = policy.purposes[key].consent if key in policy.purposes else None
    if settings is not None and settings.legacy_before is not None and at.date() >= settings.legacy_before:
        raise InputError(f"{at.date()} is not before {settings.legacy_before}, the date before which "
                         f"the policy says {key!r} consents are legacy; record newer consents "
                         f"where they are given")
    action_text = cell("action") or "given"
    if action_text not in ("given", "withdrawn"):
        raise InputError(f"action {action_text!r} must be given or withdrawn")
    origin = cell("provenance") or provenance
    if not origin:
        raise InputError("provenance is empty: say where this consent comes from")
    notice = cell("notice_hash") or None
    if notice is not None and (len(notice) != 64 or any(c not in "0123456789abcdef" for c in notice)):
        raise InputError(f"notice_hash {notice!r} is not a SHA-256 hex digest")
    return Change(identity=identity, purpose=key, action=Action(action_text), source=Source.import_,
                  at=at, notice_hash=notice, provenance=origin,
                  evidence=Evidence(cell("user_agent") or None, cell("ip") or None),
                  policy_version=cell("policy_version") or policy_version or "legacy")


def import_csv(session: Session, policy: Policy, hasher: Hasher, source: TextIO, *, actor: str,
               purpose: str | None = None, provenance: str | None = None, kind: str | None = None,
               policy_version: str | None = None, now: datetime | None = None,
               dry_run: bool = False) -> ImportReport:
    """Check every row, then record all of them in the caller's transaction (or none)."""
    now = now or utcnow()
    normaliser = Normaliser(policy, hasher)
    kind = normaliser.check_kind(kind) if kind else None
    if purpose is not None:
        check_purpose(policy, purpose)
    reader = csv.reader(source, strict=True)
    problems: list[str] = []
    changes: list[tuple[int, Change]] = []
    ignored: list[str] = []
    try:
        header = next(reader, None)
        if header is None:
            raise ImportRejected(["line 1: the file is empty"])
        cols, kind, ignored = _columns(header, normaliser, kind, purpose, provenance)
        for row in reader:
            line = reader.line_num
            if not any(c.strip() for c in row):
                continue
            if any("\x00" in c for c in row):
                problems.append(f"line {line}: broken CSV: a NUL character")
                continue
            if len(row) != len(header):
                problems.append(f"line {line}: {len(row)} fields, the header has {len(header)}")
                continue
            try:
                changes.append((line, _row_change(row, cols, normaliser, kind, policy, purpose,
                                                  provenance, policy_version, now)))
            except PersondataError as exc:
                problems.append(f"line {line}: {exc}")
    except csv.Error as exc:
        problems.append(f"line {reader.line_num}: broken CSV: {exc}")
    problems += _suppressed(session, policy, hasher, changes if not problems else [])
    if problems:
        raise ImportRejected(problems)
    report = ImportReport(rows=len(changes), ignored_columns=ignored, dry_run=dry_run,
                          by_purpose=dict(Counter(c.purpose for _, c in changes)))
    if not dry_run and changes:
        record_changes(session, policy, hasher, [c for _, c in changes], actor=actor, now=now)
        audit.record(session, actor=actor, action="consent.imported", at=now,
                     details={"rows": len(changes), "by_purpose": report.by_purpose})
        report.imported = len(changes)
    return report


def _suppressed(session: Session, policy: Policy, hasher: Hasher,
                changes: list[tuple[int, Change]]) -> list[str]:
    marketing = set(policy.marketing_purposes())
    risky = [(line, c, hasher.hash(c.identity)) for line, c in changes
             if c.purpose in marketing and c.action is Action.given]
    found = repository.suppressed_among(session, [s for _, _, s in risky]) if risky else set()
    return [f"line {line}: {c.identity} objected to direct marketing (suppression list); an import "
            f"cannot give {c.purpose!r} consent again, only the person can"
            for line, c, s in risky if s in found]
