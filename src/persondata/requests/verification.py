"""E-mail one-time codes: 6 digits from `secrets`, stored as Argon2id hashes, compared in constant time.

A code is valid for 15 minutes and for at most 5 attempts; sending a new code invalidates the
old one. At most 5 codes are sent for a request in any 24 hours, so nobody gets more than 25
guesses a day at a one-in-a-million code (nor fills the subject's inbox). The hash binds the
code to its request (the request id is part of the hashed secret), so a code cannot be
replayed against another request. The raw Argon2id digest is compared with
`hmac.compare_digest`, so the comparison takes the same time wherever the digests differ.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2.low_level import Type, hash_secret_raw

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=15)
MAX_ATTEMPTS = 5
MAX_CODES = 5  # sent for one request ...
CODES_WINDOW = timedelta(hours=24)  # ... in any such period
# OWASP's minimum Argon2id configuration (19 MiB, 2 iterations): a 6-digit code is short-lived
# and attempt-limited; the hash keeps it out of reach of anyone who reads the database later.
_TIME_COST, _MEMORY_KIB, _PARALLELISM, _HASH_LEN = 2, 19 * 1024, 1, 32


@dataclass(frozen=True)
class VerifyOutcome:
    """The answer to a code attempt."""

    ok: bool
    reason: str
    attempts_left: int = 0


def new_code() -> str:
    """A uniformly random 6-digit code."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def _digest(code: str, request_id: int, salt: bytes, t: int, m: int, p: int, n: int) -> bytes:
    secret = f"persondata-request-{request_id}:{code}".encode()
    return hash_secret_raw(secret, salt, time_cost=t, memory_cost=m, parallelism=p, hash_len=n,
                           type=Type.ID)


def hash_code(code: str, request_id: int) -> str:
    """Argon2id of the code, as `argon2id$t$m$p$salt$digest` (base64)."""
    salt = secrets.token_bytes(16)
    digest = _digest(code, request_id, salt, _TIME_COST, _MEMORY_KIB, _PARALLELISM, _HASH_LEN)
    b64 = base64.b64encode
    return (f"argon2id${_TIME_COST}${_MEMORY_KIB}${_PARALLELISM}$"
            f"{b64(salt).decode()}${b64(digest).decode()}")


def code_matches(stored: str, code: str, request_id: int) -> bool:
    """True when the code hashes to the stored digest (constant-time comparison)."""
    try:
        scheme, t, m, p, salt_b64, digest_b64 = stored.split("$")
        salt, expected = base64.b64decode(salt_b64), base64.b64decode(digest_b64)
    except ValueError:
        return False
    if scheme != "argon2id":
        return False
    candidate = code.strip()
    if not (len(candidate) == CODE_DIGITS and candidate.isdigit()):
        candidate = "x" * CODE_DIGITS  # still hash, so a malformed code costs the same time
    actual = _digest(candidate, request_id, salt, int(t), int(m), int(p), len(expected))
    return hmac.compare_digest(actual, expected)
