"""Identities in bulk: a fast path for normalising and hashing lists of millions.

Plain ASCII e-mail addresses (the bulk of every send list) are normalised with a strict
pattern that accepts only addresses email-validator accepts unchanged except for case;
everything else goes through persondata.identity.normalise, so the result is always the
same as the slow path's (a test holds the two together).
"""

from __future__ import annotations

import re

from persondata.errors import IdentityError, InputError
from persondata.identity import Hasher, guess_kind, normalise
from persondata.policy.model import Policy

_EMAIL = re.compile(
    r"(?=[^@]{1,64}@)"  # local part at most 64 characters
    r"[a-z0-9_+\-]+(?:\.[a-z0-9_+\-]+)*"  # dot-atom local part, a safe subset of atext
    r"@(?!.*--)"  # no '--' in the domain (IDNA rules; punycode goes the slow way)
    r"(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"  # LDH labels, letters-only TLD
    r"(?<!\.arpa)(?<!\.invalid)(?<!\.local)(?<!\.localhost)(?<!\.onion)(?<!\.test)"  # special use
)
_match = _EMAIL.fullmatch


def fast_email(value: str) -> str | None:
    """The normalised address when the fast path can decide it, else None (use the slow path)."""
    if not value.isascii():
        return None
    text = value.strip().lower()
    if len(text) > 254 or _match(text) is None:
        return None
    return text


class Normaliser:
    """Normalise and hash identities of one policy quickly and identically to the slow path."""

    def __init__(self, policy: Policy, hasher: Hasher) -> None:
        self.country = policy.controller.country
        self.kinds = (*("email", "phone", "cvr", "orgnr", "cpr", "fodselsnummer"),
                      *policy.identities.keys())
        self.hasher = hasher

    def value(self, kind: str, raw: str) -> str:
        """The normalised value of an identity (raises IdentityError)."""
        if kind == "email":
            fast = fast_email(raw)
            if fast is not None:
                return fast
        return normalise(kind, raw, self.country)

    def fast_subject(self, text: str) -> str | None:
        """The keyed hash of a bare, plain e-mail address, or None when the slow path must decide."""
        if not text.isascii():
            return None
        low = text.strip().lower()
        if len(low) > 254 or _match(low) is None:
            return None
        return self.hasher.hash_kv("email", low)

    def subject(self, kind: str, raw: str) -> str:
        """The keyed hash of an identity given by kind and raw value."""
        return self.hasher.hash_kv(kind, self.value(kind, raw))

    def split(self, text: str, kind: str | None = None) -> tuple[str, str]:
        """(kind, raw value) of `KIND=VALUE`, or of a bare value with the given or guessed kind."""
        if kind is None:
            head, sep, rest = text.partition("=")
            if sep and head.strip().lower() in self.kinds:
                return head.strip().lower(), rest
            kind = guess_kind(text)
            if kind == "custom":
                raise IdentityError(f"{text.strip()!r}: cannot tell which kind of identity this is; "
                                    f"write KIND=VALUE or choose the kind")
        return kind, text

    def check_kind(self, kind: str) -> str:
        """The kind when the policy knows it, else InputError."""
        kind = kind.strip().lower()
        if kind not in self.kinds:
            raise InputError(f"unknown identity kind {kind!r}; known kinds: {', '.join(self.kinds)}")
        return kind


