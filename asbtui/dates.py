"""Dates and times as the force uses them: DD/MM/YYYY, Europe/London.

The store keeps instants in UTC; everything shown to a user is in Europe/London, so
British Summer Time is handled by ``zoneinfo`` rather than by hand.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from asbtui.errors import InvalidInput

LONDON = ZoneInfo("Europe/London")
DATE_FORMAT = "%d/%m/%Y"


def utc_now() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return datetime.now(UTC)


def to_london(moment: datetime) -> datetime:
    """``moment`` in Europe/London; naive datetimes are taken to be UTC (as stored)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LONDON)


def to_utc_naive(moment: datetime) -> datetime:
    """``moment`` as the naive UTC datetime the store keeps."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LONDON)
    return moment.astimezone(UTC).replace(tzinfo=None)


def london_today(now: datetime | None = None) -> date:
    """Today's date in Europe/London."""
    return to_london(now or utc_now()).date()


def format_date(day: date | datetime | None) -> str:
    """DD/MM/YYYY, or an empty string for no date."""
    if day is None:
        return ""
    if isinstance(day, datetime):
        day = to_london(day).date()
    return day.strftime(DATE_FORMAT)


def format_datetime(moment: datetime | None) -> str:
    """DD/MM/YYYY HH:MM in Europe/London."""
    if moment is None:
        return ""
    return to_london(moment).strftime(f"{DATE_FORMAT} %H:%M")


def parse_date(text: str, *, field: str | None = None) -> date:
    """Read a date typed as DD/MM/YYYY (also D/M/YYYY, DD-MM-YYYY, or ``today``)."""
    cleaned = text.strip().replace("-", "/").replace(".", "/")
    if cleaned.lower() == "today":
        return london_today()
    parts = cleaned.split("/")
    # isascii: str.isdigit() also accepts '²' and other digits int() refuses.
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() for p in parts) or len(parts[2]) != 4:
        raise InvalidInput(f"'{text.strip()}' is not a date: use DD/MM/YYYY.", field)
    day, month, year = (int(p) for p in parts)
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidInput(f"{text.strip()} is not a real date.", field) from None


def real_wall_time(moment: datetime, field: str | None = None) -> datetime:
    """``moment`` if its wall-clock time happened in its own time zone; refused if not.

    Services call this on every time a user gives, so the CLI, the sync and any later
    caller are held to what the forms are. A time in the hour skipped when the clocks go
    forward (01:30 on the last Sunday of March, London) did not happen: refused, never
    shifted. A time in the hour that happens twice when they go back (01:30 on the last
    Sunday of October) is resolved by its ``fold``, as Python defines it: fold 0 (the
    default) is the first, still BST (+01:00); fold 1 the second, GMT (+00:00). Times in
    UTC or with a fixed offset are always real.
    """
    zone = moment.tzinfo
    if zone is None or zone is UTC:
        return moment
    wall = moment.replace(tzinfo=None)
    if moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall:
        raise InvalidInput(
            f"{wall:%d/%m/%Y %H:%M} did not happen in the UK: the clocks went forward an "
            "hour then.",
            field,
        )
    return moment


def parse_datetime(text: str, *, field: str | None = None) -> datetime:
    """Read 'DD/MM/YYYY HH:MM' (London time) into an aware datetime; time defaults to 00:00.

    In the hour that happens twice when the clocks go back, the time is the first (BST);
    ``GMT`` after it ('27/10/2030 01:30 GMT') means the second, and ``BST`` the first.
    """
    cleaned = text.strip()
    if not cleaned:
        raise InvalidInput("Enter a date and time as DD/MM/YYYY HH:MM.", field)
    if cleaned.lower() == "now":
        return utc_now()
    fold = 0
    words = cleaned.split()
    if len(words) == 3 and words[2].upper() in ("BST", "GMT"):
        fold = 1 if words[2].upper() == "GMT" else 0
        cleaned = " ".join(words[:2])
    date_part, _, time_part = cleaned.partition(" ")
    day = parse_date(date_part, field=field)
    hour, minute = 0, 0
    if time_part.strip():
        hh, sep, mm = time_part.strip().partition(":")
        digits = hh.isascii() and hh.isdigit() and mm.isascii() and mm.isdigit()
        if not sep or not digits or not (0 <= int(hh) <= 23 and 0 <= int(mm) <= 59):
            raise InvalidInput(f"'{time_part.strip()}' is not a time: use HH:MM (24-hour).", field)
        hour, minute = int(hh), int(mm)
    naive = datetime(day.year, day.month, day.day, hour, minute)
    # fold=0 picks the first of two repeated times when clocks go back (BST, then GMT).
    moment = real_wall_time(naive.replace(tzinfo=LONDON, fold=fold), field)
    zone_name = words[2].upper() if len(words) == 3 else ""
    if zone_name and moment.tzname() != zone_name:
        raise InvalidInput(
            f"{cleaned} {zone_name}: the UK was on {moment.tzname()} then, not {zone_name}.", field
        )
    return moment


def format_time_left(delta: timedelta) -> str:
    """'2d 4h', '3h 05m', or 'overdue 1d 2h'."""
    seconds = delta.total_seconds()
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    text = f"{days}d {hours}h" if days else f"{hours}h {mins:02d}m"
    return f"overdue {text}" if seconds < 0 else text
