"""Statutory time arithmetic: hours to the minute, day windows, months, Christmas Day.

The Act counts three ways, and each has its own function here:

- hours "after service" run to the minute from the instant of service, in elapsed time
  (so across a clock change the wall-clock time moves by an hour), and for closure
  notices and hearings Christmas Day is disregarded (s77(3), s80(4)): the hours that fall
  on 25 December, London time, do not count;
- "within N days beginning with" a day counts that day as day one, so the window ends at
  the end of day N (a 21-day CPN appeal window from 1 March ends at 23:59 on 21 March);
- "N days following" a day starts counting the next day (an FPN dated 1 March may not be
  prosecuted before the end of 15 March);
- months are calendar months (3 months from 30 November is 28 or 29 February).

Every result is an aware datetime; deadlines at the end of a day are 23:59 London time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from asbtui.dates import LONDON, to_london

END_OF_DAY = time(23, 59)


def _christmas(year: int) -> tuple[datetime, datetime]:
    """25 December, London time, as a UTC interval [start, end)."""
    start = datetime(year, 12, 25, tzinfo=LONDON).astimezone(UTC)
    end = datetime(year, 12, 26, tzinfo=LONDON).astimezone(UTC)
    return start, end


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("statutory times must be timezone-aware")
    return moment.astimezone(UTC)


def add_hours(start: datetime, hours: float, *, disregard_christmas: bool = False) -> datetime:
    """``start`` plus ``hours`` of elapsed time, skipping Christmas Day if the Act says so."""
    cursor = _aware(start)
    remaining = timedelta(hours=hours)
    if not disregard_christmas:
        return cursor + remaining
    while remaining > timedelta(0):
        xmas_start, xmas_end = _christmas(to_london(cursor).year)
        if xmas_start <= cursor < xmas_end:
            cursor = xmas_end  # time on Christmas Day does not count
            continue
        if cursor >= xmas_end:
            xmas_start, xmas_end = _christmas(to_london(cursor).year + 1)
        step = min(remaining, xmas_start - cursor)
        cursor += step
        remaining -= step
    return cursor


def hours_between(start: datetime, end: datetime, *, disregard_christmas: bool = False) -> float:
    """The counted hours from ``start`` to ``end`` (Christmas Day left out if asked)."""
    start, end = _aware(start), _aware(end)
    total = (end - start).total_seconds()
    if disregard_christmas and end > start:
        for year in range(to_london(start).year, to_london(end).year + 1):
            xmas_start, xmas_end = _christmas(year)
            overlap = (min(end, xmas_end) - max(start, xmas_start)).total_seconds()
            total -= max(overlap, 0)
    return total / 3600


def end_of_day(day: date) -> datetime:
    """23:59 London time on ``day``."""
    return datetime.combine(day, END_OF_DAY, tzinfo=LONDON)


def next_midnight(moment: datetime) -> datetime:
    """The start of the London day after ``moment``: where a day-long window really ends.

    Deadlines are shown at 23:59, but the last minute of the day still counts, so checks
    compare against this instant instead.
    """
    return datetime.combine(to_london(moment).date() + timedelta(days=1), time(0, 0), tzinfo=LONDON)


def add_days_london(moment: datetime, days: int) -> datetime:
    """``moment`` plus ``days`` calendar days at the same London wall-clock time."""
    local = to_london(moment)
    return (local.replace(tzinfo=None) + timedelta(days=days)).replace(tzinfo=LONDON)


def within_days_beginning_with(moment: datetime, days: int) -> datetime:
    """The end of a window of ``days`` days that begins with the day of ``moment``."""
    return end_of_day(to_london(moment).date() + timedelta(days=days - 1))


def days_following(moment: datetime, days: int) -> datetime:
    """The end of the ``days`` days following the day of ``moment``."""
    return end_of_day(to_london(moment).date() + timedelta(days=days))


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus calendar months, at the same London wall-clock time."""
    local = to_london(moment)
    shifted = (local.replace(tzinfo=None) + relativedelta(months=months)).replace(tzinfo=LONDON)
    return shifted


def add_years(moment: datetime, years: int) -> datetime:
    return add_months(moment, 12 * years)
