"""Fixed words of the drafts in Danish, Norwegian Bokmål and English, and local formatting."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_decimal

from persondata.policy.model import Policy, text_in

LANGS = ("da", "nb", "en")
LOCALES = {"da": "da_DK", "nb": "nb_NO", "en": "en_GB"}

RISK = {
    "da": {"unlikely": "usandsynligt at medføre en risiko", "risk": "risiko",
           "high_risk": "høj risiko", None: "endnu ikke vurderet"},
    "nb": {"unlikely": "lite sannsynlig at medføre en risiko", "risk": "risiko",
           "high_risk": "høy risiko", None: "ennå ikke vurdert"},
    "en": {"unlikely": "unlikely to result in a risk", "risk": "risk", "high_risk": "high risk",
           None: "not yet assessed"},
}

DISCOVERY = {
    "da": {"internal": "opdaget internt", "processor": "meddelt af vores databehandler",
           "external_reporter": "anmeldt af en ekstern person"},
    "nb": {"internal": "oppdaget internt", "processor": "varslet av vår databehandler",
           "external_reporter": "meldt av en ekstern person"},
    "en": {"internal": "found internally", "processor": "reported by our processor",
           "external_reporter": "reported by an outside person"},
}

UNKNOWN = {"da": "endnu ikke kendt", "nb": "ennå ikke kjent", "en": "not yet known"}


def when(value: datetime | None, zone: ZoneInfo, lang: str) -> str:
    """A local date and time in words: '27. marts 2027 kl. 10:00 (UTC+01:00)'."""
    if value is None:
        return UNKNOWN[lang]
    loc = value.astimezone(zone)
    pattern = "d MMMM y 'at' HH:mm" if lang == "en" else "d. MMMM y 'kl.' HH:mm"
    offset = loc.strftime("%z")
    return f"{format_datetime(loc, pattern, locale=LOCALES[lang])} (UTC{offset[:3]}:{offset[3:]})"


def number(value: int | None, lang: str) -> str:
    """A count in local style, 'not yet known' when missing."""
    if value is None:
        return UNKNOWN[lang]
    return format_decimal(value, locale=LOCALES[lang])


def category_label(key: str, lang: str, policy: Policy) -> str:
    """A data category's name in the language (the policy's own names first), Art. 9/10 marked."""
    from persondata.i18n.describe import category_label as _label

    return _label(policy, key, lang)


def subject_kinds(policy: Policy, tables: list[str], lang: str) -> list[str]:
    """The categories of data subjects held in the affected tables (from their purposes)."""
    keys: list[str] = []
    for item in tables:
        system, _, name = item.partition(".")
        table = policy.systems.get(system, None)
        spec = table.tables.get(name) if table is not None else None
        if spec is None:
            continue
        for purpose in spec.purposes:
            found = policy.purposes.get(purpose)
            if found is not None:
                keys += [s for s in found.subjects if s not in keys]
    return [text_in(policy.subjects[k].name, lang) if k in policy.subjects else k for k in keys]
