"""Triage to a first-contact target: priorities, working days and bank holidays at the edges."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from conftest import AS_OF

from asbtui.dates import LONDON
from asbtui.errors import InvalidInput
from asbtui.models import RiskLevel
from asbtui.services import cases, triage
from asbtui.services.triage import ResponseTargets, first_contact_due, priority_for
from asbtui.services.working_days import add_working_days, is_working_day


def london(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=LONDON)


def test_priority_from_the_questionnaire() -> None:
    assert priority_for([]) is RiskLevel.STANDARD
    assert priority_for(["lasting", "isolated"]) is RiskLevel.STANDARD
    assert priority_for(["health", "lasting"]) is RiskLevel.MEDIUM
    assert priority_for(["hate"]) is RiskLevel.HIGH  # alone makes it high
    assert priority_for(["health", "frequent", "reprisal"]) is RiskLevel.HIGH  # score 6


def test_an_unknown_factor_is_refused_in_plain_words() -> None:
    with pytest.raises(InvalidInput, match="'noisy' is not an urgency factor"):
        priority_for(["noisy"])


def test_high_priority_is_24_hours_by_the_clock_even_over_a_weekend() -> None:
    friday_night = london(2026, 5, 22, 21, 30)
    assert first_contact_due(friday_night, RiskLevel.HIGH) == london(2026, 5, 23, 21, 30)


def test_friday_evening_before_a_bank_holiday_monday() -> None:
    # Friday 22/05/2026 18:30; Monday 25/05/2026 is the Spring Bank Holiday.
    friday = london(2026, 5, 22, 18, 30)
    assert not is_working_day(date(2026, 5, 25))
    # Tuesday, Wednesday, Thursday: 3 working days.
    assert first_contact_due(friday, RiskLevel.MEDIUM) == london(2026, 5, 28, 23, 59)
    # Ten: 26, 27, 28, 29 May, 1 to 5 June, and Monday 8 June.
    assert first_contact_due(friday, RiskLevel.STANDARD) == london(2026, 6, 8, 23, 59)


def test_christmas_and_boxing_day_on_a_weekend_move_to_monday_and_tuesday() -> None:
    # 2027: Christmas is a Saturday, Boxing Day a Sunday; the substitute days are 27 and 28.
    assert not is_working_day(date(2027, 12, 27))
    assert not is_working_day(date(2027, 12, 28))
    assert is_working_day(date(2027, 12, 29))
    christmas_eve = london(2027, 12, 24, 12, 0)
    assert add_working_days(christmas_eve.date(), 1) == date(2027, 12, 29)
    assert first_contact_due(christmas_eve, RiskLevel.MEDIUM) == london(2027, 12, 31, 23, 59)


def test_a_report_at_2359_on_the_last_working_day_starts_counting_the_next_working_day() -> None:
    # Thursday 24/12/2026 23:59; Christmas Friday, Boxing Day Saturday (substitute Monday 28).
    late = london(2026, 12, 24, 23, 59)
    assert not is_working_day(date(2026, 12, 28))
    assert first_contact_due(late, RiskLevel.MEDIUM) == london(2026, 12, 31, 23, 59)
    # A minute later it is Christmas Day: still the same target.
    assert first_contact_due(late + timedelta(minutes=1), RiskLevel.MEDIUM) == \
        london(2026, 12, 31, 23, 59)


def test_targets_are_local_settings() -> None:
    monday = london(2026, 11, 23, 9, 0)
    targets = ResponseTargets(high_hours=12, medium_working_days=1, standard_working_days=2)
    assert first_contact_due(monday, RiskLevel.HIGH, targets) == london(2026, 11, 23, 21, 0)
    assert first_contact_due(monday, RiskLevel.STANDARD, targets) == london(2026, 11, 25, 23, 59)


def test_intake_triage_sets_the_target_and_recording_first_contact_meets_it(
        store, open_case) -> None:
    reported = datetime.now(UTC) - timedelta(hours=2)
    ref = open_case(store, now=reported, factors=("health", "frequent"))
    view = triage.first_contact(store, ref)
    assert view is not None and view.priority is RiskLevel.MEDIUM
    assert view.time_left(datetime.now(UTC)) > timedelta(0)
    assert cases.case_detail(store, ref).risk is RiskLevel.MEDIUM  # raised to the priority
    assert ref in triage.pending_by_ref(store, [ref])
    met = triage.record_first_contact(store, ref, "visit")
    assert met.met_at is not None and not met.breached(datetime.now(UTC))
    assert triage.pending_by_ref(store, [ref]) == {}
    with pytest.raises(InvalidInput, match="already recorded"):
        triage.record_first_contact(store, ref, "phone")


def test_a_passed_target_is_a_breach_counted_by_district(store, open_case) -> None:
    ref = open_case(store, now=AS_OF - timedelta(days=3), factors=("threat",))
    view = triage.first_contact(store, ref)
    assert view is not None and view.breached(AS_OF)
    assert triage.breaches_by_district(store, now=AS_OF) == {"THA": 1}
