"""Who a row belongs to, and what persondata's state says about them (consent, opt-out, holds).

Rows carry identities in clear (the account's e-mail); persondata's state keeps only keyed
hashes. Each batch's identity values are normalised and hashed in Python, then looked up in
the state with one query per 1,000 hashes, never one per row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from persondata.db.engine import Database
from persondata.errors import IdentityError
from persondata.identity import Hasher, Identity, normalise
from persondata.retention import repository
from persondata.retention.expiry import AT_ONCE, is_expired, row_expiry
from persondata.retention.models import RetentionHold
from persondata.retention.spec import TableRules


@dataclass
class HoldSet:
    """The holds in force: by system, by table, by subject hash."""

    systems: dict[str, RetentionHold] = field(default_factory=dict)
    tables: dict[tuple[str, str], RetentionHold] = field(default_factory=dict)
    subjects: dict[str, RetentionHold] = field(default_factory=dict)

    @classmethod
    def of(cls, holds: Sequence[RetentionHold]) -> HoldSet:
        """Index holds by scope (the first placed wins when several apply)."""
        out = cls()
        for h in holds:
            if h.scope == "system" and h.system:
                out.systems.setdefault(h.system, h)
            elif h.scope == "table" and h.system and h.table:
                out.tables.setdefault((h.system, h.table), h)
            elif h.scope == "subject" and h.subject:
                out.subjects.setdefault(h.subject, h)
        return out

    def on_table(self, system: str, table: str) -> RetentionHold | None:
        """A hold on a whole table or its system."""
        return self.tables.get((system, table)) or self.systems.get(system)

    def on_subjects(self, hashes: Sequence[str]) -> RetentionHold | None:
        """A hold on any of a row's subject hashes."""
        for h in hashes:
            if h in self.subjects:
                return self.subjects[h]
        return None


@dataclass(frozen=True)
class Verdict:
    """What retention concludes about one candidate row."""

    expired: bool
    reason: str = ""
    hold: RetentionHold | None = None
    subjects: tuple[str, ...] = ()


class SubjectLens:
    """Hashes rows' identities and looks their consent and opt-outs up in the state, per batch."""

    def __init__(self, state: Database, hasher: Hasher, country: str, holds: HoldSet,
                 opt_outs: bool) -> None:
        self.state = state
        self.hasher = hasher
        self.country = country
        self.holds = holds
        self.opt_outs = opt_outs
        self._hashes: dict[tuple[str, str], str | None] = {}

    def _hash(self, kind: str, raw: Any) -> str | None:
        if raw is None or str(raw).strip() == "":
            return None
        key = (kind, str(raw))
        if key not in self._hashes:
            try:
                self._hashes[key] = self.hasher.hash(Identity(kind, normalise(kind, str(raw), self.country)))
            except IdentityError:
                self._hashes[key] = None
        return self._hashes[key]

    def subjects_of(self, rules: TableRules, row: Mapping[str, Any]) -> tuple[str, ...]:
        """The keyed hashes of a row's identities (its own or its owner's)."""
        out = [self._hash(kind, row.get(f"__i_{kind}")) for kind in rules.identities]
        return tuple(dict.fromkeys(h for h in out if h is not None))

    def judge(self, rules: TableRules, rows: Sequence[Mapping[str, Any]], as_of: datetime,
              exact: bool) -> list[Verdict]:
        """Decide each candidate row: expired or not, why, and whether a subject hold keeps it."""
        if exact and rules.opt_out is None and not self.holds.subjects:
            every_row = Verdict(True, "retention")
            return [every_row] * len(rows)  # the SQL decided; nothing to tell rows apart
        need = bool(rules.identities) and (not exact or bool(self.holds.subjects))
        subjects = [self.subjects_of(rules, r) if need else () for r in rows]
        every = {h for s in subjects for h in s}
        consent: dict[tuple[str, str], tuple[bool, datetime]] = {}
        opted: dict[str, datetime] = {}
        consent_purposes = [t.purpose for t in rules.terms if t.consent]
        if every and not exact:
            with self.state.transaction() as s:
                if consent_purposes:
                    consent = repository.consent_among(s, consent_purposes, every)
                if self.opt_outs and rules.opt_out_declared:
                    opted = repository.opt_outs_among(s, every)
        return [self._verdict(rules, row, subj, as_of, exact, consent, opted, consent_purposes)
                for row, subj in zip(rows, subjects, strict=True)]

    def _verdict(self, rules: TableRules, row: Mapping[str, Any], subj: tuple[str, ...], as_of: datetime,
                 exact: bool, consent: Mapping[tuple[str, str], tuple[bool, datetime]],
                 opted: Mapping[str, datetime], consent_purposes: Sequence[str]) -> Verdict:
        anchors = {name: row.get(f"__a_{name}") for name in rules.anchors}
        flag = bool(row.get("__flag")) if rules.opt_out is not None else False
        time_only = row_expiry(rules.terms, anchors)
        if exact:
            reason = "retention" if is_expired(time_only, as_of) else "opted out of logging"
            return Verdict(True, reason, self.holds.on_subjects(subj), subj)
        withdrawn: dict[str, datetime] = {}
        for purpose in consent_purposes:
            states = [consent[(h, purpose)] for h in subj if (h, purpose) in consent]
            if states and not any(granted for granted, _ in states):
                withdrawn[purpose] = max(at for _, at in states)
        since = [opted[h] for h in subj if h in opted]
        opted_at = AT_ONCE if flag else (min(since) if since else None)
        expiry = row_expiry(rules.terms, anchors, withdrawn, opted_at)
        if not is_expired(expiry, as_of):
            return Verdict(False, subjects=subj)
        if is_expired(time_only, as_of):
            reason = "retention"
        elif opted_at is not None and is_expired(row_expiry(rules.terms, anchors, None, opted_at), as_of):
            reason = "opted out of logging"
        else:
            reason = "consent withdrawn: " + ", ".join(sorted(withdrawn))
        return Verdict(True, reason, self.holds.on_subjects(subj), subj)
