"""The retention grammar: how long a purpose keeps its data.

    N days|weeks|months|years after ANCHOR                    e.g. 2 years after last_contact
    N days|weeks|months|years after end of year of ANCHOR     e.g. 5 years after end of year of invoice_date
    until consent withdrawn
    until ANCHOR                                              e.g. until relationship_end

Singular units ("1 year") are accepted; keywords are case-insensitive. An ANCHOR is a named
event (lower-case letters, digits, '_') that a table maps to one of its columns.

`expires_at(anchor_value)` is the first instant the data is no longer covered by the rule:
- `N unit after A`: A + N units, calendar-correct (31 Jan + 1 month = 28/29 Feb);
- `N unit after end of year of A`: the period runs from the end of A's calendar year, so
  "5 years after end of year of 2024-03-10" keeps the data through 31 Dec 2029 and expires
  at 2030-01-01 (midnight, in the anchor's time zone for a datetime);
- `until A` / `until consent withdrawn`: the anchor value itself (the time of the event).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, TypeVar

from persondata.calendar import add_period
from persondata.errors import InputError

T = TypeVar("T", date, datetime)
Kind = Literal["after", "after_end_of_year", "until", "until_consent_withdrawn"]
UNITS = ("days", "weeks", "months", "years")
CONSENT_WITHDRAWN = "consent_withdrawn"
"""The anchor of `until consent withdrawn`: the time consent was withdrawn."""

_TOKEN = re.compile(r"\S+")
_ANCHOR = re.compile(r"^[a-z][a-z0-9_]*$")
_UNIT_WORDS = {u: u for u in UNITS} | {u[:-1]: u for u in UNITS}
_WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "en": {"days": ("day", "days"), "weeks": ("week", "weeks"), "months": ("month", "months"),
           "years": ("year", "years")},
    "da": {"days": ("dag", "dage"), "weeks": ("uge", "uger"), "months": ("måned", "måneder"),
           "years": ("år", "år")},
    "nb": {"days": ("dag", "dager"), "weeks": ("uke", "uker"), "months": ("måned", "måneder"),
           "years": ("år", "år")},
}
_PHRASES = {
    "en": {"after": "{n} {unit} after {anchor}",
           "after_end_of_year": "{n} {unit} after the end of the year of {anchor}",
           "until": "until {anchor}", "until_consent_withdrawn": "until consent is withdrawn"},
    "da": {"after": "{n} {unit} efter {anchor}",
           "after_end_of_year": "{n} {unit} efter udgangen af året for {anchor}",
           "until": "indtil {anchor}", "until_consent_withdrawn": "indtil samtykket trækkes tilbage"},
    "nb": {"after": "{n} {unit} etter {anchor}",
           "after_end_of_year": "{n} {unit} etter utgangen av året for {anchor}",
           "until": "til {anchor}", "until_consent_withdrawn": "til samtykket trekkes tilbake"},
}
_ANCHOR_WORDS: dict[str, dict[str, str]] = {
    "last_contact": {"en": "the last contact", "da": "sidste kontakt", "nb": "siste kontakt"},
    "relationship_end": {"en": "the end of the customer relationship", "da": "kundeforholdets ophør",
                         "nb": "kundeforholdets opphør"},
    "application_rejected": {"en": "the rejection of the application", "da": "afslag på ansøgningen",
                             "nb": "avslag på søknaden"},
    "sent_at": {"en": "sending", "da": "afsendelse", "nb": "sending"},
    "created_at": {"en": "registration", "da": "registrering", "nb": "registrering"},
    "invoice_date": {"en": "the invoice date", "da": "fakturadatoen", "nb": "fakturadatoen"},
    "termination": {"en": "termination", "da": "opsigelse", "nb": "oppsigelse"},
}


class RetentionSyntaxError(InputError):
    """A retention rule that does not parse; `column` is 1-based."""

    def __init__(self, text: str, column: int, expected: str) -> None:
        self.text = text
        self.column = column
        self.expected = expected
        word = _word_at(text, column)
        self.found = f"'{word}'" if word else "the end of the rule"
        super().__init__(f"retention rule '{text}' does not parse at column {column}: "
                         f"expected {expected}, found {self.found}")


def _word_at(text: str, column: int) -> str:
    match = _TOKEN.match(text, column - 1) if column - 1 < len(text) else None
    return match.group(0) if match else ""


def humanise_anchor(anchor: str, lang: str = "en") -> str:
    """An anchor name in words: known anchors are translated, others get their '_' turned into spaces."""
    words = _ANCHOR_WORDS.get(anchor)
    if words is not None:
        return words.get(lang, words["en"])
    return anchor.replace("_", " ")


@dataclass(frozen=True)
class RetentionRule:
    """A parsed retention rule."""

    kind: Kind
    n: int | None = None
    unit: str | None = None  # days, weeks, months or years
    anchor: str = CONSENT_WITHDRAWN
    text: str = field(default="", compare=False)

    @property
    def until_consent_withdrawn(self) -> bool:
        """True for `until consent withdrawn`."""
        return self.kind == "until_consent_withdrawn"

    def expires_at(self, anchor_value: T) -> T:
        """The first instant the rule no longer covers the data, given the anchor's value."""
        if self.kind in ("until", "until_consent_withdrawn"):
            return anchor_value
        assert self.n is not None and self.unit is not None
        if self.kind == "after":
            return add_period(anchor_value, self.n, self.unit)
        if isinstance(anchor_value, datetime):
            start: date = datetime(anchor_value.year + 1, 1, 1, tzinfo=anchor_value.tzinfo)
        else:
            start = date(anchor_value.year + 1, 1, 1)
        return add_period(start, self.n, self.unit)  # type: ignore[return-value]

    def describe(self, lang: str = "en", anchor_words: str | None = None) -> str:
        """The rule in words in da, nb or en; anchor_words replaces the humanised anchor name."""
        lang = lang if lang in _PHRASES else ("nb" if lang == "no" else "en")
        anchor = anchor_words if anchor_words is not None else humanise_anchor(self.anchor, lang)
        unit = ""
        if self.unit is not None and self.n is not None:
            singular, plural = _WORDS[lang][self.unit]
            unit = singular if self.n == 1 else plural
        return _PHRASES[lang][self.kind].format(n=self.n, unit=unit, anchor=anchor)

    def __str__(self) -> str:
        if self.kind == "until_consent_withdrawn":
            return "until consent withdrawn"
        if self.kind == "until":
            return f"until {self.anchor}"
        unit = self.unit if self.n != 1 else (self.unit or "")[:-1]
        eoy = "end of year of " if self.kind == "after_end_of_year" else ""
        return f"{self.n} {unit} after {eoy}{self.anchor}"


def parse_retention(text: str) -> RetentionRule:
    """Parse a retention rule; raises RetentionSyntaxError with the column and what was expected."""
    tokens = [(m.group(0), m.start() + 1) for m in _TOKEN.finditer(text)]
    end_column = len(text.rstrip()) + 1
    pos = 0

    def peek() -> tuple[str, int]:
        return tokens[pos] if pos < len(tokens) else ("", end_column)

    def column() -> int:
        return peek()[1]

    def expect(*words: str, what: str | None = None) -> str:
        nonlocal pos
        word = peek()[0].lower()
        if pos >= len(tokens) or word not in words:
            raise RetentionSyntaxError(text, column(), what or " or ".join(f"'{w}'" for w in words))
        pos += 1
        return word

    def anchor() -> str:
        nonlocal pos
        word = peek()[0]
        if pos >= len(tokens) or not _ANCHOR.match(word):
            raise RetentionSyntaxError(text, column(), "an anchor name (lower-case letters, digits, '_')")
        pos += 1
        return word

    def finish(rule: RetentionRule) -> RetentionRule:
        if pos < len(tokens):
            raise RetentionSyntaxError(text, column(), "the end of the rule")
        return rule

    first = peek()[0].lower()
    if pos >= len(tokens):
        raise RetentionSyntaxError(text, 1, "a number or 'until'")
    if first == "until":
        pos += 1
        if peek()[0].lower() == "consent":
            pos += 1
            expect("withdrawn")
            return finish(RetentionRule(kind="until_consent_withdrawn", text=text))
        return finish(RetentionRule(kind="until", anchor=anchor(), text=text))
    if not (first.isascii() and first.isdigit()):
        raise RetentionSyntaxError(text, column(), "a number or 'until'")
    n = int(first)
    pos += 1
    unit_word = peek()[0].lower()
    if pos >= len(tokens) or unit_word not in _UNIT_WORDS:
        raise RetentionSyntaxError(text, column(), "a unit: days, weeks, months or years")
    unit = _UNIT_WORDS[unit_word]
    pos += 1
    expect("after")
    if peek()[0].lower() == "end" and pos + 1 < len(tokens) and tokens[pos + 1][0].lower() == "of":
        pos += 1
        expect("of")
        expect("year")
        expect("of")
        return finish(RetentionRule(kind="after_end_of_year", n=n, unit=unit, anchor=anchor(), text=text))
    return finish(RetentionRule(kind="after", n=n, unit=unit, anchor=anchor(), text=text))
