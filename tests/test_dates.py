"""Dates as the force writes them (DD/MM/YYYY) and times in Europe/London, across BST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from asbtui.dates import (
    format_date,
    format_datetime,
    london_today,
    parse_date,
    parse_datetime,
    to_london,
    to_utc_naive,
)
from asbtui.errors import InvalidInput

# ---------------------------------------------------------------------------- parse_date


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("25/11/2026", date(2026, 11, 25)),
        ("01/02/2026", date(2026, 2, 1)),  # 1 February, not 2 January
        ("1/2/2026", date(2026, 2, 1)),
        ("  9/3/2026 ", date(2026, 3, 9)),
        ("29-02-2028", date(2028, 2, 29)),
        ("31.12.2026", date(2026, 12, 31)),
    ],
)
def test_a_date_is_read_day_first(typed, day):
    assert parse_date(typed) == day


def test_today_is_the_london_date():
    assert parse_date("today") == parse_date(" Today ") == london_today()


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "25/11",
        "25/11/26",
        "2026-11-25",
        "2026/11/25",
        "25 11 2026",
        "twenty/11/2026",
        "25/11/2026/1",
        "1//2026",
        "+1/2/2026",
        "-1/2/2026",
        "25/11/20266",
        "tomorrow",
    ],
)
def test_a_badly_written_date_is_refused_in_plain_words(typed):
    with pytest.raises(InvalidInput) as caught:
        parse_date(typed, field="next_review")
    assert caught.value.field == "next_review"
    assert str(caught.value) == f"'{typed.strip()}' is not a date: use DD/MM/YYYY."


@pytest.mark.parametrize(
    "typed",
    [
        "31/02/2026",
        "29/02/2026",
        "31/04/2026",
        "00/01/2026",
        "01/13/2026",
        "01/00/2026",
        "32/01/2026",
        "01/01/0000",
    ],
)
def test_an_impossible_date_is_refused_in_plain_words(typed):
    with pytest.raises(InvalidInput) as caught:
        parse_date(typed, field="date_of_birth")
    assert caught.value.field == "date_of_birth"
    assert str(caught.value) == f"{typed} is not a real date."


@pytest.mark.parametrize("typed", ["²/01/2026", "01/01/202³"])
def test_a_superscript_digit_is_refused_in_plain_words(typed):
    with pytest.raises(InvalidInput):
        parse_date(typed)


# ---------------------------------------------------------------------------- parse_datetime


def test_a_superscript_digit_in_a_time_is_refused_in_plain_words():
    with pytest.raises(InvalidInput):
        parse_datetime("01/01/2026 1²:00")


def test_a_date_and_time_is_read_as_london_time():
    moment = parse_datetime("01/07/2026 14:30")  # BST
    assert moment.astimezone(UTC) == datetime(2026, 7, 1, 13, 30, tzinfo=UTC)
    winter = parse_datetime("01/12/2026 14:30")  # GMT
    assert winter.astimezone(UTC) == datetime(2026, 12, 1, 14, 30, tzinfo=UTC)


def test_a_date_without_a_time_is_midnight_in_london():
    assert parse_datetime("01/07/2026").astimezone(UTC) == datetime(2026, 6, 30, 23, 0, tzinfo=UTC)


def test_a_repeated_hour_when_the_clocks_go_back_is_read_as_the_first_bst_one():
    moment = parse_datetime("25/10/2026 01:30")
    assert moment.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "typed",
    [
        "25/11/2026 24:00",
        "25/11/2026 12:60",
        "25/11/2026 1230",
        "25/11/2026 noon",
        "25/11/2026 12:",
        "25/11/2026 -1:30",
    ],
)
def test_a_bad_time_is_refused_in_plain_words(typed):
    with pytest.raises(InvalidInput) as caught:
        parse_datetime(typed, field="occurred_at")
    assert caught.value.field == "occurred_at"
    assert "is not a time: use HH:MM (24-hour)." in str(caught.value)


@pytest.mark.parametrize("typed", ["", "   "])
def test_an_empty_date_and_time_is_refused(typed):
    with pytest.raises(InvalidInput) as caught:
        parse_datetime(typed, field="occurred_at")
    assert caught.value.field == "occurred_at"


def test_now_is_an_aware_utc_instant():
    moment = parse_datetime("now")
    assert moment.tzinfo is not None
    assert abs(moment - datetime.now(UTC)) < timedelta(seconds=5)


# ---------------------------------------------------------------------------- showing


@pytest.mark.parametrize(
    ("utc", "shown"),
    [
        # Clocks go forward at 01:00 UTC on Sunday 29 March 2026.
        (datetime(2026, 3, 29, 0, 30), "29/03/2026 00:30"),
        (datetime(2026, 3, 29, 0, 59), "29/03/2026 00:59"),
        (datetime(2026, 3, 29, 1, 0), "29/03/2026 02:00"),
        (datetime(2026, 3, 29, 1, 30), "29/03/2026 02:30"),
        # Clocks go back at 01:00 UTC on Sunday 25 October 2026: 01:xx London happens twice.
        (datetime(2026, 10, 25, 0, 30), "25/10/2026 01:30"),
        (datetime(2026, 10, 25, 1, 0), "25/10/2026 01:00"),
        (datetime(2026, 10, 25, 1, 30), "25/10/2026 01:30"),
        (datetime(2026, 10, 25, 2, 30), "25/10/2026 02:30"),
        # Midsummer evening in UTC is the next day in London.
        (datetime(2026, 6, 30, 23, 30), "01/07/2026 00:30"),
        (datetime(2026, 12, 31, 23, 30), "31/12/2026 23:30"),
    ],
)
def test_times_are_shown_in_london_across_the_clock_changes(utc, shown):
    assert format_datetime(utc) == shown  # naive: stored UTC
    assert format_datetime(utc.replace(tzinfo=UTC)) == shown


def test_an_instant_given_in_another_zone_is_converted_not_relabelled():
    from zoneinfo import ZoneInfo

    new_york = datetime(2026, 7, 1, 9, 0, tzinfo=ZoneInfo("America/New_York"))
    assert format_datetime(new_york) == "01/07/2026 14:00"


def test_a_date_of_an_instant_is_the_london_date():
    assert format_date(datetime(2026, 6, 30, 23, 30, tzinfo=UTC)) == "01/07/2026"
    assert format_date(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == "31/12/2026"
    assert format_date(date(2026, 2, 1)) == "01/02/2026"


def test_no_date_shows_as_nothing():
    assert format_date(None) == ""
    assert format_datetime(None) == ""


def test_london_today_turns_over_at_london_midnight():
    assert london_today(datetime(2026, 6, 30, 22, 59, tzinfo=UTC)) == date(2026, 6, 30)
    assert london_today(datetime(2026, 6, 30, 23, 0, tzinfo=UTC)) == date(2026, 7, 1)
    assert london_today(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == date(2026, 12, 31)


def test_conversions_to_london_and_back_to_utc():
    summer = datetime(2026, 7, 1, 12, 0)
    assert to_london(summer).utcoffset() == timedelta(hours=1)
    assert to_london(summer).hour == 13
    assert to_utc_naive(datetime(2026, 7, 1, 13, 0)) == summer  # naive means London here
    assert to_utc_naive(datetime(2026, 7, 1, 12, 0, tzinfo=UTC)) == summer
    assert to_utc_naive(to_london(summer)) == summer


def test_shown_dates_read_back_to_the_same_day():
    day = date(2026, 3, 9)
    for _ in range(400):
        assert parse_date(format_date(day)) == day
        day += timedelta(days=1)
