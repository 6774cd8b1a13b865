"""The suppression list (Art. 21(3)): an objection to direct marketing is absolute.

Suppressing an identity puts its keyed hash on the list and withdraws every marketing
consent it currently gives. Afterwards marketing consent can only come from the person
themselves (web form, cookie banner), never from an import, an admin or the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from persondata.audit import service as audit
from persondata.consent import repository
from persondata.consent.schemas import Action, Change, Source
from persondata.consent.service import record_changes
from persondata.db.base import utcnow
from persondata.identity import Hasher, Identity
from persondata.policy.model import Policy


@dataclass(frozen=True)
class Suppressed:
    """The outcome of suppress: whether the identity was new on the list, what was withdrawn."""

    subject: str
    new: bool
    withdrawn: list[str]


def suppress(session: Session, policy: Policy, hasher: Hasher, identity: Identity, *, actor: str,
             source: Source = Source.admin, reason: str | None = None,
             at: datetime | None = None) -> Suppressed:
    """Put the identity on the suppression list and withdraw its marketing consents."""
    return suppress_subject(session, policy, hasher, hasher.hash(identity), identity, actor=actor,
                            source=source, reason=reason, at=at)


def suppress_subject(session: Session, policy: Policy, hasher: Hasher, subject: str,
                     identity: Identity | None, *, actor: str, source: Source = Source.admin,
                     reason: str | None = None, at: datetime | None = None) -> Suppressed:
    """Suppress by keyed hash (e.g. from an unsubscribe token); identity None = look it up."""
    now = at or utcnow()
    audit.lock(session)
    if identity is None:
        found = repository.latest_identity(session, subject)
        identity = Identity(*found) if found else None
    new = repository.suppression(session, subject) is None
    if new:
        repository.add_suppression(session, {"subject": subject, "at": now, "source": source.value,
                                             "actor": actor, "reason": reason})
    marketing = [p for p in policy.marketing_purposes() if p in policy.consent_purposes()]
    granted = sorted(repository.granted_pairs(session, subject, marketing)) if identity else []
    audit.record(session, actor=actor, action="consent.suppressed", subject=subject,
                 details={"new": new, "source": source.value, "reason": reason, "withdrawn": granted},
                 at=now)
    if granted and identity is not None:
        record_changes(session, policy, hasher, [
            Change(identity=identity, purpose=p, action=Action.withdrawn, source=source, at=now,
                   provenance="objection to direct marketing (Art. 21(3))")
            for p in granted
        ], actor=actor, now=now)
    return Suppressed(subject, new, granted)


def is_suppressed(session: Session, hasher: Hasher, identity: Identity) -> bool:
    """True when the identity objected to direct marketing."""
    return repository.suppression(session, hasher.hash(identity)) is not None
