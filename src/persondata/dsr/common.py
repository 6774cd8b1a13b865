"""Shared pieces of the DSR services: connectors, subject hashes, recipients, audit, JSON values."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from persondata.audit import service as audit_service
from persondata.connectors.sql import Systems
from persondata.dsr.results import RecipientOut
from persondata.errors import InputError
from persondata.i18n.describe import in_eea, transfer_words
from persondata.identity import Hasher, Identity
from persondata.policy.model import Policy, Recipient

Decrypt = Callable[[Any], Any]
"""Turns a stored ciphertext (a field declared `encrypted: true`) into its clear value."""


@contextmanager
def systems_for(policy: Policy, systems: Systems | None, env: Mapping[str, str] | None) -> Iterator[Systems]:
    """The caller's connectors (kept warm), or new ones closed at the end."""
    if systems is not None:
        yield systems
        return
    with Systems(policy, env) as own:
        yield own


def require_identities(identities: Sequence[Identity]) -> list[Identity]:
    """The identities of a request; at least one is needed."""
    if not identities:
        raise InputError("give at least one identity, e.g. --identity email=jane@example.dk")
    return sorted(set(identities))


def identity_strings(identities: Iterable[Identity]) -> list[str]:
    """`kind=value` strings."""
    return [str(i) for i in identities]


def subject_hash(hasher: Hasher, identities: Sequence[Identity]) -> str:
    """The keyed hash that names the subject in audit entries: that of the first identity given."""
    return hasher.hash(sorted(identities)[0])


def identity_hashes(hasher: Hasher, identities: Iterable[Identity]) -> list[str]:
    """Keyed hashes of every identity."""
    return [hasher.hash(i) for i in identities]


def recipients_of(policy: Policy, purposes: Iterable[str], lang: str = "en") -> list[RecipientOut]:
    """The recipients of some purposes (Art. 15(1)(c) / Art. 19), each once, in policy order
    (the same for every subject: cached per policy)."""
    wanted = frozenset(r for p in purposes if p in policy.purposes for r in policy.purposes[p].recipients)
    key = (id(policy), wanted, lang)
    hit = _RECIPIENTS.get(key)
    if hit is None or hit[0] is not policy:
        if len(_RECIPIENTS) > 1024:
            _RECIPIENTS.clear()
        hit = _RECIPIENTS[key] = (policy, [_recipient(k, r, lang) for k, r in policy.recipients.items()
                                           if k in wanted])
    return list(hit[1])


_RECIPIENTS: dict[tuple[int, frozenset[str], str], tuple[Policy, list[RecipientOut]]] = {}


def _recipient(key: str, r: Recipient, lang: str) -> RecipientOut:
    transfer = r.transfer.value if r.transfer else None
    return RecipientOut(key=key, name=r.name_in(lang), role=r.role.value, country=r.country,
                        third_country=not in_eea(r.country), transfer=transfer,
                        transfer_text=transfer_words(r, lang))


def audit(session: Session, *, actor: str, action: str, subject: str, target: str | None,
          details: dict[str, Any], at: datetime) -> None:
    """Append one audit entry in the caller's transaction."""
    audit_service.record(session, actor=actor, action=action, subject=subject, target=target,
                         details=details, at=at)


def json_value(value: Any) -> Any:
    """A column value as JSON-ready data (dates ISO, decimals as text, bytes base64)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return "base64:" + base64.b64encode(bytes(value)).decode()
    return str(value)
