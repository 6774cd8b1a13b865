"""The supervisory authority a subject may complain to (Art. 77), by the controller's country."""

from __future__ import annotations

from typing import Any

AUTHORITIES: dict[str, dict[str, str]] = {
    "DK": {
        "name": "Datatilsynet",
        "address": "Carl Jacobsens Vej 35, 2500 Valby",
        "email": "dt@datatilsynet.dk",
        "phone": "+45 33 19 32 00",
        "website": "https://www.datatilsynet.dk",
    },
    "NO": {
        "name": "Datatilsynet",
        "address": "Postboks 458 Sentrum, 0105 Oslo",
        "email": "postkasse@datatilsynet.no",
        "phone": "+47 22 39 69 00",
        "website": "https://www.datatilsynet.no",
    },
}
_EDPB = {
    "name": "",
    "address": "",
    "email": "",
    "phone": "",
    "website": "https://www.edpb.europa.eu/about-edpb/about-edpb/members_en",
}


def authority_for(country: str) -> dict[str, Any]:
    """Contact details of the authority of a country; the EDPB's member list when unknown."""
    return dict(AUTHORITIES.get(country.upper(), _EDPB))
