"""The bulk normaliser and hash agree with the slow path on every input."""

from __future__ import annotations

import random
import string

import pytest

from persondata.consent.bulk import Normaliser, fast_email
from persondata.errors import IdentityError
from persondata.identity import Hasher, Identity, normalise
from persondata.policy.model import Policy

TRICKY = [
    "Jane.Doe@Example.DK", " ole@post.tele.dk ", "a+tag@x.io", "x_y-z@sub-domain.example.com",
    "a..b@x.dk", ".a@x.dk", "a.@x.dk", "a@-x.dk", "a@x-.dk", "a@x..dk", "a@x.d", "a@x.123",
    "a@localhost", "a@x.local", "a@x.test", "a@x.onion", "a@x.invalid", "a@1.2.3.arpa",
    "a@ab--cd.dk", "a@xn--bcher-kva.example", "æble@x.dk", "a@bücher.de", '"q"@x.dk', "a b@x.dk",
    "a@x", "@x.dk", "a@", "a@@x.dk", "a@[127.0.0.1]", "a@x.dk.", "A" * 65 + "@x.dk",
    "a@" + "b" * 64 + ".dk", "a@" + ".".join(["abcdefgh"] * 30) + ".dk", "o'brien@x.ie",
    "a%b@x.dk", "a!b@x.dk", "a@x.museum", "a@x.co.uk", "1@2.dk", "-@x.dk", "_@x.dk",
]


def slow(value: str) -> str | None:
    try:
        return normalise("email", value)
    except IdentityError:
        return None


@pytest.mark.parametrize("value", TRICKY)
def test_fast_email_never_disagrees(value: str) -> None:
    fast = fast_email(value)
    if fast is not None:
        assert fast == slow(value)


def test_fast_email_agrees_on_random_addresses() -> None:
    rng = random.Random(3)
    alphabet = string.ascii_letters + string.digits + "._+-@"
    accepted = 0
    for _ in range(3000):
        local = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 12)))
        domain = "".join(rng.choice(string.ascii_letters + string.digits + ".-")
                         for _ in range(rng.randrange(1, 12)))
        value = f"{local}@{domain}.{rng.choice(['dk', 'no', 'com', 'x', 'test', 'c0m'])}"
        fast = fast_email(value)
        if fast is not None:
            accepted += 1
            assert fast == slow(value), value
    assert accepted > 300  # the fast path is really used


def test_normaliser_subject_equals_hasher(policy: Policy, hasher: Hasher) -> None:
    n = Normaliser(policy, hasher)
    for kind, raw in [("email", "Jane@Example.DK"), ("email", "æble@x.dk"), ("phone", "20 30 40 50"),
                      ("customer_no", " C-1 ")]:
        expected = hasher.hash(Identity(kind, normalise(kind, raw, "DK")))
        assert n.subject(kind, raw) == expected
    assert n.split("phone=+4520304050") == ("phone", "+4520304050")
    assert n.split("jane@x.dk") == ("email", "jane@x.dk")
    with pytest.raises(IdentityError, match="cannot tell"):
        n.split("hello")


def test_hash_kv_equals_hash() -> None:
    for key in ["k", "x" * 64, "y" * 65, "z" * 300]:
        h = Hasher(key)
        for value in ["a@b.dk", "æøå@x.dk", "+4520304050", ""]:
            assert h.hash_kv("email", value) == h.hash(Identity("email", value))
