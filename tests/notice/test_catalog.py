"""The fixed-text catalog and the language helpers."""

from __future__ import annotations

import re
from datetime import date

import pytest

from persondata.errors import InputError
from persondata.i18n import (
    SUPPORTED,
    country_name,
    duration_words,
    flat_catalog,
    format_date,
    normalise_lang,
    t,
)

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def test_every_key_exists_in_da_nb_en() -> None:
    keys = {lang: set(flat_catalog(lang)) for lang in SUPPORTED}
    assert SUPPORTED == ("da", "nb", "en")
    assert len(keys["en"]) > 150
    for lang in ("da", "nb"):
        assert keys[lang] - keys["en"] == set(), f"{lang} has keys en lacks"
        assert keys["en"] - keys[lang] == set(), f"{lang} lacks keys"


def test_texts_are_nonempty_and_use_the_same_placeholders() -> None:
    en = flat_catalog("en")
    for lang in SUPPORTED:
        for key, text in flat_catalog(lang).items():
            assert text.strip(), f"{lang}:{key} is empty"
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(en[key])), f"{lang}:{key}"


def test_translations_differ_from_english() -> None:
    for lang in ("da", "nb"):
        assert t(lang, "rights.deadline") != t("en", "rights.deadline")
        assert t(lang, "notice.title") != t("en", "notice.title")
    assert t("da", "notice.title") == "Privatlivspolitik"
    assert t("nb", "notice.title") == "Personvernerklæring"


def test_placeholders_are_filled() -> None:
    assert t("en", "rights.how", contact="a@b.dk") == "To exercise a right, write to a@b.dk."


def test_language_codes_are_normalised_and_unknown_ones_refused() -> None:
    assert normalise_lang("no") == "nb"
    assert normalise_lang("nb-NO") == "nb"
    assert normalise_lang("EN") == "en"
    with pytest.raises(InputError, match="'sv'"):
        normalise_lang("sv")


def test_dates_and_countries_per_language() -> None:
    day = date(2024, 3, 1)
    assert format_date(day, "da") == "1. marts 2024"
    assert format_date(day, "nb") == "1. mars 2024"
    assert format_date(day, "en") == "1 March 2024"
    assert country_name("US", "en") == "United States"
    assert country_name("NO", "da") == "Norge"
    assert country_name("SE", "nb") == "Sverige"


def test_durations_in_words() -> None:
    assert duration_words("2 business days", "da") == "2 arbejdsdage"
    assert duration_words("1 weeks", "nb") == "1 uke"
    assert duration_words("2 weeks", "en") == "2 weeks"
