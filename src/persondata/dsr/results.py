"""What the DSR services return: pydantic models that serialise to JSON (`.model_dump(mode="json")`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class Out(BaseModel):
    """Base of every result model."""

    def to_json(self) -> dict[str, Any]:
        """The result as JSON-ready data."""
        return self.model_dump(mode="json")


class RecipientOut(Out):
    """A recipient of the subject's data (Art. 15(1)(c), Art. 19)."""

    key: str
    name: str
    role: str
    country: str
    third_country: bool = False
    transfer: str | None = None
    transfer_text: str = ""


class PurposeOut(Out):
    """A purpose a table is processed for, in words."""

    key: str
    name: str
    basis: str
    basis_text: str
    detail: str = ""  # the statute or the legitimate interest
    retention: str | None = None
    retention_text: str = ""


class ColumnOut(Out):
    """A column of an exported table."""

    name: str
    category: str | None = None
    category_name: str | None = None
    portable: bool = False
    encrypted: bool = False
    decrypted: bool = False


class TableOut(Out):
    """One table's rows for the subject with its Art. 15 information."""

    system: str
    table: str
    description: str = ""
    reached: Literal["subject", "reference"] = "subject"
    rows: list[dict[str, Any]] = Field(default_factory=list)
    columns: list[ColumnOut] = Field(default_factory=list)
    purposes: list[PurposeOut] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    recipients: list[RecipientOut] = Field(default_factory=list)
    source: str = ""
    held_until: dict[str, date | None] = Field(default_factory=dict)  # row key -> hold end

    @property
    def name(self) -> str:
        """`system.table`."""
        return f"{self.system}.{self.table}"


class RightOut(Out):
    """One of the subject's rights, in words."""

    key: str
    title: str
    text: str


class AuthorityOut(Out):
    """The supervisory authority to complain to."""

    name: str
    address: list[str] = Field(default_factory=list)
    email: str | None = None
    phone: str | None = None
    website: str = ""
    complaint_url: str | None = None


class AccessResult(Out):
    """Everything held on one subject, with the Art. 15 information (access and portability)."""

    generated_at: datetime
    lang: str
    controller: dict[str, Any]
    requested: list[str]
    identities: list[str]
    tables: list[TableOut]
    references: list[TableOut]
    rights: list[RightOut]
    authority: AuthorityOut | None = None
    restricted: bool = False
    row_count: int = 0
    queries: int = 0


class RowAction(Out):
    """What erasure does (or would do) to one row."""

    key: Any
    action: Literal["delete", "anonymise", "held", "report", "unchanged"]
    changes: dict[str, str] = Field(default_factory=dict)  # column -> strategy applied
    hold_purpose: str | None = None
    hold_law: str | None = None
    hold_until: date | None = None
    note: str | None = None


class TableErasureOut(Out):
    """Erasure counts and row actions for one table."""

    system: str
    table: str
    mode: str
    deleted: int = 0
    anonymised: int = 0
    held: int = 0
    reported_only: int = 0
    unchanged: int = 0
    rows: list[RowAction] = Field(default_factory=list)


class SystemStatus(Out):
    """How a system fared: planned (dry run), done, skipped (not asked for), failed."""

    system: str
    status: Literal["planned", "done", "skipped", "failed", "nothing"]
    error: str | None = None


class HeldRow(Out):
    """A row kept against the erasure request, and when it goes."""

    system: str
    table: str
    key: Any
    purpose: str | None
    law: str | None
    until: date | None


class ErasureResult(Out):
    """The outcome of an erasure request (or of its dry run)."""

    dry_run: bool
    at: datetime
    requested: list[str]
    identities: list[str]
    tables: list[TableErasureOut]
    systems: list[SystemStatus] = Field(default_factory=list)
    held: list[HeldRow] = Field(default_factory=list)
    deferred_recorded: int = 0
    keys_shredded: int = 0  # vault data keys destroyed (crypto-shredding)
    notify: list[RecipientOut] = Field(default_factory=list)
    totals: dict[str, int] = Field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """True when no system failed."""
        return all(s.status != "failed" for s in self.systems)


class ChangeOut(Out):
    """A value written to one column of one table by rectification."""

    system: str
    table: str
    column: str
    rows: int
    value: str | None


class RectifyResult(Out):
    """The outcome of a rectification."""

    dry_run: bool
    at: datetime
    identities: list[str]
    changes: list[ChangeOut]
    notify: list[RecipientOut] = Field(default_factory=list)


class RestrictionResult(Out):
    """The outcome of restrict / unrestrict."""

    action: Literal["restrict", "unrestrict"]
    at: datetime
    identities: list[str]
    changed: bool
    flagged: dict[str, int] = Field(default_factory=dict)  # system.table -> rows flagged/unflagged
    notify: list[RecipientOut] = Field(default_factory=list)


class RestrictionStatus(Out):
    """Whether a subject is restricted, and how."""

    restricted: bool
    scopes: list[str] = Field(default_factory=list)  # subject / held_rows
    since: datetime | None = None
    held_rows: int = 0


class ObjectionResult(Out):
    """The outcome of an objection."""

    purpose: str
    kind: str
    status: str
    interest: str | None = None
    withdrawn: list[str] = Field(default_factory=list)  # consent purposes withdrawn
    suppressed: bool = False
    objection_id: int | None = None
