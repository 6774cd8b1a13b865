"""What a search for one subject found: rows per table, how each was reached, the identities."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from persondata.connectors.graph import TableRef
from persondata.connectors.protocol import Guard, Row
from persondata.identity import Identity

Reach = Literal["identity", "owned", "reference"]
_RANK: dict[Reach, int] = {"identity": 0, "owned": 1, "reference": 2}


@dataclass
class FoundTable:
    """Rows of one table found for the subject, by primary key, with how each was reached."""

    ref: TableRef
    primary_key: str
    rows: dict[Any, Row] = field(default_factory=dict)
    reach: dict[Any, Reach] = field(default_factory=dict)

    def add(self, row: Row, reach: Reach) -> bool:
        """Add a row; True when it is new. Identity beats owned beats reference."""
        key = row[self.primary_key]
        old = self.reach.get(key)
        if old is None:
            self.rows[key] = row
            self.reach[key] = reach
            return True
        if _RANK[reach] < _RANK[old]:
            self.reach[key] = reach
        return False


@dataclass
class Discovery:
    """Everything found for one subject."""

    requested: list[Identity]
    identities: list[Identity]
    tables: dict[TableRef, FoundTable]  # the subject's rows (reached by identity or ownership)
    references: dict[TableRef, FoundTable]  # rows only pointed at (reported, never erased)
    queries: int = 0
    passes: int = 0
    round_trips: int = 0  # queries sent together (PostgreSQL's pipeline) count once
    guards: dict[str, list[Guard]] = field(default_factory=dict)  # the deferred pass, per system

    def row_count(self) -> int:
        """How many of the subject's own rows were found."""
        return sum(len(t.rows) for t in self.tables.values())

    def same_finds(self, other: Discovery) -> bool:
        """True when both found the same identities and the same rows of the subject (the rows
        only pointed at aside)."""
        return self.identities == other.identities and _keys(self.tables) == _keys(other.tables)


def _keys(tables: dict[TableRef, FoundTable]) -> dict[TableRef, set[Any]]:
    return {ref: set(t.rows) for ref, t in tables.items()}
