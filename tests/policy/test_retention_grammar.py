"""The retention grammar: every phrase, calendar-correct expiry, words in da/nb/en, errors with columns."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from persondata.errors import InputError
from persondata.policy.retention import RetentionRule, RetentionSyntaxError, humanise_anchor, parse_retention


@pytest.mark.parametrize(("text", "kind", "n", "unit", "anchor"), [
    ("2 years after last_contact", "after", 2, "years", "last_contact"),
    ("1 year after last_contact", "after", 1, "years", "last_contact"),
    ("3 months after sent_at", "after", 3, "months", "sent_at"),
    ("1 month after sent_at", "after", 1, "months", "sent_at"),
    ("2 weeks after created_at", "after", 2, "weeks", "created_at"),
    ("1 week after created_at", "after", 1, "weeks", "created_at"),
    ("3 days after sent_at", "after", 3, "days", "sent_at"),
    ("1 day after sent_at", "after", 1, "days", "sent_at"),
    ("0 days after sent_at", "after", 0, "days", "sent_at"),
    ("5 years after end of year of invoice_date", "after_end_of_year", 5, "years", "invoice_date"),
    ("18 months after end of year of invoice_date", "after_end_of_year", 18, "months", "invoice_date"),
    ("until relationship_end", "until", None, None, "relationship_end"),
    ("until consent withdrawn", "until_consent_withdrawn", None, None, "consent_withdrawn"),
    ("  5  Years  AFTER  End Of Year Of  invoice_date  ", "after_end_of_year", 5, "years", "invoice_date"),
    ("Until Consent Withdrawn", "until_consent_withdrawn", None, None, "consent_withdrawn"),
    ("5 years after end_date", "after", 5, "years", "end_date"),
    ("5 years after end", "after", 5, "years", "end"),
])
def test_every_phrase_parses(text: str, kind: str, n: int | None, unit: str | None, anchor: str) -> None:
    rule = parse_retention(text)
    assert (rule.kind, rule.n, rule.unit, rule.anchor) == (kind, n, unit, anchor)
    assert rule.text == text
    assert parse_retention(str(rule)) == rule  # str() gives the canonical form, which parses back


def test_rules_are_frozen_and_compare_by_meaning() -> None:
    rule = parse_retention("1 year after x")
    assert rule == parse_retention("1 years after x")
    assert rule == RetentionRule(kind="after", n=1, unit="years", anchor="x")
    with pytest.raises(AttributeError):
        rule.n = 2  # type: ignore[misc]
    assert str(rule) == "1 year after x"


@pytest.mark.parametrize(("text", "anchor", "expected"), [
    ("1 month after x", date(2023, 1, 31), date(2023, 2, 28)),
    ("1 month after x", date(2024, 1, 31), date(2024, 2, 29)),  # leap year
    ("1 month after x", date(2024, 3, 31), date(2024, 4, 30)),
    ("3 months after x", date(2024, 11, 30), date(2025, 2, 28)),
    ("13 months after x", date(2024, 1, 31), date(2025, 2, 28)),
    ("1 year after x", date(2024, 2, 29), date(2025, 2, 28)),  # leap day -> 28 Feb
    ("4 years after x", date(2024, 2, 29), date(2028, 2, 29)),
    ("2 weeks after x", date(2024, 12, 25), date(2025, 1, 8)),
    ("3 days after x", date(2024, 2, 27), date(2024, 3, 1)),
    ("0 days after x", date(2024, 2, 27), date(2024, 2, 27)),
    ("5 years after end of year of x", date(2024, 3, 10), date(2030, 1, 1)),
    ("5 years after end of year of x", date(2024, 12, 31), date(2030, 1, 1)),
    ("5 years after end of year of x", date(2024, 1, 1), date(2030, 1, 1)),
    ("6 months after end of year of x", date(2024, 7, 1), date(2025, 7, 1)),
    ("until x", date(2024, 5, 5), date(2024, 5, 5)),
    ("until consent withdrawn", date(2024, 5, 5), date(2024, 5, 5)),
])
def test_expires_at_dates(text: str, anchor: date, expected: date) -> None:
    result = parse_retention(text).expires_at(anchor)
    assert result == expected
    assert type(result) is date


def test_end_of_year_keeps_data_through_31_december_of_year_plus_n() -> None:
    rule = parse_retention("5 years after end of year of invoice_date")
    expires = rule.expires_at(date(2024, 3, 10))
    assert expires - timedelta(days=1) == date(2029, 12, 31)  # last day still kept
    assert expires == date(2030, 1, 1)  # first day no longer covered


def test_expires_at_datetimes_keep_time_and_zone() -> None:
    cet = timezone(timedelta(hours=1))
    assert parse_retention("1 month after x").expires_at(datetime(2024, 1, 31, 13, 45, tzinfo=UTC)) == \
        datetime(2024, 2, 29, 13, 45, tzinfo=UTC)
    rule = parse_retention("5 years after end of year of x")
    eoy = rule.expires_at(datetime(2024, 3, 10, 9, 0, tzinfo=cet))
    assert eoy == datetime(2030, 1, 1, 0, 0, tzinfo=cet)
    assert type(eoy) is datetime
    naive = parse_retention("2 weeks after x").expires_at(datetime(2024, 1, 1, 12, 0))
    assert naive == datetime(2024, 1, 15, 12, 0)


@pytest.mark.parametrize(("text", "lang", "words"), [
    ("5 years after end of year of invoice_date", "da", "5 år efter udgangen af året for fakturadatoen"),
    ("5 years after end of year of invoice_date", "nb", "5 år etter utgangen av året for fakturadatoen"),
    ("5 years after end of year of invoice_date", "en", "5 years after the end of the year of the invoice "
                                                        "date"),
    ("1 year after last_contact", "en", "1 year after the last contact"),
    ("2 years after last_contact", "da", "2 år efter sidste kontakt"),
    ("1 month after sent_at", "da", "1 måned efter afsendelse"),
    ("3 months after sent_at", "nb", "3 måneder etter sending"),
    ("3 days after sent_at", "da", "3 dage efter afsendelse"),
    ("1 day after sent_at", "nb", "1 dag etter sending"),
    ("2 weeks after sent_at", "nb", "2 uker etter sending"),
    ("1 week after sent_at", "da", "1 uge efter afsendelse"),
    ("6 months after application_rejected", "da", "6 måneder efter afslag på ansøgningen"),
    ("until consent withdrawn", "da", "indtil samtykket trækkes tilbage"),
    ("until consent withdrawn", "nb", "til samtykket trekkes tilbake"),
    ("until consent withdrawn", "en", "until consent is withdrawn"),
    ("until relationship_end", "da", "indtil kundeforholdets ophør"),
    ("until account_closed", "en", "until account closed"),
    ("2 years after last_contact", "no", "2 år etter siste kontakt"),
    ("2 years after last_contact", "de", "2 years after the last contact"),
])
def test_describe(text: str, lang: str, words: str) -> None:
    assert parse_retention(text).describe(lang) == words


def test_describe_with_own_anchor_words() -> None:
    rule = parse_retention("5 years after end of year of issued")
    assert rule.describe("da", anchor_words="fakturaens dato") == \
        "5 år efter udgangen af året for fakturaens dato"
    assert humanise_anchor("contract_signed_at", "da") == "contract signed at"


@pytest.mark.parametrize(("text", "column", "expected"), [
    ("", 1, "a number or 'until'"),
    ("   ", 1, "a number or 'until'"),
    ("five years after x", 1, "a number or 'until'"),
    ("-1 years after x", 1, "a number or 'until'"),
    ("5", 2, "a unit: days, weeks, months or years"),
    ("5 yeers after x", 3, "a unit: days, weeks, months or years"),
    ("5 hours after x", 3, "a unit: days, weeks, months or years"),
    ("5 years", 8, "'after'"),
    ("5 years before x", 9, "'after'"),
    ("5 years after", 14, "an anchor name"),
    ("5 years after Last_Contact", 15, "an anchor name"),
    ("5 years after end of", 21, "'year'"),
    ("5 years after end of month of x", 22, "'year'"),
    ("5 years after end of year x", 27, "'of'"),
    ("5 years after end of year of", 29, "an anchor name"),
    ("5 years after x and y", 17, "the end of the rule"),
    ("until", 6, "an anchor name"),
    ("until consent", 14, "'withdrawn'"),
    ("until consent given", 15, "'withdrawn'"),
    ("until x y", 9, "the end of the rule"),
])
def test_syntax_errors_give_column_and_expectation(text: str, column: int, expected: str) -> None:
    with pytest.raises(RetentionSyntaxError) as info:
        parse_retention(text)
    assert info.value.column == column
    assert expected in info.value.expected
    assert f"at column {column}: expected {info.value.expected}" in str(info.value)
    assert isinstance(info.value, InputError)


def test_error_names_what_was_found() -> None:
    with pytest.raises(RetentionSyntaxError, match="found 'yeers'"):
        parse_retention("5 yeers after x")
    with pytest.raises(RetentionSyntaxError, match="found the end of the rule"):
        parse_retention("5 years after")
