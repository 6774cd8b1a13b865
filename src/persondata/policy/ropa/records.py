"""The Art. 30 records as rows: one row per purpose (30(1)) and per processor activity (30(2)).

Each cell is a list of strings; CSV joins them with '; ', the spreadsheet with line breaks.
"""

from __future__ import annotations

from dataclasses import dataclass

from persondata.i18n import SUPPORTED, country_name, t
from persondata.i18n import describe as d
from persondata.policy.model import Policy, Role, text_in

Cell = list[str]

CONTROLLER_COLUMNS = (
    "id", "controller", "controller_contact", "dpo", "representative", "joint_controllers", "purpose",
    "description", "legal_basis", "basis_detail", "art9", "subjects", "categories", "recipients",
    "transfers", "retention", "security",
)
"""Art. 30(1) columns, as ropa.* catalog keys."""

PROCESSOR_COLUMNS = (
    "id", "processor", "processor_contact", "dpo", "representative", "clients", "activity", "categories",
    "sub_processors", "transfers", "security",
)
"""Art. 30(2) columns, as ropa.* catalog keys."""


@dataclass
class Record:
    """One Art. 30 record: localised column titles and rows of cells."""

    title: str
    sheet: str
    keys: tuple[str, ...]
    headers: list[str]
    rows: list[list[Cell]]


def ropa_language(policy: Policy, lang: str | None = None) -> str:
    """The record's language: the one asked for, else the policy's first language that has texts."""
    from persondata.i18n import normalise_lang

    if lang is not None:
        return normalise_lang(lang)
    for candidate in policy.controller.languages:
        code = "nb" if candidate.lower() in ("no", "nb") else candidate.lower()
        if code in SUPPORTED:
            return code
    return "en"


def _controller_cell(policy: Policy, lang: str) -> Cell:
    c = policy.controller
    cell = [c.name]
    if c.registration:
        cell.append(f"{d.registration_label(c.country, lang)} {c.registration}")
    if c.address:
        cell.append(c.address)
    cell.append(country_name(c.country, lang))
    return cell


def _contact_cell(policy: Policy) -> Cell:
    c = policy.controller
    return [x for x in (c.email, c.phone, c.website) if x]


def _person_cell(policy: Policy, which: str) -> Cell:
    person = getattr(policy.controller, which)
    if person is None:
        return []
    return [x for x in (person.name, person.email, person.phone, person.address) if x]


def _security(policy: Policy, lang: str) -> Cell:
    return [text_in(m, lang) for m in policy.security_measures]


def _transfers(policy: Policy, keys: list[str], lang: str) -> Cell:
    out = []
    for key in keys:
        r = policy.recipients.get(key)
        if r is not None and not d.in_eea(r.country):
            out.append(f"{r.name_in(lang)} ({country_name(r.country, lang)}): {d.transfer_words(r, lang)}")
    return out or [t(lang, "ropa.no_transfers")]


def controller_record(policy: Policy, lang: str) -> Record:
    """The Art. 30(1) record: one row per purpose."""
    rows = []
    for key, p in policy.purposes.items():
        recipients = [policy.recipients[r] for r in p.recipients if r in policy.recipients]
        joint = [f"{r.name_in(lang)} ({country_name(r.country, lang)})" for r in recipients
                 if r.role is Role.joint_controller]
        cells: dict[str, Cell] = {
            "id": [key],
            "controller": _controller_cell(policy, lang),
            "controller_contact": _contact_cell(policy),
            "dpo": _person_cell(policy, "dpo"),
            "representative": _person_cell(policy, "representative"),
            "joint_controllers": joint,
            "purpose": [text_in(p.name, lang)],
            "description": [text_in(p.description, lang)] if p.description else [],
            "legal_basis": [f"{d.basis_name(p.basis, lang)} ({d.basis_ref(p.basis, lang)})"],
            "basis_detail": [x for x in (d.basis_detail(p, lang),) if x],
            "art9": [x for x in (d.art9_words(p.art9, lang),) if x],
            "subjects": [d.subject_name(policy, s, lang) for s in p.subjects],
            "categories": [d.category_label(policy, c, lang) for c in p.categories],
            "recipients": [d.recipient_line(r, lang) for r in recipients],
            "transfers": _transfers(policy, p.recipients, lang),
            "retention": [d.retention_words(p, lang, policy)],
            "security": _security(policy, lang),
        }
        rows.append([cells[k] for k in CONTROLLER_COLUMNS])
    return Record(
        title=t(lang, "ropa.title"),
        sheet=t(lang, "ropa.sheet_controller"),
        keys=CONTROLLER_COLUMNS,
        headers=[t(lang, f"ropa.{k}") for k in CONTROLLER_COLUMNS],
        rows=rows,
    )


def processor_record(policy: Policy, lang: str) -> Record:
    """The Art. 30(2) record: one row per activity carried out on behalf of clients."""
    rows = []
    for key, a in policy.processor_activities.items():
        subs = [policy.recipients[s] for s in a.sub_processors if s in policy.recipients]
        security = ([text_in(a.security, lang)] if a.security else []) + _security(policy, lang)
        cells: dict[str, Cell] = {
            "id": [key],
            "processor": _controller_cell(policy, lang),
            "processor_contact": _contact_cell(policy),
            "dpo": _person_cell(policy, "dpo"),
            "representative": _person_cell(policy, "representative"),
            "clients": [text_in(a.clients, lang)],
            "activity": [text_in(a.name, lang)],
            "categories": [d.category_label(policy, c, lang) for c in a.categories],
            "sub_processors": [d.recipient_line(r, lang) for r in subs],
            "transfers": _transfers(policy, a.sub_processors, lang),
            "security": security,
        }
        rows.append([cells[k] for k in PROCESSOR_COLUMNS])
    return Record(
        title=t(lang, "ropa.processor_title"),
        sheet=t(lang, "ropa.sheet_processor"),
        keys=PROCESSOR_COLUMNS,
        headers=[t(lang, f"ropa.{k}") for k in PROCESSOR_COLUMNS],
        rows=rows,
    )
