"""Legal holds against erasure (Art. 17(3)(b)): rows a `legal_obligation` purpose still needs.

A row of a table is held while any of the table's `legal_obligation` purposes has not yet
expired for it: its retention rule applied to the table's anchor column for that rule.
When the anchor is empty (the event has not happened yet, e.g. a relationship that has
not ended) the hold has no known end and the row is held.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from persondata.connectors.protocol import Row
from persondata.policy.model import Basis, Policy, Table
from persondata.policy.retention import RetentionRule, parse_retention


@dataclass(frozen=True)
class Hold:
    """Why and until when a row is kept against an erasure request."""

    purpose: str
    law: str | None
    until: date | None  # None: not known yet (the anchor event has not happened)


@lru_cache(maxsize=256)
def _rule(text: str) -> RetentionRule:
    return parse_retention(text)


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return (value if value.tzinfo is None else value.astimezone(UTC)).date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def holding_purposes(policy: Policy, spec: Table) -> list[str]:
    """The table's purposes that can hold rows (legal_obligation with a retention rule)."""
    return [p for p in spec.purposes
            if p in policy.purposes and policy.purposes[p].basis is Basis.legal_obligation
            and policy.purposes[p].retention]


def hold_for(policy: Policy, spec: Table, row: Row, today: date) -> Hold | None:
    """The hold on a row today, or None when no legal obligation still needs it (latest end wins)."""
    best: Hold | None = None
    for key in holding_purposes(policy, spec):
        purpose = policy.purposes[key]
        rule = _rule(purpose.retention or "")
        if rule.until_consent_withdrawn:
            continue
        column = spec.anchors.get(rule.anchor)
        anchor = _as_date(row.get(column)) if column else None
        until = rule.expires_at(anchor) if anchor is not None else None
        if until is not None and until <= today:
            continue
        hold = Hold(key, purpose.law, until)
        if best is None or (best.until is not None and (until is None or until > best.until)):
            best = hold
    return best
