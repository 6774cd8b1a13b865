"""The error tree. Every error a user can cause or meet is a PersondataError.

    PersondataError                 root; never shown as a traceback
    ├── InputError                  bad input from a user (CLI exit 2, HTTP 400/422)
    │   ├── PolicyError             an invalid policy file; carries every problem found
    │   ├── IdentityError           an identity that does not parse (e-mail, phone, CVR...)
    │   └── ConflictError           a request that the current state refuses (HTTP 409)
    ├── NotFoundError               a named thing does not exist (CLI exit 2, HTTP 404)
    ├── DeniedError                 not allowed (HTTP 403), e.g. a bad or expired token
    └── SystemFailure               a database or service we depend on failed (CLI exit 3, HTTP 503)

Domain packages define their own subclasses beside their service.
"""

from __future__ import annotations

from dataclasses import dataclass


class PersondataError(Exception):
    """Root of every error persondata raises on purpose."""

    exit_code = 3
    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(PersondataError):
    """Bad input from a user."""

    exit_code = 2
    http_status = 422


class IdentityError(InputError):
    """An identity value that does not parse or validate."""


class ConflictError(InputError):
    """The request is well-formed but the current state refuses it."""

    http_status = 409


class RateLimited(InputError):
    """Too many tries in a while (codes sent, guesses made); it names when to try again."""

    http_status = 429


class NotFoundError(PersondataError):
    """A named object does not exist."""

    exit_code = 2
    http_status = 404


class DeniedError(PersondataError):
    """Not allowed: a bad, expired or used token or code."""

    exit_code = 1
    http_status = 403


class SystemFailure(PersondataError):
    """A database or service persondata depends on failed."""

    exit_code = 3
    http_status = 503


@dataclass(frozen=True)
class Problem:
    """One problem found in a policy file, located by file and line."""

    file: str
    line: int
    message: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        prefix = "" if self.severity == "error" else "warning: "
        return f"{self.file}:{self.line}: {prefix}{self.message}"


class PolicyError(InputError):
    """A policy file with one or more errors; str() lists them all."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
