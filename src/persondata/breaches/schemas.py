"""What goes into and comes out of the breach service: validated inputs, read views."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

TABLE_RE = re.compile(r"^[A-Za-z0-9_\-]+\.[A-Za-z0-9_.\-]+$")


class Discovery(StrEnum):
    """How the controller learnt of the breach."""

    internal = "internal"
    processor = "processor"
    external_reporter = "external_reporter"


class Risk(StrEnum):
    """The risk to the rights and freedoms of the people affected (Art. 33(1), 34(1))."""

    unlikely = "unlikely"
    risk = "risk"
    high_risk = "high_risk"


class Status(StrEnum):
    """Where a case stands."""

    open = "open"  # being handled, authority not (yet) notified
    notified = "notified"  # the authority has been notified
    closed = "closed"


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("tables", check_fields=False)
    @classmethod
    def _tables(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        for item in v:
            if not TABLE_RE.match(item):
                raise ValueError(f"{item!r} must look like system.table (e.g. billing.customer)")
        return list(dict.fromkeys(v))


class CaseCreate(_Input):
    """A new case as the DPO records it."""

    aware_at: datetime
    discovery: Discovery
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1)
    occurred_at: datetime | None = None
    reported_at: datetime | None = None
    reporter_name: str | None = Field(default=None, max_length=200)
    reporter_contact: str | None = Field(default=None, max_length=320)
    systems: list[str] = Field(default_factory=list)
    tables: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    subjects_count: int | None = Field(default=None, ge=0)
    records_count: int | None = Field(default=None, ge=0)
    consequences: str | None = None
    measures_taken: str | None = None
    measures_proposed: str | None = None
    risk: Risk | None = None


class CaseUpdate(_Input):
    """Changes to a case; fields left None are not changed."""

    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, min_length=1)
    occurred_at: datetime | None = None
    reporter_name: str | None = Field(default=None, max_length=200)
    reporter_contact: str | None = Field(default=None, max_length=320)
    systems: list[str] | None = None
    tables: list[str] | None = None
    categories: list[str] | None = None
    subjects_count: int | None = Field(default=None, ge=0)
    records_count: int | None = Field(default=None, ge=0)
    consequences: str | None = None
    measures_taken: str | None = None
    measures_proposed: str | None = None
    risk: Risk | None = None
    authority_notified_at: datetime | None = None
    authority_reference: str | None = Field(default=None, max_length=100)
    delay_reason: str | None = None
    subjects_notified_at: datetime | None = None
    subjects_exemption: str | None = None
    receipt_sent_at: datetime | None = None
    feedback_sent_at: datetime | None = None
    note: str | None = None

    def changes(self) -> dict[str, Any]:
        """The fields this update sets (the note is not a field of the case)."""
        return {k: v for k, v in self.model_dump(exclude={"note"}).items() if v is not None}


class DeadlineView(BaseModel):
    """A deadline as shown to the DPO."""

    kind: str
    rule: str
    required: bool
    state: str
    due: datetime | None
    due_local: str
    due_date: date | None
    done_at: datetime | None
    remaining_hours: float | None
    note: str


class EventView(BaseModel):
    """One timeline entry."""

    at: datetime
    at_local: str
    actor: str
    action: str
    changes: dict[str, Any]
    note: str | None


class CaseSummary(BaseModel):
    """A case in the list."""

    ref: str
    title: str
    status: Status
    risk: Risk | None
    discovery: Discovery
    aware_at: datetime
    aware_local: str
    next_deadline: DeadlineView | None
    flags: list[str]


class CaseView(CaseSummary):
    """A whole case with its deadlines and timeline."""

    country: str
    timezone: str
    occurred_at: datetime | None
    reported_at: datetime | None
    reporter_name: str | None
    reporter_contact: str | None
    description: str
    systems: list[str]
    tables: list[str]
    categories: list[str]
    subjects_count: int | None
    records_count: int | None
    consequences: str | None
    measures_taken: str | None
    measures_proposed: str | None
    authority_notified_at: datetime | None
    authority_reference: str | None
    delay_reason: str | None
    subjects_notified_at: datetime | None
    subjects_exemption: str | None
    receipt_sent_at: datetime | None
    feedback_sent_at: datetime | None
    closed_at: datetime | None
    closing_note: str | None
    deadlines: list[DeadlineView]
    timeline: list[EventView]
