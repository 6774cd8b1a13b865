"""Values of the consent ledger: sources, actions, evidence, and what services return."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from persondata.errors import InputError
from persondata.identity import Identity


class Action(StrEnum):
    """What a consent event does."""

    given = "given"
    withdrawn = "withdrawn"


class Source(StrEnum):
    """Where a consent event came from."""

    web_form = "web_form"
    cookie_banner = "cookie_banner"
    api = "api"
    import_ = "import"
    unsubscribe_link = "unsubscribe_link"
    admin = "admin"


SUBJECT_SOURCES = frozenset({Source.web_form, Source.cookie_banner})
"""Sources where the data subject acts themselves (may lift their own marketing objection)."""


def parse_source(value: str) -> Source:
    """A Source from its name, with a clear error."""
    try:
        return Source(value)
    except ValueError:
        names = ", ".join(s.value for s in Source)
        raise InputError(f"unknown consent source {value!r}; sources: {names}") from None


def truncate_ip(value: str | None) -> str | None:
    """Keep only the network part of an IP address: IPv4 /24, IPv6 /48."""
    if value is None or not value.strip():
        return None
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        raise InputError(f"{value!r} is not an IP address") from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


@dataclass(frozen=True)
class Evidence:
    """How the consent was captured: user agent and the truncated IP address."""

    user_agent: str | None = None
    ip: str | None = None  # given in full; stored truncated

    def stored(self) -> tuple[str | None, str | None]:
        """(user agent cut to 500 characters, IP network prefix)."""
        agent = self.user_agent[:500] if self.user_agent else None
        return agent, truncate_ip(self.ip)


@dataclass(frozen=True)
class Change:
    """One consent change to record."""

    identity: Identity
    purpose: str
    action: Action
    source: Source
    at: datetime | None = None
    notice_hash: str | None = None
    evidence: Evidence = field(default_factory=Evidence)
    provenance: str | None = None
    policy_version: str | None = None  # default: the policy's current version


@dataclass(frozen=True)
class EventView:
    """One recorded consent event, as the Art. 7(1) proof shows it."""

    id: int
    identity: str
    purpose: str
    action: str
    at: datetime
    recorded_at: datetime
    source: str
    policy_version: str
    notice_hash: str | None
    user_agent: str | None
    ip_prefix: str | None
    actor: str
    provenance: str | None


@dataclass(frozen=True)
class Status:
    """Whether processing for a purpose is allowed now, and why."""

    identity: str
    purpose: str
    allowed: bool
    reason: str
    since: datetime | None = None
    event_id: int | None = None
