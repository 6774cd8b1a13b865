"""Language helpers shared by the notice, the record of processing and the web pages.

Fixed texts live in `catalog/{da,nb,en}.yaml` (nested keys, `{placeholder}` formatting);
every key exists in all three languages. Dates and country names come from Babel (CLDR);
data category names come from persondata.policy.taxonomy.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import date
from importlib import resources
from typing import Any

import yaml
from babel import Locale
from babel.dates import format_date as _babel_format_date

from persondata.errors import InputError

SUPPORTED: tuple[str, ...] = ("da", "nb", "en")
"""Languages that have every fixed text."""

_LOCALES = {"da": "da_DK", "nb": "nb_NO", "en": "en_GB"}
_ALIASES = {"no": "nb", "nb_no": "nb", "nb-no": "nb", "no_no": "nb", "da_dk": "da", "da-dk": "da",
            "en_gb": "en", "en-gb": "en", "en_us": "en", "en-us": "en"}


class UnsupportedLanguage(InputError):
    """A language persondata has no fixed texts for."""


def normalise_lang(lang: str) -> str:
    """The catalog language for a code ('no' and 'nb-NO' are 'nb'); InputError if unsupported."""
    code = lang.strip().lower()
    code = _ALIASES.get(code, code)
    if code not in SUPPORTED:
        raise UnsupportedLanguage(
            f"no texts in language {lang!r}; persondata has da, nb and en"
        )
    return code


def babel_locale(lang: str) -> str:
    """The Babel locale used for a notice language (en is British English)."""
    return _LOCALES[normalise_lang(lang)]


@functools.cache
def catalog(lang: str) -> Mapping[str, Any]:
    """The nested fixed-text catalog of a language."""
    code = normalise_lang(lang)
    text = resources.files("persondata.i18n").joinpath("catalog", f"{code}.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Flatten a nested catalog into dotted keys."""
    out: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, name + "."))
        else:
            out[name] = str(value)
    return out


@functools.cache
def flat_catalog(lang: str) -> dict[str, str]:
    """The catalog of a language with dotted keys ('rights.access.title')."""
    return flatten(catalog(lang))


def t(lang: str, key: str, **params: object) -> str:
    """A fixed text by dotted key, with {placeholders} filled in."""
    text = flat_catalog(normalise_lang(lang))[key]
    return text.format(**params) if params else text


def format_date(value: date, lang: str) -> str:
    """A date in words in a language: '1. marts 2024', '1. mars 2024', '1 March 2024'."""
    return _babel_format_date(value, format="long", locale=babel_locale(lang))


def country_name(code: str, lang: str) -> str:
    """The name of a country (ISO 3166 alpha-2) in a language."""
    territories = Locale.parse(babel_locale(lang)).territories
    return str(territories.get(code.upper(), code.upper()))


def duration_words(text: str, lang: str) -> str:
    """A duration such as '2 business days' in words in a language ('2 arbejdsdage')."""
    from persondata.calendar import parse_duration

    n, unit = parse_duration(text)
    form = "one" if n == 1 else "other"
    return f"{n} {t(lang, f'units.{unit}.{form}')}"
