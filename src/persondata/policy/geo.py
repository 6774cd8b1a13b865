"""Countries as data: the EU/EEA, the Commission's adequacy decisions (Art. 45), country names.

Adequacy list as of 2025 (https://commission.europa.eu/law/law-topic/data-protection/
international-dimension-data-protection/adequacy-decisions_en). The United States is adequate
only for organisations certified under the EU-US Data Privacy Framework: state `transfer: dpf`.
Even for an adequate country the notice must name the safeguard, so `transfer: adequacy`
must be stated.
"""

from __future__ import annotations

from functools import cache

EU = frozenset({
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
    "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
})
"""The 27 EU member states (ISO 3166-1 alpha-2; Greece is GR)."""

EEA = EU | {"IS", "LI", "NO"}
"""The EU/EEA: no Chapter V transfer mechanism is needed for recipients here."""

ADEQUATE = frozenset({
    "AD", "AR", "CA", "FO", "GG", "IL", "IM", "JP", "JE", "NZ", "KR", "CH", "GB", "UY",
})
"""Countries with an adequacy decision covering private-sector recipients (the US: see DPF_COUNTRIES)."""

DPF_COUNTRIES = frozenset({"US"})
"""Where the EU-US Data Privacy Framework applies."""


def in_eea(country: str) -> bool:
    """True for an EU/EEA member state."""
    return country in EEA


@cache
def _territories() -> dict[str, str]:
    from babel import Locale

    territories = Locale("en").territories
    return {code: name for code, name in territories.items() if code.isalpha() and len(code) == 2}


def country_problem(code: str) -> str | None:
    """Why a two-letter code is not a usable country code (None when it is fine)."""
    if code == "UK":
        return "'UK' is not an ISO 3166 country code; use 'GB' for the United Kingdom"
    if code == "EL":
        return "'EL' is the EU's code for Greece; use the ISO 3166 code 'GR'"
    if code not in _territories() or code in {"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"}:
        return f"'{code}' is not an ISO 3166 country code"
    return None
