"""The supervisory authority a subject may complain to (Art. 77), as letters name it.

The contact details live in persondata.authorities (shared with the notice and the breach
register); this turns them into the plain values the letter templates use.
"""

from __future__ import annotations

from typing import Any

from persondata.authorities import authority_for as _authority


def authority_for(country: str, lang: str = "en") -> dict[str, Any]:
    """Name (in the letter's language), postal address, e-mail, phone and complaint page."""
    a = _authority(country)
    name = a.name_in(lang)
    if a.is_fallback:
        name = name[:1].lower() + name[1:]  # "... lodge a complaint with the data protection authority ..."
    return {"name": name, "address": ", ".join(a.postal_address), "email": a.email or "",
            "phone": a.phone or "", "website": a.complaint_url or a.website}
