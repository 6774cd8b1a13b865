"""Every letter in da, nb and en: subject, language, and the content the law asks for."""

from __future__ import annotations

from typing import Any

import pytest

from persondata.errors import InputError
from persondata.mail.authority import authority_for
from persondata.mail.render import KINDS, LANGUAGES, mail_language, render

REQUEST = {"id": 42, "type": "erasure", "channel": "email", "received": "2027-02-28", "due": "2027-03-30",
           "original_due": "2027-03-30"}
CONTROLLER = {"name": "Nordlys Tele A/S", "email": "privacy@nordlys.example", "address": "", "country": "DK"}
SUMMARY = {
    "tables": [{"system": "billing", "table": "customer", "deleted": 1, "anonymised": 0, "held": 0},
               {"system": "billing", "table": "invoice", "deleted": 0, "anonymised": 0, "held": 3}],
    "held": [{"system": "billing", "table": "invoice", "rows": 3, "until": "2032-12-31",
              "law": "Bogføringsloven"}],
    "recipients": ["Example SMS AB"], "rows": 4,
}


def ctx(kind: str, **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"controller": CONTROLLER, "request": dict(REQUEST)}
    base.update({"receipt": {"needs_code": True}, "code": {"code": "123456", "minutes": 15},
                 "extension": {"months": 2, "reason": "data in six systems"},
                 "rejection": {"reason": "manifestly unfounded", "authority": authority_for("DK")},
                 "completion": {"summary": SUMMARY},
                 "reminder": {"today": "2027-03-25", "overdue": [], "due_soon": [
                     {"id": 42, "type": "erasure", "due": "2027-03-30", "state": "verified"}]}}[kind])
    base.update(extra)
    return base


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_in_every_language(kind: str, lang: str) -> None:
    subject, body = render(kind, lang, ctx(kind))
    assert subject and "\n" not in subject
    assert "{{" not in body and "{%" not in body
    assert body.endswith("\n") and "\n\n\n" not in body


WORDS = {  # words that only appear in that language's text
    "da": ("modtaget", "Med venlig hilsen", "28. februar 2027"),
    "nb": ("mottok", "Med vennlig hilsen", "28. februar 2027"),
    "en": ("received", "Kind regards", "February 28, 2027"),
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_receipt_is_in_the_request_language(lang: str) -> None:
    subject, body = render("receipt", lang, ctx("receipt"))
    for word in WORDS[lang]:
        assert word in body
    assert {"da": "sletning", "nb": "sletting", "en": "erasure"}[lang] in subject
    assert "42" in subject


def test_receipt_mentions_the_deadline_and_the_code() -> None:
    _, body = render("receipt", "da", ctx("receipt"))
    assert "30. marts 2027" in body and "artikel 12, stk. 3" in body and "kode" in body
    _, body = render("receipt", "da", ctx("receipt", needs_code=False))
    assert "kode" not in body


@pytest.mark.parametrize(("lang", "words"), [
    ("da", ("Datatilsynet", "Carl Jacobsens Vej 35", "klage", "manifestly unfounded", "domstolene")),
    ("nb", ("Datatilsynet", "klage", "domstolene")),
    ("en", ("complaint", "judicial remedy", "Article")),
])
def test_rejection_names_reason_and_right_to_complain(lang: str, words: tuple[str, ...]) -> None:
    _, body = render("rejection", lang, ctx("rejection"))
    for word in words:
        assert word in body


def test_rejection_in_norway_names_the_norwegian_authority() -> None:
    _, body = render("rejection", "nb", ctx("rejection", authority=authority_for("NO", "nb")))
    assert "postkasse@datatilsynet.no" in body and "0105 Oslo" in body
    assert "klage-til-datatilsynet" in body


def test_rejection_elsewhere_points_to_the_edpb_list() -> None:
    _, body = render("rejection", "en", ctx("rejection", authority=authority_for("FI", "en")))
    assert "complaint with the data protection authority of your EU/EEA country" in body
    assert "edpb.europa.eu" in body


@pytest.mark.parametrize(("lang", "words"), [
    ("da", ("2 måneder", "data in six systems", "28. maj 2027", "30. marts 2027")),
    ("nb", ("2 måneder", "data in six systems", "28. mai 2027")),
    ("en", ("2 months", "Reason: data in six systems", "May 28, 2027")),
])
def test_extension_notice_gives_reason_and_new_deadline(lang: str, words: tuple[str, ...]) -> None:
    c = ctx("extension")
    c["request"]["due"] = "2027-05-28"
    _, body = render("extension", lang, c)
    for word in words:
        assert word in body


@pytest.mark.parametrize(("lang", "words"), [
    ("da", ("billing.invoice: 3 registreringer (Bogføringsloven), slettes den 31. december 2032",
            "billing.customer: 1 slettet", "Example SMS AB")),
    ("nb", ("billing.invoice: 3 registreringer (Bogføringsloven), slettes 31. desember 2032",)),
    ("en", ("billing.invoice: 3 records (Bogføringsloven), erased on December 31, 2032",
            "billing.invoice: 0 deleted, 0 anonymised, 3 kept")),
])
def test_erasure_completion_lists_held_rows_and_when_they_go(lang: str, words: tuple[str, ...]) -> None:
    _, body = render("completion", lang, ctx("completion"))
    for word in words:
        assert word in body


def test_access_completion_mentions_the_attachment_or_link() -> None:
    c = ctx("completion", summary={"export": {"attached": True, "name": "request-42.zip"}, "rows": 9,
                                   "tables": [{}, {}]})
    c["request"]["type"] = "access"
    _, body = render("completion", "en", c)
    assert "attached file request-42.zip" in body and "9 records about you in 2 tables" in body
    c["summary"]["export"] = {"attached": False, "link": "https://privacy.example/r/42"}
    _, body = render("completion", "da", c)
    assert "https://privacy.example/r/42" in body


def test_code_mail() -> None:
    subject, body = render("code", "nb", ctx("code"))
    assert "123456" in body and "15 minutter" in body and "123456" not in subject


def test_language_fallbacks_and_unknown_kind() -> None:
    assert mail_language("no") == "nb"
    assert mail_language("da-DK") == "da"
    assert mail_language("sv") == "en"
    assert mail_language(None) == "en"
    with pytest.raises(InputError, match="unknown message kind"):
        render("postcard", "da", {})


def test_erasure_completion_names_shared_rows_and_holds_without_end() -> None:
    summary = {"tables": [{"system": "crm", "table": "address", "deleted": 0, "anonymised": 0, "held": 0,
                           "reported": 1},
                          {"system": "crm", "table": "contact", "deleted": 1, "anonymised": 0, "held": 0,
                           "reported": 0}],
               "held": [{"system": "billing", "table": "invoice", "rows": 1, "until": None, "law": None}],
               "recipients": []}
    _, body = render("completion", "da", ctx("completion", summary=summary))
    assert "deler med andre (for eksempel en fælles adresse), har vi ikke slettet: crm.address (1)" in body
    assert "crm.address: 0 slettet" not in body  # nothing done there: not listed as erased
    assert "billing.invoice: 1 registrering, slettes, når opbevaringspligten ophører" in body
    _, body = render("completion", "en", ctx("completion", summary=summary))
    assert "has not been erased: crm.address (1)" in body
    assert "erased when the duty to keep it ends" in body


def test_held_rows_are_one_per_line_and_no_double_full_stop() -> None:
    row = {"system": "billing", "table": "invoice", "law": "Bogføringsloven"}
    held = [{**row, "rows": 2, "until": "2028-01-01"}, {**row, "rows": 1, "until": "2029-01-01"}]
    summary = dict(SUMMARY, held=held,
                   recipients=["Example SMS AB", "Havbro Technologies Pvt. Ltd."])
    for lang in LANGUAGES:
        _, body = render("completion", lang, ctx("completion", summary=summary))
        lines = body.splitlines()
        held = [line for line in lines if line.startswith("- billing.invoice: ") and "2028" in line]
        assert len(held) == 1 and "2029" not in held[0], body
        assert "Pvt. Ltd.." not in body and "Pvt. Ltd." in body
