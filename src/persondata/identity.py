"""Identities: how a person is found. Normalised before any match or storage.

e-mail: syntax-checked (no DNS) and lower-cased; phone: E.164 with the controller's
country as default region; CVR / orgnr / CPR / fødselsnummer: python-stdnum's compact
form after checksum validation; custom kinds: trimmed. A keyed HMAC lets identities be
matched without being stored in clear.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from stdnum import exceptions as stdnum_errors
from stdnum.dk import cpr, cvr
from stdnum.no import fodselsnummer, orgnr

from persondata.errors import IdentityError, InputError

BUILTIN_KINDS = ("email", "phone", "cvr", "orgnr", "cpr", "fodselsnummer")
_STDNUM = {"cvr": cvr, "orgnr": orgnr, "cpr": cpr, "fodselsnummer": fodselsnummer}
_STDNUM_NAMES = {"cvr": "CVR number", "orgnr": "organisasjonsnummer", "cpr": "CPR number",
                 "fodselsnummer": "fødselsnummer"}


@dataclass(frozen=True, order=True)
class Identity:
    """A normalised identity: kind (email, phone, ...) and value."""

    kind: str
    value: str

    def __str__(self) -> str:
        return f"{self.kind}={self.value}"


# Plain ASCII addresses that email-validator accepts as they are (checked against it in the
# tests): they skip the full validation, which identity expansion runs on every address found.
_PLAIN_EMAIL = re.compile(r"[a-z0-9]+(?:[._+-][a-z0-9]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
                          r"(?P<tld>[a-z]{2,63})")


def normalise_email(value: str) -> str:
    """Validate an e-mail address's syntax (no DNS) and lower-case it."""
    plain = value.strip().lower()
    m = _PLAIN_EMAIL.fullmatch(plain)
    if m and len(plain) <= 254 and plain.index("@") <= 64 and m["tld"] not in SPECIAL_USE_DOMAIN_NAMES:
        return plain
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise IdentityError(f"{value!r} is not a valid e-mail address: {exc}") from exc
    return result.normalized.lower()


def parse_phone(text: str, region: str | None) -> phonenumbers.PhoneNumber:
    """phonenumbers.parse, kept for the next use of the same text (an identity found in a row is
    parsed to normalise it, then again for its spellings); a number in international form is
    the same in any region, so it is kept once. Do not change the result."""
    return _parse_phone(text, None if text.startswith("+") else region)


@lru_cache(maxsize=1024)
def _parse_phone(text: str, region: str | None) -> phonenumbers.PhoneNumber:
    return phonenumbers.parse(text, region)


def normalise_phone(value: str, country: str = "DK") -> str:
    """Parse a phone number (default region = the controller's country) into E.164."""
    try:
        number = parse_phone(value.strip(), country)
    except phonenumbers.NumberParseException as exc:
        raise IdentityError(f"{value!r} is not a phone number: {exc}") from exc
    if not phonenumbers.is_valid_number(number):
        raise IdentityError(f"{value!r} is not a valid phone number for region {country}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise(kind: str, value: str, country: str = "DK") -> str:
    """Normalise one identity value of a kind; raises IdentityError when it is invalid."""
    if not isinstance(value, str) or not value.strip():
        raise IdentityError(f"{kind}: an empty value is not an identity")
    if kind == "email":
        return normalise_email(value)
    if kind == "phone":
        return normalise_phone(value, country)
    module = _STDNUM.get(kind)
    if module is not None:
        try:
            return str(module.validate(value))
        except stdnum_errors.ValidationError as exc:
            raise IdentityError(f"{value!r} is not a valid {_STDNUM_NAMES[kind]}: {exc}") from exc
    return value.strip()


def make_identity(kind: str, value: str, country: str = "DK") -> Identity:
    """Build a normalised Identity."""
    kind = kind.strip().lower()
    return Identity(kind, normalise(kind, value, country))


def parse_identity(arg: str, country: str = "DK", known: tuple[str, ...] | None = None) -> Identity:
    """Parse a `KIND=VALUE` argument; `known` restricts the kinds accepted."""
    kind, sep, value = arg.partition("=")
    if not sep or not kind.strip():
        raise InputError(f"identity {arg!r} must look like KIND=VALUE, e.g. email=jane@example.dk")
    kind = kind.strip().lower()
    if known is not None and kind not in known:
        raise InputError(f"unknown identity kind {kind!r}; known kinds: {', '.join(known)}")
    return make_identity(kind, value, country)


def guess_kind(value: str) -> str:
    """Guess the kind of a bare identity value (for lists with one identity per line)."""
    text = value.strip()
    if "@" in text:
        return "email"
    if text.startswith("+") or text.replace(" ", "").isdigit():
        return "phone"
    return "custom"


class Hasher:
    """Keyed HMAC-SHA256 of identities: match without storing them in clear."""

    def __init__(self, key: str | bytes) -> None:
        if not key:
            raise InputError("PERSONDATA_HASH_KEY is not set; it keys the identity hashes")
        self._key = key.encode() if isinstance(key, str) else key

    def hash(self, identity: Identity) -> str:
        """Hex HMAC of `kind:value` of a normalised identity."""
        msg = f"{identity.kind}:{identity.value}".encode()
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()

    def hash_value(self, value: str) -> str:
        """Hex HMAC of any string (for field erasure strategy `hash`)."""
        return hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()

    def hash_kv(self, kind: str, value: str) -> str:
        """Same as hash(Identity(kind, value)) for a normalised value, ~4x faster (bulk paths)."""
        pads = getattr(self, "_pads", None)
        if pads is None:  # HMAC (RFC 2104) with the padded keys' SHA-256 states precomputed
            key = self._key if len(self._key) <= 64 else hashlib.sha256(self._key).digest()
            key = key.ljust(64, b"\0")
            pads = self._pads = (hashlib.sha256(bytes(b ^ 0x36 for b in key)),
                                 hashlib.sha256(bytes(b ^ 0x5C for b in key)))
        inner = pads[0].copy()
        inner.update(f"{kind}:{value}".encode())
        outer = pads[1].copy()
        outer.update(inner.digest())
        return outer.hexdigest()
