"""One-click unsubscribe: signed tokens bound to an identity (keyed hash) and a purpose.

A token carries the identity's keyed hash, never the identity itself, the purpose and an
expiry time, signed with settings.secret_key (itsdangerous). Following it withdraws the
consent (source unsubscribe_link); for direct marketing on another basis than consent it
records the objection on the suppression list (Art. 21(3)). Time is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session

from persondata.consent import repository
from persondata.consent.schemas import Action, Change, Evidence, Source
from persondata.consent.service import check_purpose, record_changes
from persondata.consent.suppression import suppress_subject
from persondata.db.base import utcnow
from persondata.errors import DeniedError, InputError
from persondata.identity import Hasher, Identity
from persondata.policy.model import Policy

SALT = "persondata.consent.unsubscribe"
VALIDITY = timedelta(days=365)


def _serializer(secret_key: str) -> URLSafeSerializer:
    if not secret_key:
        raise InputError("PERSONDATA_SECRET_KEY is not set; it signs the unsubscribe links")
    return URLSafeSerializer(secret_key, salt=SALT)


def make_token(secret_key: str, hasher: Hasher, identity: Identity, purpose: str, *,
               now: datetime | None = None, valid_for: timedelta = VALIDITY) -> str:
    """A signed unsubscribe token for one identity and purpose, expiring after valid_for."""
    expires = int(((now or utcnow()) + valid_for).timestamp())
    return str(_serializer(secret_key).dumps({"s": hasher.hash(identity), "p": purpose, "e": expires}))


def read_token(secret_key: str, token: str, *, now: datetime | None = None) -> tuple[str, str]:
    """(subject hash, purpose) of a valid token; DeniedError when forged, altered or expired."""
    try:
        data = _serializer(secret_key).loads(token)
        subject, purpose, expires = data["s"], data["p"], int(data["e"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise DeniedError("this unsubscribe link is not valid") from None
    if (now or utcnow()) > datetime.fromtimestamp(expires, UTC):
        raise DeniedError("this unsubscribe link has expired; withdraw consent in the privacy "
                          "center or reply to the e-mail instead")
    return str(subject), str(purpose)


@dataclass(frozen=True)
class Unsubscribed:
    """What following an unsubscribe link did."""

    purpose: str
    outcome: str  # withdrawn | already_withdrawn | objection_recorded | nothing_on_record
    event_id: int | None = None


def unsubscribe(session: Session, policy: Policy, hasher: Hasher, secret_key: str, token: str, *,
                now: datetime | None = None, evidence: Evidence | None = None) -> Unsubscribed:
    """Follow a one-click unsubscribe link: withdraw the consent (or object to the marketing)."""
    now = now or utcnow()
    subject, purpose = read_token(secret_key, token, now=now)
    check_purpose(policy, purpose, marketing_ok=True)
    actor = "subject:unsubscribe_link"
    if purpose not in policy.consent_purposes():
        suppress_subject(session, policy, hasher, subject, None, actor=actor,
                         source=Source.unsubscribe_link, reason=f"unsubscribe link for {purpose}",
                         at=now)
        return Unsubscribed(purpose, "objection_recorded")
    found = repository.latest_identity(session, subject)
    if found is None:
        return Unsubscribed(purpose, "nothing_on_record")
    current = repository.granted_row(session, subject, purpose)
    if current is None or not current[0]:
        return Unsubscribed(purpose, "already_withdrawn")
    change = Change(identity=Identity(*found), purpose=purpose, action=Action.withdrawn,
                    source=Source.unsubscribe_link, at=now, evidence=evidence or Evidence())
    event_id = record_changes(session, policy, hasher, [change], actor=actor, now=now)[0]
    return Unsubscribed(purpose, "withdrawn", event_id)
