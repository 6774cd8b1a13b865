"""Wall-clock time in the controller's country: its time zone, parsing user input, display.

Instants are kept in UTC; local time is only for reading input and showing output.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from persondata.calendar import ZONES
from persondata.errors import InputError


def controller_zone(country: str) -> ZoneInfo:
    """The time zone of a controller's country (DK: Europe/Copenhagen, NO: Europe/Oslo)."""
    name = ZONES.get(country.upper())
    if name is None:
        raise InputError(f"no time zone known for controller country {country!r}; "
                         f"known: {', '.join(sorted(ZONES))}")
    return ZoneInfo(name)


def zone_of(name: str) -> ZoneInfo:
    """A time zone by its IANA name."""
    return ZoneInfo(name)


def parse_time(text: str, zone: ZoneInfo, what: str = "time") -> datetime:
    """Parse ISO 8601 with an offset, or a local time in `zone`; return an aware UTC datetime."""
    raw = text.strip()
    try:
        value = datetime.fromisoformat(raw.replace(" ", "T", 1) if " " in raw else raw)
    except ValueError as exc:
        raise InputError(f"{what}: {text!r} is not a time like 2027-03-24T10:00 or "
                         f"2027-03-24T10:00+01:00") from exc
    if len(raw) <= 10:
        raise InputError(f"{what}: {text!r} has no time of day; give e.g. {raw}T10:00")
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    return local_to_utc(value, zone, what)


def local_to_utc(value: datetime, zone: ZoneInfo, what: str = "time") -> datetime:
    """A naive local wall-clock time in `zone` as UTC; refuses times DST skips or repeats."""
    early = value.replace(tzinfo=zone, fold=0)
    late = value.replace(tzinfo=zone, fold=1)
    if early.utcoffset() != late.utcoffset():
        # Either a skipped hour (spring) or a repeated hour (autumn).
        back = early.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
        if back != value:
            raise InputError(f"{what}: {value:%Y-%m-%d %H:%M} does not exist in {zone.key} "
                             "(the clocks skip that hour); give the time with an offset")
        raise InputError(f"{what}: {value:%Y-%m-%d %H:%M} happens twice in {zone.key} "
                         "(the clocks go back); give the time with an offset, e.g. +02:00 or +01:00")
    return early.astimezone(UTC)


def end_of_day(day: date, zone: ZoneInfo) -> datetime:
    """The instant a local calendar day ends (next midnight in `zone`), in UTC."""
    midnight = datetime.combine(day + timedelta(days=1), time(0))
    return midnight.replace(tzinfo=zone).astimezone(UTC)


def local(value: datetime, zone: ZoneInfo) -> datetime:
    """An aware instant shown in the controller's local time."""
    return value.astimezone(zone)


def show(value: datetime | None, zone: ZoneInfo) -> str:
    """Format an instant in local time with its offset: 2027-03-27 10:00 +01:00."""
    if value is None:
        return "-"
    loc = value.astimezone(zone)
    offset = loc.strftime("%z")
    return f"{loc:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:]}"


def span(delta: timedelta) -> str:
    """A duration in words: '2 d 5 h', '3 h 20 min', '45 min'."""
    seconds = int(abs(delta).total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"
