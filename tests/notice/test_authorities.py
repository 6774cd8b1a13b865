"""Supervisory authorities' contact details and breach channels."""

from __future__ import annotations

from persondata.authorities import AUTHORITIES, EU_FALLBACK, authority_for


def test_danish_authority() -> None:
    dk = authority_for("DK")
    assert dk.name_in("da") == "Datatilsynet"
    assert dk.postal_address[:2] == ("Carl Jacobsens Vej 35", "2500 Valby")
    assert dk.email == "dt@datatilsynet.dk"
    assert dk.phone == "+45 33 19 32 00"
    assert dk.website == "https://www.datatilsynet.dk"
    assert dk.breach is not None and "Anmeld brud på persondatasikkerheden" in dk.breach.name_in("da")
    assert "virk.dk" in dk.breach.name_in("en").lower()


def test_norwegian_authority() -> None:
    no = authority_for("no")
    assert no.name_in("nb") == "Datatilsynet"
    assert no.postal_address[:2] == ("Postboks 458 Sentrum", "0105 Oslo")
    assert no.visiting_address == ("Trelastgata 3", "0191 Oslo")
    assert no.email == "postkasse@datatilsynet.no"
    assert no.phone == "+47 22 39 69 00"
    assert no.breach is not None and "Altinn" in no.breach.name_in("nb")
    assert "Avviksmelding" in no.breach.name_in("nb")


def test_sweden_and_fallback() -> None:
    assert authority_for("SE").email == "imy@imy.se"
    fi = authority_for("FI")
    assert fi is EU_FALLBACK and fi.is_fallback
    assert "edpb.europa.eu" in fi.website
    assert set(AUTHORITIES) == {"DK", "NO", "SE"}
    for authority in (*AUTHORITIES.values(), EU_FALLBACK):
        assert {"da", "nb", "en"} <= set(authority.name)
