"""Render letters and e-mails from templates: one file per kind and language (da, nb, en).

A template's first line is `Subject: ...`; the rest, after one blank line, is the body.
Dates in the context are ISO strings; the `longdate` filter writes them in the letter's language.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.dates import format_date
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound

from persondata.errors import InputError

LANGUAGES = ("da", "nb", "en")
KINDS = ("receipt", "code", "completion", "extension", "rejection", "reminder")
TEMPLATES = Path(__file__).parent / "templates"

TYPE_LABELS: dict[str, dict[str, str]] = {
    "da": {"access": "indsigt", "portability": "dataportabilitet", "erasure": "sletning",
           "rectification": "berigtigelse", "restriction": "begrænsning af behandling",
           "objection": "indsigelse", "consent_withdrawal": "tilbagekaldelse af samtykke"},
    "nb": {"access": "innsyn", "portability": "dataportabilitet", "erasure": "sletting",
           "rectification": "retting", "restriction": "begrensning av behandling",
           "objection": "protest", "consent_withdrawal": "tilbaketrekking av samtykke"},
    "en": {"access": "access", "portability": "data portability", "erasure": "erasure",
           "rectification": "rectification", "restriction": "restriction of processing",
           "objection": "objection", "consent_withdrawal": "withdrawal of consent"},
}


def mail_language(lang: str | None) -> str:
    """The template language for a request language ('no' is Bokmål); English when unknown."""
    code = (lang or "en").lower().split("-")[0].split("_")[0]
    if code in ("no", "nn"):
        code = "nb"
    return code if code in LANGUAGES else "en"


def _longdate(value: str | date | None, lang: str) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, format="long", locale=lang)


class _Undefined(StrictUndefined):
    """Missing values fail when printed, but may be tested (`{% if summary.note %}`) and looped over."""

    def __bool__(self) -> bool:  # type: ignore[override]
        return False

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(())

    def __len__(self) -> int:  # type: ignore[override]
        return 0


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=_Undefined,
                      autoescape=False, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    return env


def render(kind: str, lang: str, context: dict[str, Any]) -> tuple[str, str]:
    """Render a message: (subject, body)."""
    lang = mail_language(lang)
    if kind not in KINDS:
        raise InputError(f"unknown message kind {kind!r}; known: {', '.join(KINDS)}")
    env = _environment()
    try:
        template = env.get_template(f"{kind}.{lang}.txt")
    except TemplateNotFound as exc:  # pragma: no cover - every kind ships in every language
        raise InputError(f"no {lang} template for {kind}") from exc
    labels = TYPE_LABELS[lang]
    text = template.render(
        **context,
        lang=lang,
        type_label=labels.get(str(context.get("request", {}).get("type", "")), ""),
        type_labels=labels,
        longdate=lambda v: _longdate(v, lang),
    )
    head, _, body = text.partition("\n\n")
    if not head.startswith("Subject: "):
        raise InputError(f"template {kind}.{lang}.txt must start with a 'Subject: ' line")
    return head.removeprefix("Subject: ").strip(), body.strip() + "\n"
