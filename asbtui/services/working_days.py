"""Working days in England and Wales: Monday to Friday, less the bank holidays.

Bank holidays come from the maintained ``holidays`` package (England, which England and
Wales share), substitute days included: when Christmas Day or Boxing Day falls on a
weekend, the following Monday or Tuesday is the holiday instead.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta

SUBDIVISION = "ENG"  # England and Wales keep the same bank holidays


@functools.lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    import holidays  # a tenth of a second to import: when a date is first counted

    return frozenset(holidays.country_holidays("GB", subdiv=SUBDIVISION, years=year))


def is_bank_holiday(day: date) -> bool:
    return day in _bank_holidays(day.year)


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a bank holiday in England and Wales."""
    return day.weekday() < 5 and not is_bank_holiday(day)


def add_working_days(start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself never counts)."""
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day
