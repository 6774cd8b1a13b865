"""Render the notification drafts from templates (the only module of breaches/ that uses jinja2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2

from persondata.authorities import authority_for
from persondata.breaches.deadlines import authority_deadline, late_by
from persondata.breaches.drafts.words import (
    DISCOVERY,
    LANGS,
    RISK,
    UNKNOWN,
    category_label,
    number,
    subject_kinds,
    when,
)
from persondata.breaches.models import BreachCase
from persondata.breaches.times import controller_zone, span
from persondata.errors import InputError
from persondata.i18n.describe import registration_label
from persondata.policy.model import Policy

TEMPLATES = Path(__file__).parent / "templates"
AUDIENCES = ("authority", "subjects")


@dataclass(frozen=True)
class Draft:
    """A rendered draft: who it is for, its language, and its text (Markdown)."""

    audience: str
    lang: str
    text: str


def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=False, undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
    )


def draft_context(case: BreachCase, policy: Policy, lang: str, now: datetime) -> dict[str, Any]:
    """Everything the templates show, already in the language's words and local time."""
    zone = controller_zone(case.country)
    controller = policy.controller
    contact = controller.dpo
    reference_time = case.authority_notified_at or now
    late = late_by(case.aware_at, reference_time)
    return {
        "case": case,
        "controller": controller,
        "contact": {
            "is_dpo": contact is not None,
            "name": contact.name if contact else controller.name,
            "email": (contact.email if contact and contact.email else controller.email),
            "phone": (contact.phone if contact and contact.phone else controller.phone),
        },
        "authority": authority_words(case.country, lang),
        "registration_label": registration_label(case.country, lang),
        "aware": when(case.aware_at, zone, lang),
        "occurred": when(case.occurred_at, zone, lang) if case.occurred_at else None,
        "deadline": when(authority_deadline(case.aware_at), zone, lang),
        "late": span(late) if late is not None else None,
        "delay_reason": case.delay_reason,
        "discovery": DISCOVERY[lang][case.discovery],
        "risk": RISK[lang][case.risk],
        "categories": [category_label(k, lang, policy) for k in case.categories],
        "subject_kinds": subject_kinds(policy, list(case.tables), lang),
        "subjects": number(case.subjects_count, lang),
        "records": number(case.records_count, lang),
        "systems": list(case.systems),
        "unknown": UNKNOWN[lang],
        "today": when(now, zone, lang),
    }


def authority_words(country: str, lang: str) -> dict[str, str]:
    """The supervisory authority of the country: name, contact line and breach reporting channel."""
    found = authority_for(country)
    address = ", ".join(found.postal_address)
    reach = [x for x in (found.website, found.email, found.phone) if x]
    channel = found.breach
    return {
        "name": found.name_in(lang),
        "contact": " · ".join(x for x in (address, found.email, found.phone) if x) or found.website,
        "reach": ", ".join(reach),
        "channel": channel.name_in(lang) if channel else found.website,
        "channel_url": channel.url if channel else found.website,
        "channel_note": channel.note_in(lang) if channel else "",
    }


def render_draft(case: BreachCase, policy: Policy, audience: str, lang: str, now: datetime) -> Draft:
    """The notification to the authority or the communication to the people affected."""
    if audience not in AUDIENCES:
        raise InputError(f"--to must be one of {', '.join(AUDIENCES)}, not {audience!r}")
    if lang not in LANGS:
        raise InputError(f"--lang must be one of {', '.join(LANGS)}, not {lang!r}")
    template = _env().get_template(f"{audience}_{lang}.md.j2")
    text = template.render(**draft_context(case, policy, lang, now))
    return Draft(audience=audience, lang=lang, text=text)
