"""Identities are normalised before matching and storage; bad ones are refused clearly."""

from __future__ import annotations

import pytest

from persondata.errors import IdentityError, InputError
from persondata.identity import Hasher, make_identity, parse_identity


@pytest.mark.parametrize(
    ("kind", "raw", "country", "expected"),
    [
        ("email", "  Jane.Doe@Example.DK ", "DK", "jane.doe@example.dk"),
        ("phone", "20 12 34 56", "DK", "+4520123456"),
        ("phone", "+45 20123456", "NO", "+4520123456"),
        ("phone", "412 34 567", "NO", "+4741234567"),
        ("cvr", "DK 13585628", "DK", "13585628"),
        ("orgnr", "988 077 917", "NO", "988077917"),
        ("customer_number", "  C-1001 ", "DK", "C-1001"),
    ],
)
def test_normalise(kind: str, raw: str, country: str, expected: str) -> None:
    assert make_identity(kind, raw, country).value == expected


@pytest.mark.parametrize(
    ("kind", "raw"),
    [("email", "not-an-email"), ("phone", "12"), ("cvr", "13585627"), ("orgnr", "988077918"), ("email", "")],
)
def test_invalid_identities_are_refused(kind: str, raw: str) -> None:
    with pytest.raises(IdentityError):
        make_identity(kind, raw)


def test_parse_identity_argument() -> None:
    assert str(parse_identity("email=A@B.dk")) == "email=a@b.dk"
    with pytest.raises(InputError, match="KIND=VALUE"):
        parse_identity("a@b.dk")
    with pytest.raises(InputError, match="unknown identity kind"):
        parse_identity("shoe=42", known=("email", "phone"))


def test_hash_is_keyed_and_stable() -> None:
    ident = make_identity("email", "a@b.dk")
    assert Hasher("k1").hash(ident) == Hasher("k1").hash(make_identity("email", "A@B.DK"))
    assert Hasher("k1").hash(ident) != Hasher("k2").hash(ident)
    with pytest.raises(InputError):
        Hasher("")
