"""Drafts: every Art. 33(3) element to the right authority, Art. 34 to the people, in da/nb/en."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from persondata.breaches.drafts.render import render_draft
from persondata.breaches.models import BreachCase
from persondata.errors import InputError
from persondata.policy.model import Policy

CPH = ZoneInfo("Europe/Copenhagen")
AWARE = datetime(2027, 3, 24, 10, 0, tzinfo=CPH).astimezone(UTC)
NOW = AWARE + timedelta(hours=30)
LANGS = ("da", "nb", "en")

# The headings each draft must carry, per language.
AUTHORITY_HEADINGS = {
    "da": ["Bruddets karakter", "Kategorier af registrerede", "Omtrentligt antal berørte registrerede",
           "Kategorier af personoplysninger", "Omtrentligt antal berørte registreringer",
           "Databeskyttelsesrådgiver", "Sandsynlige konsekvenser", "Trufne foranstaltninger",
           "Foreslåede foranstaltninger"],
    "nb": ["Bruddets art", "Kategorier av registrerte", "Omtrentlig antall berørte registrerte",
           "Kategorier av personopplysninger", "Omtrentlig antall berørte registreringer",
           "Personvernombud", "Sannsynlige konsekvenser", "Tiltak som er truffet", "Foreslåtte tiltak"],
    "en": ["Nature of the breach", "Categories of data subjects", "Approximate number of data subjects",
           "Categories of personal data", "Approximate number of personal data records",
           "Data protection officer", "Likely consequences", "Measures taken", "Measures proposed"],
}
DELAY_HEADING = {"da": "Begrundelse for forsinkelse", "nb": "Begrunnelse for forsinkelsen",
                 "en": "Reasons for the delay"}
SUBJECT_KIND = {"da": "Kunde", "nb": "Kunde", "en": "Customer"}
COUNTS = {"da": ("1.234", "5.678"), "nb": ("1\xa0234", "5\xa0678"), "en": ("1,234", "5,678")}


def make_case(**extra: object) -> BreachCase:
    data: dict[str, object] = dict(
        ref="BR-0007", country="DK", status="open", created_at=AWARE, updated_at=AWARE, aware_at=AWARE,
        discovery="external_reporter", reporter_contact="finder@example.org",
        title="Kundeliste offentligt tilgængelig",
        description="En eksportfil med kundelisten lå i en offentlig mappe på webserveren.",
        systems=["shop"], tables=["shop.customer"], categories=["user.contact.email"],
        subjects_count=1234, records_count=5678,
        consequences="Risiko for phishing-mails til de berørte kunder.",
        measures_taken="Filen er fjernet og adgangslogs er gennemgået.",
        measures_proposed="Automatisk scanning af offentlige mapper; kunderne advares mod phishing.",
        risk="high_risk",
    )
    data.update(extra)
    return BreachCase(**data)


def label(policy: Policy, key: str, lang: str) -> str:
    from persondata.breaches.drafts.words import category_label

    return category_label(key, lang, policy)


@pytest.mark.parametrize("lang", LANGS)
def test_authority_draft_has_every_art_33_3_element(lang: str, policy: Policy) -> None:
    text = render_draft(make_case(), policy, "authority", lang, NOW).text
    for heading in AUTHORITY_HEADINGS[lang]:
        assert heading in text, heading
    case = make_case()
    for value in (case.title, case.description, case.consequences, case.measures_taken,
                  case.measures_proposed, "Mette Holm", "dpo@bureaunord.example", "+45 70 11 22 34",
                  "Bureau Nord ApS", "12345674", "BR-0007", "shop", *COUNTS[lang]):
        assert value in text, value
    assert label(policy, "user.contact.email", lang) in text
    assert SUBJECT_KIND[lang] in text
    # addressed to the Danish authority with its real details and reporting channel
    for value in ("Datatilsynet", "Carl Jacobsens Vej 35, 2500 Valby", "dt@datatilsynet.dk",
                  "+45 33 19 32 00", "Virk.dk", "https://www.datatilsynet.dk/sikkerhedsbrud/anmeld-sikkerhedsbrud"):
        assert value in text, value
    assert "24" in text and "2027" in text  # awareness date
    assert DELAY_HEADING[lang] not in text  # in time: no delay section


@pytest.mark.parametrize("lang", LANGS)
def test_late_authority_draft_carries_the_reason_or_asks_for_it(lang: str, policy: Policy) -> None:
    late_now = AWARE + timedelta(hours=90)
    text = render_draft(make_case(), policy, "authority", lang, late_now).text
    assert DELAY_HEADING[lang] in text
    assert "18 h" in text  # 90 - 72 hours... minus nothing: no DST change before the 27th
    assert "[" in text  # a placeholder while the reason is missing
    reason = "Logfilerne var først tilgængelige efter påske."
    notified = make_case(authority_notified_at=AWARE + timedelta(hours=80), delay_reason=reason)
    text = render_draft(notified, policy, "authority", lang, late_now).text
    assert reason in text and DELAY_HEADING[lang] in text and "8 h" in text


@pytest.mark.parametrize("lang", LANGS)
def test_subject_communication_per_art_34(lang: str, policy: Policy) -> None:
    case = make_case()
    text = render_draft(case, policy, "subjects", lang, NOW).text
    for value in (case.description, case.consequences, case.measures_taken, case.measures_proposed,
                  "Mette Holm", "dpo@bureaunord.example", "BR-0007", "Datatilsynet", "Bureau Nord ApS"):
        assert value in text, value
    assert label(policy, "user.contact.email", lang) in text
    for count in COUNTS[lang]:  # the counts are for the authority, not the people
        assert count not in text
    assert "1234" not in text and "5678" not in text
    assert SUBJECT_KIND[lang].lower() in text  # "Kære kunde" / "Kjære kunde" / "Dear customer"


def test_norwegian_controller_is_addressed_to_the_norwegian_authority(
    policy_factory: Callable[..., Policy],
) -> None:
    policy = policy_factory("NO")
    case = make_case(country="NO", aware_at=datetime(2027, 3, 24, 10, 0, tzinfo=UTC))
    text = render_draft(case, policy, "authority", "nb", NOW).text
    for value in ("Datatilsynet", "Postboks 458 Sentrum, 0105 Oslo", "postkasse@datatilsynet.no",
                  "+47 22 39 69 00", "Altinn", "meld-avvik-til-datatilsynet", "923609016"):
        assert value in text, value
    assert "Virk.dk" not in text
    assert "kl. 11:00 (UTC+01:00)" in text  # awareness shown in Oslo time


def test_without_a_dpo_the_controller_is_the_contact_point(
    policy_factory: Callable[..., Policy],
) -> None:
    data = policy_factory().model_dump(mode="json", exclude_none=True)
    del data["controller"]["dpo"]
    policy = Policy.model_validate(data)
    text = render_draft(make_case(), policy, "authority", "en", NOW).text
    assert "Contact point: Bureau Nord ApS, privacy@bureaunord.example, +45 70 11 22 33" in text


def test_unknown_facts_are_marked_not_known_and_phased(policy: Policy) -> None:
    case = make_case(subjects_count=None, records_count=None, consequences=None, categories=[])
    text = render_draft(case, policy, "authority", "en", NOW).text
    assert "Approximate number of data subjects concerned: not yet known" in text
    assert "Art. 33(4)" in text


def test_bad_audience_or_language(policy: Policy) -> None:
    with pytest.raises(InputError, match="--to must be one of authority, subjects"):
        render_draft(make_case(), policy, "press", "da", NOW)
    with pytest.raises(InputError, match="--lang must be one of da, nb, en"):
        render_draft(make_case(), policy, "authority", "sv", NOW)
