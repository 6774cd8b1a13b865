"""The privacy notice rendered from the compact fixture policy."""

from __future__ import annotations

from datetime import date

import pytest
from tests.notice.helpers import assert_complete_notice, parse_html

from persondata.errors import InputError
from persondata.policy.model import Policy
from persondata.policy.notice import NoticeLanguageError, check_language, render_notice


@pytest.mark.parametrize("fmt", ["md", "html"])
@pytest.mark.parametrize("lang", ["da", "nb", "en"])
def test_notice_is_complete_in_every_language_and_format(compact: Policy, lang: str, fmt: str) -> None:
    out = render_notice(compact, lang, fmt)
    assert_complete_notice(compact, lang, fmt, out)


def test_danish_notice_says_it_in_danish(compact: Policy) -> None:
    out = render_notice(compact, "da", "md")
    assert out.startswith("# Privatlivspolitik: Fjordlys ApS\n")
    assert "*Version 2.1 af 1. marts 2024*" in out
    assert "- **CVR-nr.:** DK13585628" in out
    assert ("**Retsgrundlag:** Legitim interesse (databeskyttelsesforordningens art. 6, stk. 1, litra f)"
            in out)
    assert "**Vores legitime interesse:** At beskytte webshoppen mod svindel" in out
    assert "**Retlig forpligtelse efter:** Bogføringsloven § 10" in out
    assert "**Betingelse for særlige kategorier:** Dit udtrykkelige samtykke (art. 9, stk. 2, litra a)" in out
    assert "Helbredsoplysninger (særlig kategori)" in out
    assert "| Ordrebehandling og levering | 3 år efter kundeforholdets afslutning |" in out
    assert "| Bogføring | 5 år efter udgangen af året for fakturadatoen |" in out
    assert "| Nyhedsbrev | indtil samtykket trækkes tilbage |" in out
    assert "| Mailchimp (Intuit Inc.) | Databehandler | USA (Uden for EU/EØS) |" in out
    assert "EU-U.S. Data Privacy Framework" in out
    assert "EU's standardkontraktbestemmelser (art. 46, stk. 2, litra c). Suppleret med kryptering" in out
    assert "- Nyhedsbrev: Afmeldingslinket i hvert nyhedsbrev" in out
    assert "Det gælder: Forebyggelse af svindel." in out
    assert "Vi bekræfter din identitet ved at sende en engangskode" in out
    assert "Du kan til enhver tid selv slette din profil" in out
    assert ("Vi bekræfter modtagelsen inden for 2 arbejdsdage og giver dig en tilbagemelding "
            "inden for 2 uger.") in out
    assert "senest en måned efter" in out and "yderligere to måneder" in out
    assert "| \\_ga | Google | 2 år |" in out
    assert "| session |  | 1 dag | Holder dig logget ind |" in out


def test_norwegian_and_english_wording(compact: Policy) -> None:
    nb = render_notice(compact, "nb", "md")
    assert nb.startswith("# Personvernerklæring: Fjordlys ApS")
    assert "*Versjon 2.1 av 1. mars 2024*" in nb
    assert "personvernforordningen artikkel 6 nr. 1 bokstav c" in nb
    assert "Rett til å protestere" in nb and "én måned" in nb
    assert "| lang |  | Økt |  |" in nb
    en = render_notice(compact, "en", "md")
    assert "*Version 2.1 of 1 March 2024*" in en
    assert "Legitimate interest (Art. 6(1)(f) GDPR)" in en
    assert "| Order handling and delivery | 3 years after the customer relationship ends |" in en
    assert "| Recruitment | 6 months after the rejection of the application |" in en
    table = "| Purpose | Retention |\n|---|---|\n| Order handling and delivery | 3 years after"
    assert table in en  # tables stay contiguous
    assert "\n\n\n" not in en


def test_html_page_is_self_contained_with_toc(compact: Policy) -> None:
    html = render_notice(compact, "en", "html")
    assert html.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
    page = parse_html(html)
    sections = {"controller", "purposes", "recipients", "cookies", "rights", "authority", "changes"}
    assert sections <= set(page.ids)
    assert page.links.count("authority") >= 2  # table of contents and the complaint right
    assert "http://" not in html.split("<body>")[0] and "https://" not in html.split("<body>")[0]
    assert '<a href="mailto:dt@datatilsynet.dk">dt@datatilsynet.dk</a>' in html
    assert "Carl Jacobsens Vej 35, 2500 Valby" in html
    assert 'Write to <a href="mailto:job@fjordlys.example">job@fjordlys.example</a>' in html
    assert '<a href="https://www.datatilsynet.dk/borger/klage">' in html
    assert "Special categories of personal data (Art. 9 GDPR) are marked" in html
    no_special = compact.model_copy(update={"purposes": {
        k: p for k, p in compact.purposes.items() if k != "recruitment"}})
    assert "are marked" not in render_notice(no_special, "en", "html")


def test_policy_text_is_escaped(compact: Policy) -> None:
    purposes = dict(compact.purposes)
    purposes["orders"] = purposes["orders"].model_copy(
        update={"name": {"en": "<script>alert(1)</script> & *bold* | pipe", "da": "x"}})
    recipients = dict(compact.recipients)
    recipients["carrier"] = recipients["carrier"].model_copy(update={"name": "<b>Carrier</b>"})
    evil = compact.model_copy(update={"purposes": purposes, "recipients": recipients})
    html = render_notice(evil, "en", "html")
    assert "<script>" not in html and "<b>Carrier" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; *bold* | pipe" in html
    assert "&lt;b&gt;Carrier&lt;/b&gt;" in html
    md = render_notice(evil, "en", "md")
    assert "<script>" not in md and "<b>" not in md
    assert "\\<script\\>alert(1)\\</script\\> & \\*bold\\* \\| pipe" in md
    assert "| \\<b\\>Carrier\\</b\\> | Data processor |" in md


def test_no_cookies_is_stated(compact: Policy) -> None:
    bare = compact.model_copy(update={"cookies": {}, "recipients": {}})
    for lang, words in (("da", "Vi bruger ikke cookies"), ("nb", "Vi bruker ikke informasjonskapsler"),
                        ("en", "We do not use cookies")):
        for fmt in ("md", "html"):
            out = render_notice(bare, lang, fmt)
            assert words in out
    out = render_notice(bare, "en", "md")
    assert "We do not disclose your personal data to anyone outside our organisation." in out
    assert "We do not transfer your data to countries outside the EU/EEA." in out


def test_languages_outside_da_nb_en_are_refused(compact: Policy) -> None:
    assert check_language(compact, "da") == ("da", True)
    assert check_language(compact, "no") == ("nb", False)  # rendered: fixed texts exist, policy falls back
    with pytest.raises(NoticeLanguageError, match="'sv'") as info:
        render_notice(compact, "sv", "html")
    assert info.value.exit_code == 2
    swedish = compact.controller.model_copy(update={"languages": ["sv"]})
    listed = compact.model_copy(update={"controller": swedish})
    with pytest.raises(NoticeLanguageError):
        render_notice(listed, "sv", "md")
    with pytest.raises(InputError, match="format"):
        render_notice(compact, "en", "pdf")


def test_undated_policy_shows_generation_date(compact: Policy) -> None:
    controller = compact.controller.model_copy(update={"policy_date": None})
    undated = compact.model_copy(update={"controller": controller})
    out = render_notice(undated, "da", "md", today=date(2025, 1, 31))
    assert "*Version 2.1 · Dannet 31. januar 2025*" in out
