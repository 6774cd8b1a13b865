"""The hash chain: canonical form of an entry and SHA-256 over the previous hash plus it.

    hash(n) = SHA-256( prev_hash(n) + canonical(n) ),   prev_hash(1) = GENESIS

canonical(n) is the compact JSON array [id, at, actor, action, subject, target, details]
with `at` in UTC with microseconds and details as canonical JSON (sorted keys, compact),
embedded verbatim as stored.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode


def canonical_json(value: Any) -> str:
    """Compact, key-sorted JSON: the same data always gives the same text."""
    try:
        return _dumps(value)
    except TypeError as exc:
        raise ValueError(f"audit details must be plain JSON data: {exc}") from exc


def format_at(at: datetime) -> str:
    """The canonical text of an entry's time: UTC ISO 8601 with microseconds."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_entry(entry_id: int, at: str, actor: str, action: str, subject: str | None,
                    target: str | None, details: str) -> str:
    """The canonical text of one entry (details is already canonical JSON text)."""
    head = _dumps([entry_id, at, actor, action, subject, target])
    return f"{head[:-1]},{details}]"


def entry_hash(prev_hash: str, canonical: str) -> str:
    """SHA-256 hex of the previous hash followed by the canonical entry."""
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()
