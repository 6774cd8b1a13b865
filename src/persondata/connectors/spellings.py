"""How a normalised identity may be spelled in stored data: a phone number as +4520123456,
004520123456, 4520123456, 20123456 and "20 12 34 56"; anything else as it is (e-mail
addresses are compared lower-cased by the connector)."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers

from persondata.identity import Identity, parse_phone


def variants(identity: Identity) -> frozenset[str]:
    """The spellings of a normalised identity to look for in stored data."""
    return spellings(identity.kind, identity.value)


@lru_cache(maxsize=4096)
def spellings(kind: str, value: str) -> frozenset[str]:
    """The spellings of a normalised identity value of a kind (cached)."""
    return frozenset(_variants(Identity(kind, value)))


def _variants(identity: Identity) -> set[str]:
    out = {identity.value}
    if identity.kind == "phone":
        try:
            num = parse_phone(identity.value, None)
        except phonenumbers.NumberParseException:
            return out
        national = str(num.national_number)
        out |= {
            national,
            f"{num.country_code}{national}",
            f"00{num.country_code}{national}",
            phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.NATIONAL),
            phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
        }
    return out
