"""Statutory time arithmetic (asbtui.services.periods), checked against the 2014 Act.

Hours "after service" run in elapsed time from the instant of service (so a clock change
moves the London wall-clock time by an hour); Christmas Day is disregarded only where the
Act says so (s77(3), s80(4)); "N days beginning with" counts the first day as day one;
"N days following" starts the next day; months are calendar months.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asbtui.dates import LONDON, to_london
from asbtui.services import periods


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def wall(moment: datetime) -> tuple[int, int, int, int, int]:
    """A moment as London wall-clock (year, month, day, hour, minute)."""
    local = to_london(moment)
    return (local.year, local.month, local.day, local.hour, local.minute)


# ---------------------------------------------------------------- hours after service


def test_48_hours_after_a_notice_served_at_1410_on_a_friday_is_1410_on_the_sunday():
    served = london(2027, 6, 4, 14, 10)  # Friday, BST throughout
    assert served.strftime("%A") == "Friday"
    due = periods.add_hours(served, 48)
    assert wall(due) == (2027, 6, 6, 14, 10)
    assert to_london(due).strftime("%A") == "Sunday"


def test_24_hours_after_service_is_the_same_time_the_next_day_without_a_clock_change():
    assert wall(periods.add_hours(london(2027, 1, 15, 9, 30), 24)) == (2027, 1, 16, 9, 30)


def test_48_elapsed_hours_across_the_spring_clock_change_end_an_hour_later_on_the_clock():
    # Clocks go forward at 01:00 GMT on Sunday 28/03/2027 (last Sunday of March).
    served = london(2027, 3, 26, 14, 10)  # Friday, GMT
    due = periods.add_hours(served, 48)
    assert wall(due) == (2027, 3, 28, 15, 10)  # 15:10 BST
    assert due - served == timedelta(hours=48)  # elapsed time is exact
    assert due.astimezone(UTC) == datetime(2027, 3, 28, 14, 10, tzinfo=UTC)


def test_48_elapsed_hours_across_the_autumn_clock_change_end_an_hour_earlier_on_the_clock():
    # Clocks go back at 01:00 GMT on Sunday 31/10/2027 (last Sunday of October).
    served = london(2027, 10, 29, 14, 10)  # Friday, BST
    due = periods.add_hours(served, 48)
    assert wall(due) == (2027, 10, 31, 13, 10)  # 13:10 GMT
    assert due.astimezone(UTC) - served.astimezone(UTC) == timedelta(hours=48)


def test_the_clock_change_is_counted_the_same_with_the_christmas_rule_on():
    served = london(2027, 10, 29, 14, 10)
    assert periods.add_hours(served, 48, disregard_christmas=True) == periods.add_hours(served, 48)


def test_the_result_is_timezone_aware_whatever_zone_the_start_is_given_in():
    served = london(2027, 6, 4, 14, 10)
    as_utc = served.astimezone(UTC)
    assert periods.add_hours(served, 48) == periods.add_hours(as_utc, 48)
    assert periods.add_hours(served, 48).tzinfo is not None


# ---------------------------------------------------------------- Christmas Day


@pytest.mark.parametrize(
    ("served", "due"),
    [
        # 9h50 to midnight on Christmas Eve, Christmas Day skipped, 38h10 from 26/12 00:00.
        ((2027, 12, 24, 14, 10), (2027, 12, 27, 14, 10)),
        # Served on Christmas Day: the count starts at 00:00 on Boxing Day.
        ((2027, 12, 25, 10, 0), (2027, 12, 28, 0, 0)),
        # 28 hours to Christmas, then the remaining 20 hours from 26/12 00:00.
        ((2027, 12, 23, 20, 0), (2027, 12, 26, 20, 0)),
        # Ends exactly as Christmas Day begins: nothing to disregard.
        ((2027, 12, 23, 0, 0), (2027, 12, 25, 0, 0)),
        # One minute later, and the last minute is counted on Boxing Day instead.
        ((2027, 12, 23, 0, 1), (2027, 12, 26, 0, 1)),
        # Served on Boxing Day: nothing to disregard.
        ((2027, 12, 26, 9, 0), (2027, 12, 28, 9, 0)),
    ],
)
def test_christmas_day_is_disregarded_in_the_48_hours_after_service(served, due):
    result = periods.add_hours(london(*served), 48, disregard_christmas=True)
    assert wall(result) == due


def test_a_period_ending_as_christmas_day_begins_is_not_pushed_past_christmas():
    served = london(2027, 12, 23, 0, 0)
    assert wall(periods.add_hours(served, 48, disregard_christmas=True)) == (2027, 12, 25, 0, 0)
    assert wall(periods.add_hours(served, 47, disregard_christmas=True)) == (2027, 12, 24, 23, 0)
    assert wall(periods.add_hours(served, 49, disregard_christmas=True)) == (2027, 12, 26, 1, 0)


def test_christmas_day_counts_like_any_other_day_when_the_act_does_not_disregard_it():
    assert wall(periods.add_hours(london(2027, 12, 24, 14, 10), 48)) == (2027, 12, 26, 14, 10)
    assert wall(periods.add_hours(london(2027, 12, 25, 10, 0), 48)) == (2027, 12, 27, 10, 0)


def test_the_christmas_rule_reaches_into_the_next_year():
    # Served on 31/12: the next Christmas Day is a year away, nothing to disregard.
    served = london(2027, 12, 31, 12, 0)
    assert wall(periods.add_hours(served, 48, disregard_christmas=True)) == (2028, 1, 2, 12, 0)
    # A long count from the spring still meets (and skips) that year's Christmas Day.
    start = london(2027, 12, 1, 0, 0)
    assert wall(periods.add_hours(start, 24 * 30, disregard_christmas=True)) == (2028, 1, 1, 0, 0)


def test_hours_between_counts_elapsed_hours():
    assert periods.hours_between(london(2027, 6, 4, 14, 10), london(2027, 6, 6, 14, 10)) == 48
    # Across the spring change, 14:10 GMT Friday to 14:10 BST Sunday is 47 elapsed hours.
    assert periods.hours_between(london(2027, 3, 26, 14, 10), london(2027, 3, 28, 14, 10)) == 47
    # Across the autumn change it is 49.
    assert periods.hours_between(london(2027, 10, 29, 14, 10), london(2027, 10, 31, 14, 10)) == 49


def test_hours_between_leaves_out_christmas_day_only_when_asked():
    start, end = london(2027, 12, 24, 14, 10), london(2027, 12, 27, 14, 10)
    assert periods.hours_between(start, end) == 72
    assert periods.hours_between(start, end, disregard_christmas=True) == 48
    # Entirely on Christmas Day: nothing counts.
    assert (
        periods.hours_between(
            london(2027, 12, 25, 1, 0), london(2027, 12, 25, 23, 0), disregard_christmas=True
        )
        == 0
    )
    # Across two Christmases, both are left out.
    assert periods.hours_between(
        london(2027, 12, 1), london(2028, 12, 31), disregard_christmas=True
    ) == (periods.hours_between(london(2027, 12, 1), london(2028, 12, 31)) - 48)


def test_hours_between_is_negative_when_the_end_comes_first():
    assert periods.hours_between(london(2027, 6, 6), london(2027, 6, 5)) == -24


# ---------------------------------------------------------------- naive datetimes


@pytest.mark.parametrize("disregard", [False, True])
def test_naive_datetimes_are_refused_for_hours_after_an_event(disregard):
    naive = datetime(2027, 6, 4, 14, 10)
    with pytest.raises(ValueError, match="timezone-aware"):
        periods.add_hours(naive, 48, disregard_christmas=disregard)
    with pytest.raises(ValueError, match="timezone-aware"):
        periods.hours_between(naive, london(2027, 6, 6), disregard_christmas=disregard)
    with pytest.raises(ValueError, match="timezone-aware"):
        periods.hours_between(london(2027, 6, 4), naive, disregard_christmas=disregard)


# ---------------------------------------------------------------- days


def test_21_days_beginning_with_1_march_end_at_2359_on_21_march():
    due = periods.within_days_beginning_with(london(2027, 3, 1, 10, 0), 21)
    assert wall(due) == (2027, 3, 21, 23, 59)
    assert due.tzinfo is not None


def test_days_beginning_with_count_the_day_itself_as_day_one():
    assert wall(periods.within_days_beginning_with(london(2027, 3, 3, 9, 0), 21)) == (
        2027,
        3,
        23,
        23,
        59,
    )
    assert wall(periods.within_days_beginning_with(london(2027, 3, 3, 9, 0), 1)) == (
        2027,
        3,
        3,
        23,
        59,
    )


def test_21_days_beginning_with_10_february_cross_the_leap_day():
    assert wall(periods.within_days_beginning_with(london(2028, 2, 10, 9, 0), 21)) == (
        2028,
        3,
        1,
        23,
        59,
    )
    # In a common year the same window ends a day later in March.
    assert wall(periods.within_days_beginning_with(london(2027, 2, 10, 9, 0), 21)) == (
        2027,
        3,
        2,
        23,
        59,
    )


def test_the_day_of_issue_is_the_london_date_not_the_utc_date():
    # 23:30 UTC on 31/05 is 00:30 BST on 01/06: day one is 1 June.
    issued = datetime(2027, 5, 31, 23, 30, tzinfo=UTC)
    assert wall(periods.within_days_beginning_with(issued, 21)) == (2027, 6, 21, 23, 59)


def test_the_end_of_a_day_is_2359_london_time_in_summer_and_winter():
    summer = periods.end_of_day(date(2027, 7, 1))
    winter = periods.end_of_day(date(2027, 1, 1))
    assert summer.astimezone(UTC) == datetime(2027, 7, 1, 22, 59, tzinfo=UTC)
    assert winter.astimezone(UTC) == datetime(2027, 1, 1, 23, 59, tzinfo=UTC)


def test_a_fixed_penalty_dated_1_march_may_be_paid_until_the_end_of_15_march():
    due = periods.days_following(london(2027, 3, 1, 16, 45), 14)
    assert wall(due) == (2027, 3, 15, 23, 59)


def test_days_following_do_not_count_the_day_itself():
    assert wall(periods.days_following(london(2027, 3, 1, 0, 1), 1)) == (2027, 3, 2, 23, 59)
    # Across the end of a leap February.
    assert wall(periods.days_following(london(2028, 2, 20, 12, 0), 14)) == (2028, 3, 5, 23, 59)


# ---------------------------------------------------------------- months


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        ((2026, 11, 30, 10, 0), 3, (2027, 2, 28, 10, 0)),  # no 30 February: month end
        ((2027, 11, 30, 10, 0), 3, (2028, 2, 29, 10, 0)),  # leap year
        ((2026, 8, 31, 10, 0), 6, (2027, 2, 28, 10, 0)),
        ((2027, 8, 31, 10, 0), 6, (2028, 2, 29, 10, 0)),
        ((2027, 1, 31, 10, 0), 1, (2027, 2, 28, 10, 0)),
        ((2027, 3, 15, 10, 0), 3, (2027, 6, 15, 10, 0)),
        ((2027, 3, 15, 10, 0), 12, (2028, 3, 15, 10, 0)),
    ],
)
def test_months_are_calendar_months_clamped_to_the_end_of_a_short_month(start, months, end):
    assert wall(periods.add_months(london(*start), months)) == end


def test_months_keep_the_london_wall_clock_time_across_a_clock_change():
    # 10:00 GMT in January plus 6 months is 10:00 BST in July (09:00 UTC).
    result = periods.add_months(london(2027, 1, 10, 10, 0), 6)
    assert wall(result) == (2027, 7, 10, 10, 0)
    assert result.astimezone(UTC).hour == 9


def test_years_are_twelve_calendar_months():
    assert wall(periods.add_years(london(2028, 2, 29, 12, 0), 1)) == (2029, 2, 28, 12, 0)
    assert wall(periods.add_years(london(2027, 6, 1, 12, 0), 3)) == (2030, 6, 1, 12, 0)


# ---------------------------------------------------------------- properties

aware_starts = st.datetimes(
    min_value=datetime(2024, 1, 1),
    max_value=datetime(2030, 12, 31),
    timezones=st.sampled_from([UTC, LONDON]),
)
hour_counts = st.floats(min_value=0, max_value=200, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(start=aware_starts, hours=hour_counts, disregard=st.booleans())
def test_adding_hours_never_goes_backwards(start, hours, disregard):
    assert periods.add_hours(start, hours, disregard_christmas=disregard) >= start


@settings(max_examples=300, deadline=None)
@given(start=aware_starts, hours=hour_counts, disregard=st.booleans())
def test_hours_between_undoes_add_hours(start, hours, disregard):
    end = periods.add_hours(start, hours, disregard_christmas=disregard)
    counted = periods.hours_between(start, end, disregard_christmas=disregard)
    assert abs(counted - hours) < 1 / 3600


@settings(max_examples=200, deadline=None)
@given(start=aware_starts, hours=hour_counts)
def test_disregarding_christmas_never_makes_a_period_shorter(start, hours):
    plain = periods.add_hours(start, hours)
    skipping = periods.add_hours(start, hours, disregard_christmas=True)
    assert skipping >= plain
    assert skipping - plain <= timedelta(hours=24)
