"""The ASB Case Review (Community Trigger, s104): the threshold, the steps, and the screens."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from fresh import new_store
from pilot_wait import workers_done
from pydantic import ValidationError
from textual.widgets import DataTable, Input, Static

from asbtui.app import AsbApp
from asbtui.config import Settings
from asbtui.dates import LONDON, format_date
from asbtui.errors import InvalidInput, NotFound
from asbtui.models import CaseReview, District, Incident, ReviewDecision
from asbtui.screens.case import CaseScreen
from asbtui.screens.case_review import (
    CaseReviewsScreen,
    DecisionForm,
    MeetingForm,
    OutcomeForm,
    RequestReviewForm,
)
from asbtui.services import case_review, cases
from asbtui.services.case_review import (
    application_deadline,
    cases_meeting_threshold,
    complaint_deadline,
    qualifying_reports,
    threshold_status,
)

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)
OPENED = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _default_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    """A local threshold set in the environment would change the app's answers."""
    monkeypatch.delenv("ASBTUI_CASE_REVIEW_THRESHOLD", raising=False)


@pytest.fixture
def store(tmp_path):
    with new_store(tmp_path / "s.db") as opened:
        yield opened


def new_case(store, district: str = "THA", summary: str = "Loud music at night") -> str:
    return cases.create_case(
        store,
        cases.NewCase(district=district, category="nuisance", summary=summary),
        now=OPENED,
    )


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    """A London time on ``day`` (noon unless told)."""
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


def report(store, ref: str, behaviour: datetime, reported: datetime | None = None) -> str:
    """An incident of ``behaviour`` reported at ``reported`` (default: at once)."""
    return cases.add_incident(
        store,
        ref,
        cases.NewIncident(
            occurred_at=behaviour, channel="101", incident_type="noise", description="x"
        ),
        now=reported or behaviour,
    )


def ids(reports) -> list[str]:
    return [r.incident_id for r in reports]


def case_with_reports(store, days: list[date], district: str = "THA") -> str:
    ref = new_case(store, district)
    for day in days:
        report(store, ref, at(day))
    return ref


def snapshot(store) -> list[tuple]:
    """Every case review row as it stands, to show a refused step changed nothing."""
    with store.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.select(CaseReview.__table__))]


# ---------------------------------------------------------------------------- the rule


def test_the_windows_end_the_day_before_the_corresponding_date() -> None:
    assert complaint_deadline(date(2026, 3, 15)) == date(2026, 4, 14)
    assert application_deadline(date(2026, 4, 14)) == date(2026, 10, 13)
    # Calendar months are clamped at month ends, as dateutil does.
    assert complaint_deadline(date(2026, 1, 31)) == date(2026, 2, 27)
    assert application_deadline(date(2026, 3, 31)) == date(2026, 9, 29)
    assert case_review.earliest_report_day(date(2026, 9, 30)) == date(2026, 4, 1)
    assert case_review.earliest_report_day(date(2026, 10, 13)) == date(2026, 4, 14)


def test_a_report_a_month_less_a_day_after_the_behaviour_counts_a_month_after_does_not(
    store,
) -> None:
    ref = new_case(store)
    in_time = report(store, ref, at(date(2026, 3, 15)), at(date(2026, 4, 14), 23, 30))
    report(store, ref, at(date(2026, 3, 15)), at(date(2026, 4, 15), 0, 30))
    month_end = report(store, ref, at(date(2026, 1, 31)), at(date(2026, 2, 27)))
    report(store, ref, at(date(2026, 1, 31)), at(date(2026, 2, 28)))
    found = qualifying_reports(store, ref, date(2026, 5, 1))
    assert ids(found) == [month_end, in_time]
    assert found[1].behaviour_on == date(2026, 3, 15)
    assert found[1].reported_on == date(2026, 4, 14)
    assert found[1].apply_by == date(2026, 10, 13)


def test_an_application_six_months_less_a_day_after_a_report_counts_it_a_day_later_not(
    store,
) -> None:
    ref = new_case(store)
    made = report(store, ref, at(date(2026, 4, 14)))
    assert ids(qualifying_reports(store, ref, date(2026, 10, 13))) == [made]
    assert qualifying_reports(store, ref, date(2026, 10, 14)) == []
    # A report made on 31 March is counted until 29 September (six months clamped, less
    # a day), not on 30 September.
    month_end = new_case(store)
    made = report(store, month_end, at(date(2026, 3, 31)))
    assert ids(qualifying_reports(store, month_end, date(2026, 9, 29))) == [made]
    assert qualifying_reports(store, month_end, date(2026, 9, 30)) == []


def test_reports_made_after_the_application_do_not_count(store) -> None:
    ref = new_case(store)
    report(store, ref, at(date(2026, 6, 2)))
    assert qualifying_reports(store, ref, date(2026, 6, 1)) == []
    assert len(qualifying_reports(store, ref, date(2026, 6, 2))) == 1  # the same day counts


def test_dates_are_london_dates_so_a_report_after_midnight_in_summer_is_a_day_later(
    store,
) -> None:
    ref = new_case(store)
    # 30/07 00:30 BST is 29/07 23:30 UTC: by UTC dates it would be in time; by London
    # dates (the law's) it is a month after the behaviour of 30/06.
    report(store, ref, at(date(2026, 6, 30), 23, 30), at(date(2026, 7, 30), 0, 30))
    assert qualifying_reports(store, ref, date(2026, 8, 1)) == []
    assert cases_meeting_threshold(store, on=date(2026, 8, 1), threshold=1) == []
    in_time = new_case(store)
    report(store, in_time, at(date(2026, 6, 30), 23, 30), at(date(2026, 7, 29), 23, 59))
    assert len(qualifying_reports(store, in_time, date(2026, 8, 1))) == 1
    assert cases_meeting_threshold(store, on=date(2026, 8, 1), threshold=1) == [(in_time, 1)]


def test_an_old_incident_without_a_report_time_counts_as_reported_when_it_happened(
    store,
) -> None:
    ref = new_case(store)
    old = report(store, ref, at(date(2026, 9, 1)), at(date(2026, 11, 20)))  # late report
    with store.session() as session:
        session.get(Incident, old).reported_at = None
    found = qualifying_reports(store, ref, TODAY)
    assert ids(found) == [old]
    assert found[0].reported_on == date(2026, 9, 1)
    assert cases_meeting_threshold(store, on=TODAY, threshold=1) == [(ref, 1)]


# ---------------------------------------------------------------------------- threshold


def test_three_qualifying_reports_meet_the_threshold_and_two_do_not(store) -> None:
    three = case_with_reports(store, [date(2026, 7, 1), date(2026, 9, 1), date(2026, 11, 1)])
    two = case_with_reports(store, [date(2026, 9, 1), date(2026, 11, 1)])
    status = threshold_status(store, three, TODAY)
    assert (status.count, status.threshold, status.met) == (3, 3, True)
    # Met until the oldest of the three no longer counts: 01/07 + 6 months - 1 day.
    assert status.met_until == date(2026, 12, 31)
    assert not threshold_status(store, two, TODAY).met
    assert cases_meeting_threshold(store, on=TODAY) == [(three, 3)]


def test_a_local_threshold_of_two(store) -> None:
    three = case_with_reports(store, [date(2026, 7, 1), date(2026, 9, 1), date(2026, 11, 1)])
    two = case_with_reports(store, [date(2026, 9, 1), date(2026, 11, 1)])
    one = case_with_reports(store, [date(2026, 11, 1)])
    assert threshold_status(store, two, TODAY, threshold=2).met
    assert not threshold_status(store, one, TODAY, threshold=2).met
    assert cases_meeting_threshold(store, on=TODAY, threshold=2) == [(three, 3), (two, 2)]


@pytest.mark.parametrize("threshold", [0, 4])
def test_a_threshold_above_three_or_below_one_is_refused(store, threshold: int) -> None:
    ref = new_case(store)
    with pytest.raises(InvalidInput) as refused:
        threshold_status(store, ref, TODAY, threshold=threshold)
    assert refused.value.field == "threshold"
    with pytest.raises(InvalidInput):
        cases_meeting_threshold(store, on=TODAY, threshold=threshold)
    with pytest.raises(ValidationError):
        Settings(case_review_threshold=threshold)
    assert Settings().case_review_threshold == 3


def test_cases_meeting_threshold_is_one_query_over_open_cases_of_the_district(store) -> None:
    days = [date(2026, 7, 1), date(2026, 9, 1), date(2026, 11, 1)]
    tha = case_with_reports(store, days)
    swa = case_with_reports(store, [*days, date(2026, 11, 2)], district="SWA")
    closed = case_with_reports(store, days)
    cases.change_status(store, closed, "closed", "resolved", now=NOW)
    statements: list[str] = []

    def count(*args) -> None:
        if "app_user" not in args[2]:  # (whether the store has users: who may read it)
            statements.append(args[2])

    sa.event.listen(store.engine, "before_cursor_execute", count)
    try:
        everywhere = cases_meeting_threshold(store, on=TODAY)
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", count)
    assert everywhere == [(swa, 4), (tha, 3)]  # most reports first; closed cases left out
    assert len(statements) == 1
    assert cases_meeting_threshold(store, District.THA, on=TODAY) == [(tha, 3)]
    # On 02/01/2027 the July report no longer counts.
    assert cases_meeting_threshold(store, District.SWA, on=date(2027, 1, 2)) == [(swa, 3)]


def test_the_grouped_query_and_the_case_rule_agree_on_every_edge(store) -> None:
    """The SQL of the list and the Python of one case give the same counts."""
    behaviours = [
        date(2026, 1, 31),
        date(2026, 3, 15),
        date(2026, 3, 29),  # the spring clock change
        date(2026, 6, 30),
        date(2026, 10, 25),  # the autumn clock change
        date(2026, 12, 31),
    ]
    refs = []
    for shift, behaviour in enumerate(behaviours):
        ref = new_case(store)
        refs.append(ref)
        for hour, minute, lag in ((0, 30, 0), (23, 30, 29), (0, 30, 30), (1, 30, 27), (12, 0, 45)):
            moment = at(behaviour, hour, minute)
            if moment.astimezone(UTC).astimezone(LONDON).hour != hour:
                # 01:30 on the spring night did not happen (refused since issue 18): the
                # instant a wall clock jumping forward shows for it, 02:30 BST.
                moment = at(behaviour, hour + 1, minute)
            report(store, ref, moment, moment + timedelta(days=lag + shift % 2))
    days = [date(2026, 1, 1) + timedelta(days=d) for d in range(0, 460, 3)]
    days += [date(2026, 9, 29), date(2026, 9, 30), date(2026, 10, 13), date(2027, 2, 28)]
    for on in days:
        listed = dict(cases_meeting_threshold(store, on=on, threshold=1))
        counted = {ref: len(found) for ref in refs if (found := qualifying_reports(store, ref, on))}
        assert listed == counted, on


def test_the_plain_bounds_agree_with_london_days_for_one_month_and_a_later_two_month_rule(
        store, monkeypatch) -> None:
    """The grouped query settles most reports by the time between behaviour and report
    (under 28 × months − 3 days counts, 31 × months + 2 or more does not) and works out
    London days only in between: at each side of those bounds, under the rule of one
    month and under a later rule row of two, it gives the rule's own counts."""
    from asbtui.services import rules

    unit = rules.rule("case_review_complaint_months", date(2026, 1, 1)).unit
    monkeypatch.setattr(rules, "RULES", (*rules.RULES, rules.Rule(
        "case_review_complaint_months", 2, unit, "a later Act", date(2026, 6, 1))))
    refs = []
    for behaviour in (date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 28)):
        ref = new_case(store)
        refs.append(ref)
        for lag in (0, 23, 24, 25, 26, 28, 30, 31, 32, 33, 34, 50, 52, 53, 54, 58, 61, 62,
                    63, 64, 65, 70):
            for hour in (0, 23):
                moment = at(behaviour, hour, 30)
                made = at(behaviour + timedelta(days=lag), 23 - hour, 30)
                report(store, ref, moment, max(made, moment))
    days = [date(2026, 2, 1) + timedelta(days=d) for d in range(0, 240, 2)]
    assert {case_review.complaint_months(day) for day in days} == {1, 2}
    for on in days:
        listed = dict(cases_meeting_threshold(store, on=on, threshold=1))
        counted = {ref: len(found) for ref in refs if (found := qualifying_reports(store, ref, on))}
        assert listed == counted, on
        assert len(listed) > 0 or on < date(2026, 2, 1), on


# The planner's statistics of the incident table of the 1,000,000-case store of 07/12/2026
# (2,967,446 incidents), with ix_incident_case as migration 0016 rebuilt it.
M1_INCIDENT_STATISTICS = [
    ("ix_incident_case", "1456560 1001 3 1 1 1 1"),
    ("ix_incident_postcode", "2617020 1001 201 3 1 1"),
    ("ix_incident_street", "2778300 1001 401 4 4 1 1"),
    ("ix_incident_address", "2026120 1001 4 3 3 1 1"),
    ("ix_incident_updated_at", "2583360 1"),
    ("ix_incident_case_id", "2583360 4"),
    ("sqlite_autoindex_incident_1", "2384640 1"),
]


@pytest.fixture(scope="module")
def million(demo_template, tmp_path_factory):
    """The seeded demo store with the planner statistics of the 1,000,000-case store."""
    import shutil

    from conftest import supervisor_everywhere
    from test_goto import plan_with_case_statistics
    from test_queue_plans import M1_CASE_STATISTICS

    from asbtui.db import open_store

    copy = tmp_path_factory.mktemp("review-plans-1m") / "demo.db"
    shutil.copyfile(demo_template[0], copy)
    with open_store(copy) as opened:
        plan_with_case_statistics(opened, M1_CASE_STATISTICS)
        with opened.engine.begin() as connection:
            connection.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE tbl = 'incident'")
            connection.exec_driver_sql(
                "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)",
                [("incident", idx, stat) for idx, stat in M1_INCIDENT_STATISTICS])
        opened.engine.dispose()
        opened.actor = supervisor_everywhere(opened)
        yield opened


@pytest.mark.parametrize("district", [District.THA, None], ids=["Thanet", "all districts"])
def test_at_a_million_cases_the_marks_read_open_cases_and_their_reports_from_indexes(
        million, district) -> None:
    """Issue 19: the queue's marks took 1.9 s of CPU for Thanet at 1M, grouping every
    report of the district's cases read row by row. Now the open cases come down the ref
    index (status in it), each one's reports from ix_incident_case alone (reported_at in
    it), grouped in index order: nothing read from a table, nothing grouped in a B-tree."""
    from test_queue_plans import plans_of

    on = date(2026, 11, 25)
    found = []
    plans = plans_of(million, lambda: found.extend(
        cases_meeting_threshold(million, district, on=on)))
    assert found  # the seeded store has cases meeting the threshold
    (plan,) = plans
    steps = plan.split(" | ")
    assert steps[0].startswith("SEARCH case USING COVERING INDEX ix_case_by_ref (deleted=?"), plan
    assert steps[1] == ("SEARCH incident USING COVERING INDEX ix_incident_case "
                        "(district=? AND case_id=? AND occurred_at>?)"), plan
    assert steps[2:] == ["USE TEMP B-TREE FOR ORDER BY"], plan  # only the cases found


# ---------------------------------------------------------------------------- request


def test_request_records_the_count_and_threshold_as_they_stood(store) -> None:
    ref = case_with_reports(store, [date(2026, 9, 1), date(2026, 11, 1)])
    review_id = case_review.request_review(
        store, ref, date(2026, 11, 20), "Ann Example", today=TODAY
    )
    report(store, ref, at(date(2026, 11, 22)))  # a later report changes nothing recorded
    (review,) = case_review.case_reviews(store, ref)
    assert review.id == review_id
    assert (review.qualifying_reports, review.threshold_met) == (2, False)
    assert review.requested_by == "Ann Example"
    assert review.decision is ReviewDecision.PENDING
    assert review.state == "Awaiting decision"
    assert case_review.review_in_progress(store, ref) == review
    # With a local threshold of 2 the same reports meet it.
    other = case_with_reports(store, [date(2026, 9, 1), date(2026, 11, 1)])
    case_review.request_review(store, other, TODAY, "Bob Example", threshold=2, today=TODAY)
    assert case_review.case_reviews(store, other)[0].threshold_met


def test_request_refuses_a_future_date_no_applicant_and_a_second_pending_review(store) -> None:
    ref = case_with_reports(store, [date(2026, 11, 1)])
    with pytest.raises(InvalidInput) as refused:
        case_review.request_review(store, ref, TODAY + timedelta(days=1), "Ann", today=TODAY)
    assert refused.value.field == "requested_on"
    with pytest.raises(InvalidInput) as refused:
        case_review.request_review(store, ref, TODAY, "  ", today=TODAY)
    assert refused.value.field == "requested_by"
    assert snapshot(store) == []
    case_review.request_review(store, ref, TODAY, "Ann", today=TODAY)
    before = snapshot(store)
    with pytest.raises(InvalidInput) as refused:
        case_review.request_review(store, ref, TODAY, "Ann", today=TODAY)
    assert "already has a case review in progress" in str(refused.value)
    assert snapshot(store) == before
    with pytest.raises(NotFound):
        case_review.request_review(store, "THA-26-NONE0", TODAY, "Ann", today=TODAY)


# ---------------------------------------------------------------------------- decision


def requested(store, days: list[date], threshold: int = 3) -> tuple[str, str]:
    ref = case_with_reports(store, days)
    review_id = case_review.request_review(
        store, ref, date(2026, 11, 20), "Ann Example", threshold, today=TODAY
    )
    return ref, review_id


MET = [date(2026, 7, 1), date(2026, 9, 1), date(2026, 11, 1)]
NOT_MET = [date(2026, 11, 1)]


def test_threshold_met_makes_the_review_mandatory(store) -> None:
    ref, review_id = requested(store, MET)
    before = snapshot(store)
    with pytest.raises(InvalidInput) as refused:
        case_review.decide(store, review_id, "no_review", TODAY, "Handled well", today=TODAY)
    assert refused.value.field == "decision"
    assert "s104(4)" in str(refused.value) and "must be held" in str(refused.value)
    assert snapshot(store) == before
    assert case_review.decide(store, review_id, "review", TODAY, today=TODAY) is (
        ReviewDecision.REVIEW
    )
    (review,) = case_review.case_reviews(store, ref)
    assert (review.decision, review.decided_on) == (ReviewDecision.REVIEW, TODAY)
    assert review.state == "Review: meeting to arrange"


def test_below_the_threshold_either_decision_and_no_review_needs_a_reason(store) -> None:
    ref, review_id = requested(store, NOT_MET)
    before = snapshot(store)
    with pytest.raises(InvalidInput) as refused:
        case_review.decide(store, review_id, ReviewDecision.NO_REVIEW, TODAY, " ", today=TODAY)
    assert refused.value.field == "reason"
    assert snapshot(store) == before
    case_review.decide(
        store, review_id, ReviewDecision.NO_REVIEW, TODAY, "One report only", today=TODAY
    )
    (review,) = case_review.case_reviews(store, ref)
    assert review.decision is ReviewDecision.NO_REVIEW
    assert review.decision_reason == "One report only"
    assert review.finished and review.state == "No review"
    # Below the threshold a review may still be held.
    _, other = requested(store, NOT_MET)
    assert case_review.decide(store, other, "review", TODAY, today=TODAY) is (ReviewDecision.REVIEW)


def test_a_decision_is_refused_before_the_application_in_the_future_or_twice(store) -> None:
    _, review_id = requested(store, MET)
    before = snapshot(store)
    for day in (date(2026, 11, 19), TODAY + timedelta(days=1)):  # before it, in the future
        with pytest.raises(InvalidInput) as refused:
            case_review.decide(store, review_id, "review", day, today=TODAY)
        assert refused.value.field == "decided_on"
    with pytest.raises(InvalidInput) as refused:
        case_review.decide(store, review_id, "pending", TODAY, today=TODAY)
    assert refused.value.field == "decision"
    assert snapshot(store) == before
    case_review.decide(store, review_id, "review", date(2026, 11, 20), today=TODAY)
    decided = snapshot(store)
    with pytest.raises(InvalidInput) as refused:
        case_review.decide(store, review_id, "review", TODAY, today=TODAY)
    assert "already decided" in str(refused.value)
    assert snapshot(store) == decided
    with pytest.raises(NotFound):
        case_review.decide(store, "no-such-review", "review", TODAY, today=TODAY)


# ---------------------------------------------------------------------------- meeting, outcome


def test_meeting_and_outcome_only_after_a_decision_to_review_in_order(store) -> None:
    ref, review_id = requested(store, MET)
    with pytest.raises(InvalidInput) as refused:
        case_review.record_meeting(store, review_id, TODAY, today=TODAY)  # not yet decided
    assert refused.value.field == "meeting_on"
    case_review.decide(store, review_id, "review", date(2026, 11, 21), today=TODAY)
    before = snapshot(store)
    with pytest.raises(InvalidInput) as refused:
        case_review.record_outcome(store, review_id, "Action plan", TODAY, today=TODAY)
    assert refused.value.field == "outcome_on"  # no meeting yet
    with pytest.raises(InvalidInput) as refused:
        case_review.record_meeting(store, review_id, date(2026, 11, 20), today=TODAY)
    assert refused.value.field == "meeting_on"  # before the decision
    assert snapshot(store) == before

    case_review.record_meeting(store, review_id, date(2026, 11, 23), today=TODAY)
    assert case_review.case_reviews(store, ref)[0].state == "Review: outcome awaited"
    met = snapshot(store)
    for day in (date(2026, 11, 22), TODAY + timedelta(days=1)):
        with pytest.raises(InvalidInput) as refused:
            case_review.record_outcome(store, review_id, "Action plan", day, today=TODAY)
        assert refused.value.field == "outcome_on"
    with pytest.raises(InvalidInput) as refused:
        case_review.record_outcome(store, review_id, "", TODAY, today=TODAY)
    assert refused.value.field == "outcome"
    assert snapshot(store) == met

    case_review.record_outcome(store, review_id, "Action plan agreed", TODAY, today=TODAY)
    (review,) = case_review.case_reviews(store, ref)
    assert (review.meeting_on, review.outcome_on) == (date(2026, 11, 23), TODAY)
    assert review.outcome == "Action plan agreed"
    assert review.finished and review.state == "Outcome recorded"
    done = snapshot(store)
    with pytest.raises(InvalidInput):
        case_review.record_outcome(store, review_id, "Again", TODAY, today=TODAY)
    with pytest.raises(InvalidInput):
        case_review.record_meeting(store, review_id, TODAY, today=TODAY)
    assert snapshot(store) == done
    # Once finished, the victim may apply again.
    case_review.request_review(store, ref, TODAY, "Ann Example", today=TODAY)
    assert [r.state for r in case_review.case_reviews(store, ref)] == [
        "Awaiting decision",
        "Outcome recorded",
    ]


def test_no_meeting_or_outcome_when_no_review_is_held(store) -> None:
    _, review_id = requested(store, NOT_MET)
    case_review.decide(store, review_id, "no_review", TODAY, "One report", today=TODAY)
    before = snapshot(store)
    with pytest.raises(InvalidInput):
        case_review.record_meeting(store, review_id, TODAY, today=TODAY)
    with pytest.raises(InvalidInput):
        case_review.record_outcome(store, review_id, "x", TODAY, today=TODAY)
    assert snapshot(store) == before


def test_reviews_list_by_district_in_progress_first(store) -> None:
    tha_done, done_id = requested(store, NOT_MET)
    case_review.decide(store, done_id, "no_review", TODAY, "One report", today=TODAY)
    tha_open, _ = requested(store, MET)
    swa = case_with_reports(store, MET, district="SWA")
    case_review.request_review(store, swa, TODAY, "Cat Example", today=TODAY)
    assert [r.case_ref for r in case_review.reviews(store, District.THA)] == [tha_open, tha_done]
    assert [r.case_ref for r in case_review.reviews(store)] == [swa, tha_open, tha_done]
    assert case_review.reviews(store, District.SWA)[0].district is District.SWA


# ---------------------------------------------------------------------------- the app


async def settle(pilot) -> None:
    await workers_done(pilot.app)
    await pilot.pause()
    await workers_done(pilot.app)
    await pilot.pause()


def text_of(widget) -> str:
    return str(widget.render())


@pytest.fixture
def recent(store) -> str:
    """An open case with three recent reports: the threshold is met today."""
    return case_with_reports(store, [date(2026, 10, 1), date(2026, 11, 1), date(2026, 11, 20)])


async def test_review_from_request_to_outcome_on_the_case_screen(store, recent) -> None:
    app = AsbApp(store, settings=Settings(db=store.path), clock=lambda: NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_case(recent)
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        header = text_of(app.screen.query_one("#case-header", Static))
        assert "CASE REVIEW THRESHOLD MET (3 reports in 6 months)" in header
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "ASB Case Review (Community Trigger)" in titles

        # r: request, showing the threshold computed now.
        await pilot.press("r")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, RequestReviewForm)
        assert form.query_one("#requested_on", Input).value == "25/11/2026"
        assert "THRESHOLD MET" in text_of(form.query_one("#threshold-status", Static))
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form  # who applied is required
        assert "required" in text_of(form.query_one("#requested_by-error", Static))
        form.query_one("#requested_by", Input).value = "Ann Example"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        (review,) = case_review.case_reviews(store, recent)
        assert (review.qualifying_reports, review.threshold_met) == (3, True)
        assert "Awaiting decision" in text_of(app.screen.query_one("#case-header", Static))

        # r again: the decision. No review is refused where the threshold is met.
        await pilot.press("r")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, DecisionForm)
        assert form.query_one("#decision").value == "review"
        form.query_one("#decision").value = "no_review"
        form.query_one("#reason").text = "Handled well"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form
        assert "s104(4)" in text_of(form.query_one("#decision-error", Static))
        assert case_review.case_reviews(store, recent)[0].decision is ReviewDecision.PENDING
        form.query_one("#decision").value = "review"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        assert case_review.case_reviews(store, recent)[0].decision is ReviewDecision.REVIEW

        # r: the meeting, then r: the outcome.
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, MeetingForm)
        app.screen.query_one("#meeting_on", Input).value = "24/11/2026"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, MeetingForm)  # before the decision (today)
        assert "before the decision" in text_of(app.screen.query_one("#meeting_on-error"))
        app.screen.query_one("#meeting_on", Input).value = "25/11/2026"
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("r")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, OutcomeForm)
        form.query_one("#outcome_on", Input).value = "24/11/2026"
        form.query_one("#outcome").text = "Action plan agreed with the housing provider"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form  # before the meeting
        assert "before the meeting" in text_of(form.query_one("#outcome_on-error", Static))
        form.query_one("#outcome_on", Input).value = "25/11/2026"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        (review,) = case_review.case_reviews(store, recent)
        assert review.meeting_on == TODAY
        assert review.outcome_on == TODAY
        assert review.outcome == "Action plan agreed with the housing provider"

        # f4: the supervisors' list shows the case and its review.
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, CaseReviewsScreen)
        cases_table = app.screen.query_one("#threshold-cases", DataTable)
        assert [str(k.value) for k in cases_table.rows] == [recent]
        reviews_table = app.screen.query_one("#review-list", DataTable)
        row = [cell.plain for cell in reviews_table.get_row(review.id)]
        assert row == [
            recent,
            "25/11/2026",
            "Ann Example",
            "3",
            "met",
            "Review",
            "25/11/2026",
            "25/11/2026",
            "25/11/2026",
            "Outcome recorded",
        ]


async def test_f4_lists_cases_meeting_the_threshold_and_enter_opens_one(store, recent) -> None:
    below = case_with_reports(store, [date(2026, 11, 1)])
    app = AsbApp(store, settings=Settings(db=store.path), clock=lambda: NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CaseReviewsScreen)
        table = screen.query_one("#threshold-cases", DataTable)
        assert [str(k.value) for k in table.rows] == [recent]
        assert below not in [str(k.value) for k in table.rows]
        cells = [c.plain for c in table.get_row(recent)]
        # Per case: the qualifying reports, the latest report, the risk and the owner.
        latest = max(case_review.threshold_status(store, recent, NOW.date()).reports,
                     key=lambda r: r.reported_on).reported_on
        assert cells[:2] == [recent, "3"] and cells[2] == format_date(latest)
        assert cells[3] == "Standard" and cells[5] == "none yet: r on the case"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        assert app.screen.ref == recent
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen


async def test_a_local_threshold_of_two_on_the_case_screen(store) -> None:
    ref = case_with_reports(store, [date(2026, 11, 1), date(2026, 11, 20)])
    settings = Settings(db=store.path, case_review_threshold=2)
    app = AsbApp(store, settings=settings, clock=lambda: NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_case(ref)
        await settle(pilot)
        header = text_of(app.screen.query_one("#case-header", Static))
        assert "CASE REVIEW THRESHOLD MET (2 reports in 6 months)" in header


async def test_the_queue_marks_cases_meeting_the_threshold_with_t(tmp_path) -> None:
    from datetime import UTC, datetime, timedelta

    from asbtui.app import AsbApp
    from asbtui.config import Settings
    from asbtui.services import cases
    from asbtui.widgets.case_table import CaseTable

    now = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    with new_store(tmp_path / "q.db") as store:
        def case(reports: int) -> str:
            ref = cases.create_case(store, cases.NewCase(
                district="THA", category="nuisance", summary="Noise", location="1 A Road"),
                now=now - timedelta(days=60))
            for day in range(reports):
                when = now - timedelta(days=10 + day)
                cases.add_incident(store, ref, cases.NewIncident(
                    occurred_at=when, channel="101", incident_type="noise", description="x"),
                    now=when + timedelta(hours=1))
            return ref

        met, not_met = case(3), case(2)
        app = AsbApp(store, settings=Settings(db=store.path), clock=lambda: now)
        async with app.run_test(size=(120, 30)) as pilot:
            for _ in range(3):
                await workers_done(pilot.app)
                await pilot.pause()
            table = app.screen.query_one(CaseTable)
            assert table.get_row(met)[1].plain.endswith(" T")
            assert not table.get_row(not_met)[1].plain.endswith(" T")
