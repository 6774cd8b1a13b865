"""Data protection supervisory authorities: real contact details and breach reporting channels.

The notice names the authority of the controller's country (Art. 13(2)(d) complaint), and
breach cases use its reporting channel (Art. 33). Countries without an entry get the EU/EEA
fallback, which points to the EDPB's list of member authorities.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class BreachChannel:
    """Where a controller reports a personal data breach to the authority."""

    name: dict[str, str]  # by language; "en" always present
    url: str
    note: dict[str, str] = field(default_factory=dict)

    def name_in(self, lang: str) -> str:
        """The channel's name in a language, else English."""
        return self.name.get(lang, self.name["en"])

    def note_in(self, lang: str) -> str:
        """The note in a language, else English ('' when there is none)."""
        return self.note.get(lang, self.note.get("en", ""))


@dataclass(frozen=True)
class Authority:
    """A supervisory authority with its contact details."""

    country: str | None  # ISO 3166 alpha-2; None for the EU/EEA fallback
    name: dict[str, str]  # by language; "en" always present
    postal_address: tuple[str, ...] = ()
    visiting_address: tuple[str, ...] = ()
    email: str | None = None
    phone: str | None = None
    website: str = ""
    complaint_url: str | None = None
    breach: BreachChannel | None = None

    def name_in(self, lang: str) -> str:
        """The authority's name in a language, else English."""
        return self.name.get(lang, self.name["en"])

    @property
    def is_fallback(self) -> bool:
        """True for the generic EU/EEA entry."""
        return self.country is None


AUTHORITIES: dict[str, Authority] = {
    "DK": Authority(
        country="DK",
        name={"da": "Datatilsynet", "nb": "Datatilsynet (Danmark)",
              "en": "Datatilsynet (Danish Data Protection Agency)"},
        postal_address=("Carl Jacobsens Vej 35", "2500 Valby", "Danmark"),
        visiting_address=("Carl Jacobsens Vej 35", "2500 Valby"),
        email="dt@datatilsynet.dk",
        phone="+45 33 19 32 00",
        website="https://www.datatilsynet.dk",
        complaint_url="https://www.datatilsynet.dk/borger/klage",
        breach=BreachChannel(
            name={"da": "Virk.dk: Anmeld brud på persondatasikkerheden",
                  "nb": "Virk.dk: Anmeld brud på persondatasikkerheden",
                  "en": "Virk.dk: Anmeld brud på persondatasikkerheden (report a personal data breach)"},
            url="https://www.datatilsynet.dk/sikkerhedsbrud/anmeld-sikkerhedsbrud",
            note={"da": "Uden MitID Erhverv kan anmeldelsen sendes til dt@datatilsynet.dk.",
                  "en": "Without a MitID Erhverv login the report can be e-mailed to dt@datatilsynet.dk."},
        ),
    ),
    "NO": Authority(
        country="NO",
        name={"da": "Datatilsynet (Norge)", "nb": "Datatilsynet",
              "en": "Datatilsynet (Norwegian Data Protection Authority)"},
        postal_address=("Postboks 458 Sentrum", "0105 Oslo", "Norge"),
        visiting_address=("Trelastgata 3", "0191 Oslo"),
        email="postkasse@datatilsynet.no",
        phone="+47 22 39 69 00",
        website="https://www.datatilsynet.no",
        complaint_url="https://www.datatilsynet.no/om-datatilsynet/kontakt-oss/klage-til-datatilsynet",
        breach=BreachChannel(
            name={"da": "Altinn: Avviksmelding", "nb": "Altinn: Avviksmelding",
                  "en": "Altinn: Avviksmelding (breach notification form)"},
            url="https://www.datatilsynet.no/rettigheter-og-plikter/virksomhetenes-plikter/"
                "avvikshandtering/meld-avvik-til-datatilsynet/",
            note={"nb": "Innsender trenger Altinn-rollen «Utfyller/innsender» og elektronisk ID.",
                  "en": "The sender needs the Altinn role 'Utfyller/innsender' and an electronic ID."},
        ),
    ),
    "SE": Authority(
        country="SE",
        name={"da": "Integritetsskyddsmyndigheten (IMY, Sverige)",
              "nb": "Integritetsskyddsmyndigheten (IMY, Sverige)",
              "en": "Integritetsskyddsmyndigheten (IMY, Swedish Authority for Privacy Protection)"},
        postal_address=("Box 8114", "104 20 Stockholm", "Sverige"),
        visiting_address=("Drottninggatan 29", "Stockholm"),
        email="imy@imy.se",
        phone="+46 8 657 61 00",
        website="https://www.imy.se",
        breach=BreachChannel(
            name={"da": "IMY e-tjänst: Anmäl personuppgiftsincident",
                  "nb": "IMY e-tjänst: Anmäl personuppgiftsincident",
                  "en": "IMY e-service: Anmäl personuppgiftsincident (report a personal data breach)"},
            url="https://www.imy.se",
        ),
    ),
}

EU_FALLBACK = Authority(
    country=None,
    name={"da": "Databeskyttelsesmyndigheden i dit EU/EØS-land",
          "nb": "Tilsynsmyndigheten for personvern i ditt EU/EØS-land",
          "en": "The data protection authority of your EU/EEA country"},
    website="https://www.edpb.europa.eu/about-edpb/about-edpb/members_en",
    breach=BreachChannel(
        name={"da": "Den kompetente tilsynsmyndigheds anmeldelsesformular",
              "nb": "Den kompetente tilsynsmyndighetens meldeskjema",
              "en": "The reporting form of the competent supervisory authority"},
        url="https://www.edpb.europa.eu/about-edpb/about-edpb/members_en",
    ),
)
"""For a controller outside DK/NO/SE: the EDPB's list of the member authorities."""


def authority_for(country: str) -> Authority:
    """The supervisory authority of a controller's country (the EU/EEA fallback if unknown)."""
    return AUTHORITIES.get(country.upper(), EU_FALLBACK)
