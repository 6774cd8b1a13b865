"""Art. 12(3) deadlines in the controller's timezone: one month, extendable by two more.

The received instant is turned into the controller's local date (Europe/Copenhagen,
Europe/Oslo...) first, so a request that arrives at 00:30 Copenhagen time counts from that
day, whatever the UTC date. Then persondata.calendar does the month arithmetic and the move
to the next working day (unless the policy says `deadline_counting: strict`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from persondata.calendar import ZONES, add_months_deadline
from persondata.errors import ConflictError, InputError

MAX_EXTENSION_MONTHS = 2


def controller_zone(country: str) -> ZoneInfo:
    """The timezone deadlines are counted in for a controller country."""
    return ZoneInfo(ZONES.get(country.upper(), "UTC"))


def local_date(instant: datetime, country: str) -> date:
    """The controller's calendar date at an instant."""
    if instant.tzinfo is None:
        raise InputError("naive datetime given; deadlines need an aware instant")
    return instant.astimezone(controller_zone(country)).date()


def first_deadline(received_at: datetime, country: str, counting: str = "business_day") -> date:
    """One month after receipt (Art. 12(3)), on a working day unless counting is strict."""
    return add_months_deadline(local_date(received_at, country), 1, country, counting)


def extended_deadline(received_at: datetime, extension_months: int, country: str,
                      counting: str = "business_day") -> date:
    """The deadline after extending by some months (at most two) beyond the first month."""
    return add_months_deadline(local_date(received_at, country), 1 + extension_months, country, counting)


def check_extension(*, already: int, months: int, reason: str, original_due: date, now: datetime,
                    country: str) -> None:
    """Refuse an extension without a reason, beyond two months in all, or after the first deadline."""
    if not reason.strip():
        raise InputError("an extension needs a reason (Art. 12(3)): say why, e.g. "
                         "'complex request: data in 6 systems'")
    if months < 1:
        raise InputError("extend by 1 or 2 months")
    if already + months > MAX_EXTENSION_MONTHS:
        raise ConflictError(f"Art. 12(3) allows at most {MAX_EXTENSION_MONTHS} further months; "
                            f"this request is already extended by {already}")
    today = local_date(now, country)
    if today > original_due:
        raise ConflictError(f"the first deadline was {original_due.isoformat()}: an extension must be "
                            "made, and the subject told, before it (Art. 12(3)); it is too late now")


def parse_received(text: str, country: str, now: datetime) -> datetime:
    """Parse --received: an ISO date or date-time; without an offset it is controller local time."""
    raw = text.strip()
    try:
        if len(raw) == 10:
            local = datetime.combine(date.fromisoformat(raw), time(0, 0))
        else:
            local = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise InputError(f"--received {text!r} is not a date (2027-02-28) or date-time "
                         "(2027-02-28T14:30, 2027-02-28T13:30+00:00)") from exc
    instant = local if local.tzinfo else local.replace(tzinfo=controller_zone(country))
    instant = instant.astimezone(UTC)
    if instant > now + timedelta(minutes=5):
        raise InputError(f"--received {text!r} is in the future")
    return instant
