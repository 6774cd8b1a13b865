"""The hash chain: canonical form of an entry and SHA-256 over the previous hash plus it.

    hash(n) = SHA-256( prev_hash(n) + canonical(n) ),   prev_hash(1) = GENESIS

canonical(n) is the compact JSON array [id, at, actor, action, subject, target, details]
with `at` in UTC with microseconds and details as canonical JSON (sorted keys, compact),
embedded verbatim as stored.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from json.encoder import encode_basestring  # the C encoder json.dumps uses for str
from typing import Any

GENESIS = "0" * 64

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode


def canonical_json(value: Any) -> str:
    """Compact, key-sorted JSON: the same data always gives the same text."""
    try:
        return _dumps(value)
    except TypeError as exc:
        raise ValueError(f"audit details must be plain JSON data: {exc}") from exc


_ZERO = timedelta(0)


def format_at(at: datetime) -> str:
    """The canonical text of an entry's time: UTC ISO 8601 with microseconds and Z."""
    offset = at.utcoffset()
    if offset is None:
        raise ValueError("audit times must be timezone-aware")
    if offset != _ZERO:
        at = at.astimezone(UTC)
    return at.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _text(value: str | None) -> str:
    return "null" if value is None else encode_basestring(value)


def canonical_entry(entry_id: int, at: str, actor: str, action: str, subject: str | None,
                    target: str | None, details: str) -> str:
    """The canonical text of one entry (at from format_at; details already canonical JSON).

    Equal to json.dumps([id, at, actor, action, subject, target, <details>], compact,
    ensure_ascii=False), built by hand because verify runs it a million times.
    """
    return (f'[{int(entry_id)},"{at}",{_text(actor)},{_text(action)},{_text(subject)},'
            f"{_text(target)},{details}]")


def entry_hash(prev_hash: str, canonical: str) -> str:
    """SHA-256 hex of the previous hash followed by the canonical entry."""
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()
