"""Identities are normalised before matching and storage; bad ones are refused clearly."""

from __future__ import annotations

import pytest

from persondata.errors import IdentityError, InputError
from persondata.identity import Hasher, make_identity, parse_identity, parse_phone


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


@pytest.mark.parametrize("address", [
    "jane@example.dk", "Jane.Doe@Example.DK", " j+tag@sub.example.co.uk ", "a-b_c@x-y.dk", "a@b.dk",
    "jane@localhost.test", "jane@host.local", "a..b@example.dk", ".a@example.dk", "a.@example.dk",
    "a@-example.dk", "a@example-.dk", "a@example.d", "a@example", "a@@example.dk", "æble@example.dk",
    "jane@exämple.dk", "x" * 64 + "@example.dk", "x" * 65 + "@example.dk",
    "a@" + ("b" * 63 + ".") * 4 + "dk", "a@" + "b" * 64 + ".dk", '"quoted"@example.dk',
])
def test_email_fast_path_agrees_with_email_validator(address: str) -> None:
    from email_validator import EmailNotValidError, validate_email

    from persondata.identity import normalise_email

    try:
        expected: str | None = validate_email(address.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        expected = None
    if expected is None:
        with pytest.raises(IdentityError):
            normalise_email(address)
    else:
        assert normalise_email(address) == expected


def test_a_number_in_international_form_is_parsed_once_whatever_the_region() -> None:
    # An identity found in a row is parsed to normalise it (the controller's region) and again
    # for its spellings (no region); the second use takes the first one's result.
    text = "+4731234567"
    first = parse_phone(text, "DK")
    assert parse_phone(text, None) is first and parse_phone(text, "NO") is first
    assert parse_phone("31234567", "NO") is not parse_phone("31234567", "DK")  # national: by region
    assert [parse_phone("31234567", r).country_code for r in ("NO", "DK")] == [47, 45]
