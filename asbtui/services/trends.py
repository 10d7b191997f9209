"""Trends: case incidents per week by district or category, and the high-risk share.

Weeks are ISO weeks (Monday to Sunday) of the calendar in Europe/London. The store keeps
instants as UTC text, so bucketing ``strftime`` of the stored value by itself would put
an incident at Monday 00:30 BST (Sunday 23:30 UTC) in the week before. Instead each
query shifts the stored instant by London's offset *at that instant* (a short ``CASE``
over the clock changes inside the period, worked out with ``zoneinfo``) and then takes
the Monday on or before that London date, all in SQLite: one grouped query per chart,
exact at every week boundary, summer or winter.

A period is ``start`` (inclusive) to ``end`` (exclusive), London dates, widened to whole
weeks: from the Monday on or before ``start`` to the end of the week holding ``end - 1``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from asbtui.dates import LONDON, format_date
from asbtui.errors import InvalidInput
from asbtui.models import Case, Category, District, Incident, RiskLevel
from asbtui.services.access import Permission, permits

if TYPE_CHECKING:
    from asbtui.db import Store

MAX_PERIOD = relativedelta(years=2)
OTHER = "other"
"""The key of the line that sums the quieter lines (:meth:`Series.busiest`)."""


class TrendGroup(StrEnum):
    """What the lines of the reports chart are: one per district or one per category."""

    DISTRICT = "district"
    CATEGORY = "category"

    @property
    def plural(self) -> str:
        return {"district": "districts", "category": "categories"}[self.value]


@dataclass(frozen=True)
class Series:
    """Reports per week: one line of counts per key, every week present (zero-filled)."""

    by: TrendGroup
    weeks: tuple[date, ...]
    """The Monday of each week, oldest first."""
    lines: dict[str, tuple[int, ...]]
    """District code or category value -> the count for each week; busiest line first."""

    def total(self, key: str) -> int:
        return sum(self.lines[key])

    def label(self, key: str, *, short: bool = False) -> str:
        """'Thanet' (or 'THA' when short), 'Nuisance', or 'Other districts'."""
        if key == OTHER:
            return "Other" if short else f"Other {self.by.plural}"
        if self.by is TrendGroup.DISTRICT:
            return key if short else District(key).label
        return Category(key).label

    def busiest(self, count: int) -> Series:
        """The ``count`` busiest lines, and one line summing the rest (when there is more
        than one other): what a chart can show legibly in a small terminal."""
        keys = list(self.lines)
        if len(keys) <= count + 1:
            return self
        kept = {key: self.lines[key] for key in keys[:count]}
        rest = [self.lines[key] for key in keys[count:]]
        kept[OTHER] = tuple(sum(week) for week in zip(*rest, strict=True))
        return Series(self.by, self.weeks, kept)


def last_weeks(today: date, weeks: int) -> tuple[date, date]:
    """The period of the last ``weeks`` weeks, the current week (so far) the last of them."""
    this_monday = today - timedelta(days=today.weekday())
    return this_monday - timedelta(weeks=weeks - 1), this_monday + timedelta(weeks=1)


def _period(start: date, end: date) -> list[date]:
    """The Mondays of the weeks of the period, after checking the period is allowed."""
    if start >= end:
        raise InvalidInput(
            f"The period must end after it starts ({format_date(start)} to {format_date(end)})."
        )
    if end > start + MAX_PERIOD:
        raise InvalidInput("Choose a period of two years or less.")
    first = start - timedelta(days=start.weekday())
    last = end - timedelta(days=1)
    return [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]


def _london_midnight(day: date) -> datetime:
    # Clocks change at 01:00 UTC on a Sunday, so a Monday's midnight always exists once.
    return datetime.combine(day, time(), tzinfo=LONDON)


def _offset_changes(since: datetime, until: datetime) -> list[tuple[datetime, int]]:
    """London's UTC offset in minutes over [since, until): (from this instant, minutes)."""

    def minutes(moment: datetime) -> int:
        offset = moment.astimezone(LONDON).utcoffset()
        return int(offset.total_seconds() // 60) if offset else 0

    # Step in UTC: adding hours to a London time would be wall-clock arithmetic.
    since, until = since.astimezone(UTC), until.astimezone(UTC)
    changes = [(since, minutes(since))]
    day = since
    while day < until:
        following = min(day + timedelta(days=1), until)
        if minutes(following) != changes[-1][1]:
            # Find the hour of the change inside this day (UK changes fall on the hour).
            hour = day
            while minutes(hour) == changes[-1][1]:
                hour += timedelta(hours=1)
            changes.append((hour, minutes(hour)))
        day = following
    return changes


def _london_week(
    column: sa.ColumnElement[datetime], since: datetime, until: datetime
) -> sa.ColumnElement[str]:
    """The Monday ('YYYY-MM-DD') of the London week of a stored UTC instant."""
    changes = _offset_changes(since, until)
    shift: sa.ColumnElement[str]
    if len(changes) == 1:
        shift = sa.literal(f"{changes[0][1]:+d} minutes")
    else:
        whens = [
            (column < changes[n + 1][0], f"{minutes:+d} minutes")
            for n, (_, minutes) in enumerate(changes[:-1])
        ]
        shift = sa.case(*whens, else_=f"{changes[-1][1]:+d} minutes")
    # SQLite: '-6 days' then 'weekday 1' is the Monday on or before the shifted date.
    return sa.func.date(column, shift, "-6 days", "weekday 1")


def _districts(districts: Iterable[District | str] | None) -> list[District]:
    chosen: list[District] = []
    for value in districts or ():
        try:
            chosen.append(District(value))
        except ValueError:
            raise InvalidInput(f"{value} is not a district code.", "district") from None
    return chosen


@permits(Permission.READ_OVERVIEWS)
def weekly_reports(
    store: Store,
    start: date,
    end: date,
    districts: Iterable[District | str] | None = None,
    by: TrendGroup | str = TrendGroup.DISTRICT,
) -> Series:
    """Case incidents per London week of ``occurred_at``, one line per district (those
    given, or all) or per category; weeks and lines with no reports are zeros."""
    try:
        group = TrendGroup(by)
    except ValueError:
        raise InvalidInput(f"Trends are by district or by category, not {by}.") from None
    weeks = _period(start, end)
    chosen = _districts(districts)
    since = _london_midnight(weeks[0])
    until = _london_midnight(weeks[-1] + timedelta(weeks=1))
    week = _london_week(Incident.occurred_at, since, until)
    key = Case.district if group is TrendGroup.DISTRICT else Case.category
    query = (
        sa.select(week.label("week"), key.label("key"), sa.func.count(Incident.id).label("n"))
        .join(Case, Case.id == Incident.case_id)
        .where(
            Incident.occurred_at >= since,
            Incident.occurred_at < until,
            ~Incident.deleted,
            ~Case.deleted,
        )
        .group_by(week, key)
    )
    if chosen:
        query = query.where(Case.district.in_(chosen))
    with store.engine.connect() as connection:
        rows = connection.execute(query).all()
    keys = (
        [d.value for d in chosen or District]
        if group is TrendGroup.DISTRICT
        else [c.value for c in Category]
    )
    index = {monday: n for n, monday in enumerate(weeks)}
    counts = {k: [0] * len(weeks) for k in keys}
    for row in rows:
        counts[str(row.key)][index[date.fromisoformat(row.week)]] += row.n
    order = sorted(keys, key=lambda k: (-sum(counts[k]), keys.index(k)))
    return Series(group, tuple(weeks), {k: tuple(counts[k]) for k in order})


@permits(Permission.READ_OVERVIEWS)
def high_risk_share(
    store: Store,
    start: date,
    end: date,
    districts: Iterable[District | str] | None = None,
) -> list[tuple[date, float | None]]:
    """For each London week: the share (0 to 1) of the cases opened that week whose risk
    is high now (the risk is kept as it stands, not as first assessed); None for a week in
    which no case was opened."""
    weeks = _period(start, end)
    chosen = _districts(districts)
    since = _london_midnight(weeks[0])
    until = _london_midnight(weeks[-1] + timedelta(weeks=1))
    week = _london_week(Case.opened_at, since, until)
    high = sa.func.sum(sa.case((Case.risk == RiskLevel.HIGH, 1), else_=0))
    query = (
        sa.select(week.label("week"), sa.func.count(Case.id).label("opened"), high.label("high"))
        .where(Case.opened_at >= since, Case.opened_at < until, ~Case.deleted)
        .group_by(week)
    )
    if chosen:
        query = query.where(Case.district.in_(chosen))
    with store.engine.connect() as connection:
        found = {
            date.fromisoformat(row.week): row.high / row.opened for row in connection.execute(query)
        }
    return [(monday, found.get(monday)) for monday in weeks]
