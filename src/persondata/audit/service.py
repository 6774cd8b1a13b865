"""Append to the audit log, verify its hash chain, and read its tail.

Appends are strictly linear: the first append of a transaction takes the chain lock
(PostgreSQL: pg_advisory_xact_lock; SQLite: the write lock BEGIN IMMEDIATE already holds),
reads the head, and every later append of the same transaction continues from it.

The lock is held until the transaction ends, so every auditing writer waits for it:
- in short transactions that also write rows other writers write (consent state), call
  `record` (or `lock`) first, so that writers queue on the chain lock and never deadlock;
- in long transactions (a retention batch, a DSR run over several systems), record at
  the end, so that the chain is not held while the work is done.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from persondata.audit import repository
from persondata.audit.chain import GENESIS, canonical_entry, canonical_json, entry_hash, format_at
from persondata.audit.models import AuditEntry
from persondata.db.base import utcnow
from persondata.errors import InputError

_HEAD_KEY = "persondata.audit.head"
_LIMITS = {"actor": 200, "action": 100, "target": 500}


@dataclass(frozen=True)
class Recorded:
    """An appended entry: its sequence number and hash."""

    id: int
    hash: str
    at: datetime


@dataclass(frozen=True)
class NewEntry:
    """An entry to append with record_many."""

    actor: str
    action: str
    subject: str | None = None
    target: str | None = None
    details: Mapping[str, Any] | None = None
    at: datetime | None = None


@dataclass(frozen=True)
class Break:
    """The first place where the chain is broken."""

    entry_id: int
    reason: str

    def __str__(self) -> str:
        return f"entry {self.entry_id}: {self.reason}"


@dataclass
class Verification:
    """The outcome of verifying the whole chain."""

    checked: int = 0
    head_id: int | None = None
    head_hash: str | None = None
    broken: Break | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every entry is intact and in sequence."""
        return self.broken is None


def _current_transaction(session: Session) -> object:
    session.connection()  # begins the transaction if none is open
    return session.get_nested_transaction() or session.get_transaction()


def _head(session: Session) -> tuple[int, str]:
    """The chain head for this transaction, taking the chain lock on first use."""
    tx = _current_transaction(session)
    cached = session.info.get(_HEAD_KEY)
    if cached is not None and cached[0] is tx:
        return cached[1], cached[2]
    repository.lock_chain(session)
    found = repository.head(session)
    last_id, last_hash = found if found is not None else (0, GENESIS)
    session.info[_HEAD_KEY] = (tx, last_id, last_hash)
    return last_id, last_hash


def forget_head(session: Session) -> None:
    """Read the chain head again on the next append (the caller rolled back appends of this
    transaction to a savepoint of its own)."""
    session.info.pop(_HEAD_KEY, None)


def lock(session: Session) -> None:
    """Take the chain lock now (before other row locks); appends later in the block are cheap."""
    _head(session)


def _check(actor: str, action: str, target: str | None) -> None:
    for name, value in (("actor", actor), ("action", action), ("target", target)):
        if value is not None and len(value) > _LIMITS[name]:
            raise ValueError(f"audit {name} is longer than {_LIMITS[name]} characters")
    if not actor or not action:
        raise ValueError("an audit entry needs an actor and an action")


def _build(entry_id: int, prev: str, e: NewEntry, now: datetime) -> dict[str, Any]:
    _check(e.actor, e.action, e.target)
    at = e.at or now
    details = canonical_json(dict(e.details) if e.details is not None else {})
    canonical = canonical_entry(entry_id, format_at(at), e.actor, e.action, e.subject, e.target,
                                details)
    return {"id": entry_id, "at": at, "actor": e.actor, "action": e.action, "subject": e.subject,
            "target": e.target, "details": details, "prev_hash": prev,
            "hash": entry_hash(prev, canonical)}


def record_many(session: Session, entries: Iterable[NewEntry]) -> list[Recorded]:
    """Append several entries in order, in the caller's transaction, with one insert."""
    last_id, last_hash = _head(session)
    now = utcnow()
    rows = []
    for e in entries:
        row = _build(last_id + 1, last_hash, e, now)
        last_id, last_hash = row["id"], row["hash"]
        rows.append(row)
    repository.insert_entries(session, rows)
    session.info[_HEAD_KEY] = (_current_transaction(session), last_id, last_hash)
    return [Recorded(r["id"], r["hash"], r["at"]) for r in rows]


def record(session: Session, *, actor: str, action: str, subject: str | None = None,
           target: str | None = None, details: dict[str, Any] | None = None,
           at: datetime | None = None) -> Recorded:
    """Append one hash-chained entry in the caller's transaction (subject = keyed hash)."""
    entry = NewEntry(actor=actor, action=action, subject=subject, target=target,
                     details=details, at=at)
    return record_many(session, [entry])[0]


def verify(session: Session, batch_size: int = 20_000,
           anchors: Mapping[int, str] | None = None) -> Verification:
    """Walk the whole chain in id order; stop at the first edited, missing or foreign entry.

    anchors: {entry id: hash} recorded earlier elsewhere (a head printed by verify); each
    must still be in the chain with that hash, which catches a rebuilt or truncated log.
    """
    with closing(repository.stream(session, batch_size)) as rows:
        result = _walk(rows, dict(anchors or {}))
    if result.ok and anchors:
        beyond = [i for i in anchors if i > (result.head_id or 0)]
        if beyond:
            result.broken = Break(min(beyond), f"is missing: the log ends at entry "
                                                f"{result.head_id or 0} (entries were cut off its end)")
    return result


def parse_anchor(text: str) -> tuple[int, str]:
    """Parse `ID:HASH` (as printed by audit verify) into (id, hash)."""
    entry, sep, digest = text.partition(":")
    digest = digest.strip().lower()
    if not sep or not entry.strip().isdigit() or len(digest) != 64 or any(
            c not in "0123456789abcdef" for c in digest):
        raise InputError(f"anchor {text!r} must look like ID:SHA256HEX, e.g. 8:e520b15b...")
    return int(entry), digest


def _walk(rows: Iterator[Any], anchors: dict[int, str]) -> Verification:
    result = Verification()
    expected, prev = 1, GENESIS
    for entry_id, at, actor, action, subject, target, details, prev_hash, stored in rows:
        if entry_id != expected:
            result.broken = Break(expected, f"is missing: the sequence jumps from {expected - 1} "
                                            f"to {entry_id} (entries deleted or renumbered)")
            return result
        canonical = canonical_entry(entry_id, at, actor, action, subject, target, details)
        if entry_hash(prev_hash, canonical) != stored:
            result.broken = Break(entry_id, "its content does not match its hash (the entry was "
                                            "edited, or entries were reordered)")
            return result
        if prev_hash != prev:
            result.broken = Break(entry_id, f"does not follow entry {entry_id - 1}: its prev_hash is "
                                            f"not that entry's hash (an entry was rewritten, "
                                            f"inserted or removed before it)")
            return result
        if anchors and entry_id in anchors and anchors[entry_id] != stored:
            result.broken = Break(entry_id, "does not have the hash recorded for it earlier (the "
                                            "chain was rebuilt from this entry on)")
            return result
        prev = stored
        expected += 1
        result.checked += 1
    result.head_id = expected - 1 if result.checked else None
    result.head_hash = prev if result.checked else None
    return result


def tail(session: Session, n: int = 20) -> list[AuditEntry]:
    """The newest n entries, oldest first."""
    return repository.tail(session, n)


def history(session: Session, subject: str) -> list[AuditEntry]:
    """Every entry about one subject (keyed hash), oldest first."""
    return repository.by_subject(session, subject)
