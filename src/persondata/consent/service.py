"""The consent ledger: record changes (event + state + audit in one transaction), check, history.

State is derived: for each (purpose, subject) the newest event by (at, id) decides, so
an imported legacy consent dated 2017 never overrides a withdrawal from 2020, and
`state == replay(events)` holds whatever order events arrive in.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from persondata.audit import service as audit
from persondata.consent import repository
from persondata.consent.schemas import SUBJECT_SOURCES, Action, Change, EventView, Source, Status
from persondata.db.base import utcnow
from persondata.errors import ConflictError, InputError
from persondata.identity import BUILTIN_KINDS, Hasher, Identity, parse_identity
from persondata.policy.model import Policy

StateKey = tuple[str, str]  # (purpose, subject)
StateValue = tuple[bool, datetime, int]  # (granted, at, event_id)
CLOCK_SKEW = timedelta(minutes=5)


class UnknownPurposeError(InputError):
    """A purpose that is not a consent purpose of the policy."""


class SuppressedError(ConflictError):
    """Marketing consent for a suppressed identity from a source other than the subject."""


def known_kinds(policy: Policy) -> tuple[str, ...]:
    """Identity kinds the policy knows: the built-in ones and its own."""
    return (*BUILTIN_KINDS, *policy.identities.keys())


def parse(policy: Policy, text: str) -> Identity:
    """Parse and normalise a `KIND=VALUE` identity with the controller's country."""
    return parse_identity(text, policy.controller.country, known_kinds(policy))


def check_purpose(policy: Policy, purpose: str, *, marketing_ok: bool = False) -> str:
    """Return the purpose when consent events may name it, else raise UnknownPurposeError."""
    allowed = policy.consent_purposes()
    if purpose in allowed or (marketing_ok and purpose in policy.marketing_purposes()):
        return purpose
    names = ", ".join(allowed) or "(none)"
    raise UnknownPurposeError(f"{purpose!r} is not a consent purpose of the policy; "
                              f"consent purposes: {names}")


def purpose_text_hash(policy: Policy, purpose: str) -> str:
    """SHA-256 of what the policy says about a consent purpose (the text a consent refers to)."""
    if purpose.startswith("cookies."):
        item: Any = policy.cookies[purpose.removeprefix("cookies.")]
    else:
        item = policy.purposes[purpose]
    text = json.dumps(item.model_dump(mode="json"), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def record_changes(session: Session, policy: Policy, hasher: Hasher, changes: Sequence[Change], *,
                   actor: str, now: datetime | None = None) -> list[int]:
    """Append consent events, update the derived state and audit each, in the caller's transaction.

    Raises UnknownPurposeError, InputError (time in the future) or SuppressedError before
    anything is written. Returns the new event ids.
    """
    now = now or utcnow()
    for change in changes:
        check_purpose(policy, change.purpose)
        texts = (change.identity.value, change.provenance, change.notice_hash,
                 change.evidence.user_agent, change.policy_version)
        if any(t is not None and "\x00" in t for t in texts):
            raise InputError(f"consent for {change.identity.kind}: a value contains a NUL character")
        if change.at is not None and change.at > now + CLOCK_SKEW:
            raise InputError(f"consent time {change.at.isoformat()} is in the future")
    audit.lock(session)  # the chain lock first, before any row lock: writers queue here
    subjects = [hasher.hash(c.identity) for c in changes]
    _refuse_suppressed(session, policy, changes, subjects)
    version = policy.controller.policy_version
    rows: list[dict[str, Any]] = []
    for change, subject in zip(changes, subjects, strict=True):
        agent, ip = change.evidence.stored()
        rows.append({
            "subject": subject, "identity_kind": change.identity.kind,
            "identity_value": change.identity.value, "purpose": change.purpose,
            "action": change.action.value, "at": change.at or now, "recorded_at": now,
            "source": change.source.value, "policy_version": change.policy_version or version,
            "notice_hash": _notice_hash(policy, change),
            "user_agent": agent, "ip_prefix": ip, "actor": actor, "provenance": change.provenance,
        })
    ids = repository.insert_events(session, rows)
    newest: dict[StateKey, dict[str, Any]] = {}
    for row, event_id in zip(rows, ids, strict=True):
        key = (row["purpose"], row["subject"])
        state = {"purpose": key[0], "subject": key[1], "granted": row["action"] == Action.given,
                 "at": row["at"], "event_id": event_id}
        held = newest.get(key)
        if held is None or (state["at"], event_id) > (held["at"], held["event_id"]):
            newest[key] = state
    repository.upsert_states(session, list(newest.values()))
    audit.record_many(session, [
        audit.NewEntry(actor=actor, action=f"consent.{row['action']}", subject=row["subject"],
                       target=f"consent_event/{event_id}",
                       details={"purpose": row["purpose"], "source": row["source"],
                                "at": row["at"].isoformat(), "policy_version": row["policy_version"]},
                       at=now)
        for row, event_id in zip(rows, ids, strict=True)
    ])
    return ids


def _notice_hash(policy: Policy, change: Change) -> str | None:
    if change.notice_hash or change.source is Source.import_:  # imports carry only what they know
        return change.notice_hash
    return purpose_text_hash(policy, change.purpose)


def _refuse_suppressed(session: Session, policy: Policy, changes: Sequence[Change],
                       subjects: Sequence[str]) -> None:
    marketing = set(policy.marketing_purposes())
    risky = [(c, s) for c, s in zip(changes, subjects, strict=True)
             if c.action is Action.given and c.purpose in marketing and c.source not in SUBJECT_SOURCES]
    if not risky:
        return
    suppressed = repository.suppressed_among(session, [s for _, s in risky])
    for change, subject in risky:
        if subject in suppressed:
            raise SuppressedError(
                f"{change.identity} objected to direct marketing and is on the suppression list; "
                f"consent for {change.purpose!r} can only be given again by the person themselves "
                f"(web form or cookie banner), not by {change.source.value}")


def give(session: Session, policy: Policy, hasher: Hasher, identity: Identity, purpose: str, *,
         source: Source, actor: str, **kwargs: Any) -> int:
    """Record that consent was given; returns the event id."""
    change = Change(identity=identity, purpose=purpose, action=Action.given, source=source, **kwargs)
    return record_changes(session, policy, hasher, [change], actor=actor)[0]


def withdraw(session: Session, policy: Policy, hasher: Hasher, identity: Identity, purpose: str, *,
             source: Source, actor: str, **kwargs: Any) -> int:
    """Record that consent was withdrawn; returns the event id."""
    change = Change(identity=identity, purpose=purpose, action=Action.withdrawn, source=source,
                    **kwargs)
    return record_changes(session, policy, hasher, [change], actor=actor)[0]


def is_allowed(session: Session, subject: str, purpose: str) -> bool:
    """The hot path: is consent for the purpose given by this subject (keyed hash) right now?"""
    return repository.granted_lookup(session)(subject, purpose)


ExclusionCheck = Callable[[Session, str], bool]


def restricted_check() -> ExclusionCheck | None:
    """The DSR engine's restriction lookup (Art. 18), when it is installed."""
    try:
        from persondata.dsr import repository as dsr_repository
    except ImportError:
        return None
    single = getattr(dsr_repository, "is_restricted", None)
    if single is not None:
        return lambda session, subject: bool(single(session, subject))
    bulk = getattr(dsr_repository, "restricted_hashes", None)
    if bulk is not None:
        return lambda session, subject: subject in set(bulk(session))
    return None


def status(session: Session, policy: Policy, hasher: Hasher, identity: Identity, purpose: str, *,
           restricted: ExclusionCheck | None = None) -> Status:
    """Whether processing for the purpose is allowed for the identity now, with the reason."""
    check_purpose(policy, purpose, marketing_ok=True)
    subject = hasher.hash(identity)
    who = str(identity)
    restricted = restricted or restricted_check()
    if restricted is not None and restricted(session, subject):
        return Status(who, purpose, False, "processing is restricted (Art. 18)")
    if purpose not in policy.consent_purposes():  # marketing on another basis: objection decides
        if repository.suppression(session, subject) is not None:
            return Status(who, purpose, False, "objected to direct marketing (suppression list)")
        return Status(who, purpose, True, f"{policy.purposes[purpose].basis.value}; no objection")
    row = repository.granted_row(session, subject, purpose)
    if row is None:
        return Status(who, purpose, False, "no consent recorded")
    granted, at, event_id = row
    return Status(who, purpose, granted, "consent given" if granted else "consent withdrawn",
                  at, event_id)


def history(session: Session, hasher: Hasher, identity: Identity, *, actor: str,
            purpose: str | None = None) -> list[EventView]:
    """Every consent event of the identity (Art. 7(1) proof); the read itself is audited."""
    subject = hasher.hash(identity)
    audit.record(session, actor=actor, action="consent.history_read", subject=subject,
                 details={"purpose": purpose} if purpose else {})
    return [
        EventView(e.id, f"{e.identity_kind}={e.identity_value}", e.purpose, e.action, e.at,
                  e.recorded_at, e.source, e.policy_version, e.notice_hash, e.user_agent,
                  e.ip_prefix, e.actor, e.provenance)
        for e in repository.events_of(session, subject, purpose)
    ]


def replay_events(events: Iterable[tuple[int, str, str, str, datetime]]) -> dict[StateKey, StateValue]:
    """Derive the state from events (id, subject, purpose, action, at): newest (at, id) wins."""
    state: dict[StateKey, StateValue] = {}
    for event_id, subject, purpose, action, at in events:
        key = (purpose, subject)
        held = state.get(key)
        if held is None or (at, event_id) > (held[1], held[2]):
            state[key] = (action == Action.given, at, event_id)
    return state


def replay(session: Session) -> dict[StateKey, StateValue]:
    """The state as replaying the whole ledger gives it."""
    return replay_events(repository.all_events(session))


def stored_state(session: Session) -> dict[StateKey, StateValue]:
    """The state table as it is."""
    return {(p, s): (g, at, e) for p, s, g, at, e in repository.all_states(session)}


def state_mismatches(session: Session) -> list[StateKey]:
    """Keys where the state table differs from the replayed ledger (empty when consistent)."""
    derived, stored = replay(session), stored_state(session)
    return sorted(k for k in derived.keys() | stored.keys() if derived.get(k) != stored.get(k))
