"""The supervisory authority a breach is notified to, with its reporting channel (DK, NO)."""

from __future__ import annotations

from dataclasses import dataclass

from persondata.errors import InputError


@dataclass(frozen=True)
class Authority:
    """A data protection authority and how breaches are reported to it."""

    country: str
    name: str
    name_en: str
    address: str
    phone: str
    email: str
    website: str
    breach_channel: dict[str, str]  # per language: how to file the notification
    breach_url: str


AUTHORITIES = {
    "DK": Authority(
        country="DK",
        name="Datatilsynet",
        name_en="The Danish Data Protection Agency (Datatilsynet)",
        address="Carl Jacobsens Vej 35, 2500 Valby, Danmark",
        phone="+45 33 19 32 00",
        email="dt@datatilsynet.dk",
        website="https://www.datatilsynet.dk",
        breach_channel={
            "da": "Anmeldes elektronisk via Virk.dk (blanketten »Anmeld brud på persondatasikkerheden«)",
            "nb": "Meldes elektronisk via Virk.dk (skjemaet «Anmeld brud på persondatasikkerheden»)",
            "en": "Filed electronically through Virk.dk (the form “Anmeld brud på "
                  "persondatasikkerheden”)",
        },
        breach_url="https://www.datatilsynet.dk/sikkerhedsbrud/anmeld-sikkerhedsbrud",
    ),
    "NO": Authority(
        country="NO",
        name="Datatilsynet",
        name_en="The Norwegian Data Protection Authority (Datatilsynet)",
        address="Postboks 458 Sentrum, 0105 Oslo, Norge",
        phone="+47 22 39 69 00",
        email="postkasse@datatilsynet.no",
        website="https://www.datatilsynet.no",
        breach_channel={
            "da": "Anmeldes elektronisk via Altinn (skemaet »Melde avvik«)",
            "nb": "Meldes elektronisk via Altinn (skjemaet «Melde avvik»)",
            "en": "Filed electronically through Altinn (the form “Melde avvik”, report a breach)",
        },
        breach_url="https://www.datatilsynet.no/rettigheter-og-plikter/virksomhetenes-plikter/"
                   "avvikshandtering/meld-avvik-til-datatilsynet/",
    ),
}


def authority_for(country: str) -> Authority:
    """The authority of the controller's country."""
    found = AUTHORITIES.get(country.upper())
    if found is None:
        raise InputError(f"no supervisory authority on file for country {country!r}; "
                         f"known: {', '.join(sorted(AUTHORITIES))}")
    return found
