"""Enforcement rules (asbtui.services.enforcement) against the 2014 Act.

Each refused step must raise InvalidInput with a plain message naming the field at fault,
and must change nothing in the store. Where review found the code and the Act disagreeing,
the test says what the Act requires (s77(4) extensions, the last minute of a day window,
an FPN after its breach, a PSPO's three years, adjournments across a clock change).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fresh import new_store
from hypothesis import given, settings
from hypothesis import strategies as st

from asbtui.dates import LONDON, to_london
from asbtui.db import Store
from asbtui.errors import InvalidInput
from asbtui.models import DeadlineStatus, PartyRole
from asbtui.services import cases, enforcement, periods, rules
from asbtui.services.enforcement import NewAction, StepInput


def london(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=LONDON)


H = timedelta(hours=1)
M = timedelta(minutes=1)
FRIDAY = london(2027, 6, 4, 14, 10)  # a Friday in BST

# ---------------------------------------------------------------- fixtures and helpers


def new_case(store: Store) -> str:
    return cases.create_case(
        store,
        cases.NewCase(district="THA", category="nuisance", summary="x", location="14 Invicta Road"),
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh store of this test's own (overrides the shared conftest fixture)."""
    opened = new_store(tmp_path / "s.db")
    yield opened
    opened.close()


@pytest.fixture
def ref(store: Store) -> str:
    return new_case(store)


@pytest.fixture
def case_id(store: Store, ref: str) -> str:
    return cases.case_detail(store, ref).id


@pytest.fixture
def person(store: Store, ref: str) -> Callable[..., str]:
    """Add a person to the case: person(date_of_birth=..., name=...) -> party id."""

    def add(date_of_birth: date | None = None, name: str = "Jordan Price") -> str:
        return cases.add_party(
            store,
            ref,
            cases.PersonInput(name=name, role=PartyRole.PERPETRATOR, date_of_birth=date_of_birth),
        )

    return add


def start(
    store: Store,
    ref: str,
    power: str,
    at: datetime,
    authority: str | None = None,
    ends: datetime | None = None,
    *,
    now: datetime | None = None,
    **new: object,
) -> str:
    if power in ("closure",) and "concerns" not in new:
        new["concerns"] = "14 Invicta Road"
    return enforcement.start_action(
        store,
        ref,
        NewAction(power=power, **new),  # type: ignore[arg-type]
        StepInput(occurred_at=at, authority=authority, ends_at=ends),
        now=now or at + M,
    )


def record(
    store: Store,
    action_id: str,
    stage: str,
    at: datetime,
    authority: str | None = None,
    ends: datetime | None = None,
    *,
    now: datetime | None = None,
) -> str:
    return enforcement.record_step(
        store,
        action_id,
        stage,
        StepInput(occurred_at=at, authority=authority, ends_at=ends),
        now=now or at + M,
    )


def snapshot(store: Store) -> dict[str, object]:
    """Everything a step may write: row counts, stages, deadlines, the case's next one."""
    with store.engine.connect() as c:

        def rows(sql: str) -> list[tuple]:
            return [tuple(r) for r in c.exec_driver_sql(sql).all()]

        return {
            "counts": {
                t: c.exec_driver_sql(f'SELECT count(*) FROM "{t}"').scalar()
                for t in ("actionstep", "deadline", "enforcementaction", "pspo", "pspoextension")
            },
            "actions": rows(
                "SELECT id, stage, closed, ends_at, next_deadline_at "
                "FROM enforcementaction ORDER BY id"
            ),
            "deadlines": rows("SELECT id, status, due_at, resolution FROM deadline ORDER BY id"),
            "cases": rows('SELECT id, next_deadline_at FROM "case" ORDER BY id'),
            "pspos": rows("SELECT id, expires_on FROM pspo ORDER BY id"),
        }


def refused(store: Store, call: Callable[[], object], field: str, *words: str) -> str:
    """``call`` is refused in plain words naming ``field``, and the store is unchanged."""
    before = snapshot(store)
    with pytest.raises(InvalidInput) as caught:
        call()
    message = str(caught.value)
    assert caught.value.field == field, message
    assert message[:1].isupper() or message[:1] == "'", message
    assert message.rstrip().endswith((".", ")")), message
    for bad in ("None", "Traceback", "<", "datetime(", "Error"):
        assert bad not in message, message
    for word in words:
        assert word in message, message
    assert snapshot(store) == before
    return message


def deadlines(
    store: Store,
    case_id: str,
    kind: str | None = None,
    status: DeadlineStatus | None = DeadlineStatus.OPEN,
) -> list:
    return [
        d
        for d in enforcement.case_deadlines(store, case_id)
        if (kind is None or d.kind == kind) and (status is None or d.status is status)
    ]


def due(store: Store, case_id: str, kind: str) -> datetime:
    (found,) = deadlines(store, case_id, kind)
    return found.due_at


def action(store: Store, case_id: str, action_id: str) -> enforcement.ActionDetail:
    return next(a for a in enforcement.case_actions(store, case_id) if a.id == action_id)


# ================================================================ closure notices (s76-77)


def test_an_inspector_may_close_premises_for_24_hours(store, ref, case_id):
    aid = start(store, ref, "closure", FRIDAY, "inspector", FRIDAY + 24 * H)
    detail = action(store, case_id, aid)
    assert detail.stage == "notice_issued"
    assert detail.ends_at == FRIDAY + 24 * H
    assert due(store, case_id, "closure_notice_expiry") == FRIDAY + 24 * H


def test_an_inspectors_notice_for_24_hours_and_a_minute_is_refused(store, ref):
    message = refused(
        store,
        lambda: start(store, ref, "closure", FRIDAY, "inspector", FRIDAY + 24 * H + M),
        "ends_at",
        "24 hours",
    )
    assert "24h 01m" in message


def test_a_council_officers_notice_is_also_limited_to_24_hours(store, ref):
    refused(
        store,
        lambda: start(store, ref, "closure", FRIDAY, "council_officer", FRIDAY + 25 * H),
        "ends_at",
        "24 hours",
    )


def test_a_superintendent_may_close_premises_for_up_to_48_hours(store, ref, case_id):
    start(store, ref, "closure", FRIDAY, "superintendent", FRIDAY + 48 * H - M)
    assert due(store, case_id, "closure_notice_expiry") == FRIDAY + 48 * H - M


def test_a_superintendents_notice_for_48_hours_and_a_minute_is_refused(store, ref):
    refused(
        store,
        lambda: start(store, ref, "closure", FRIDAY, "superintendent", FRIDAY + 48 * H + M),
        "ends_at",
        "48 hours",
    )


def test_the_councils_chief_executive_may_sign_a_48_hour_notice(store, ref, case_id):
    start(store, ref, "closure", FRIDAY, "council_chief_executive", FRIDAY + 48 * H)
    assert due(store, case_id, "closure_notice_expiry") == FRIDAY + 48 * H


@pytest.mark.parametrize("rank", ["constable", "sergeant", "pcso"])
def test_an_officer_below_inspector_cannot_issue_a_closure_notice(store, ref, rank):
    refused(
        store,
        lambda: start(store, ref, "closure", FRIDAY, rank, FRIDAY + 12 * H),
        "authority",
        "inspector",
    )


def test_a_closure_notice_without_an_authority_is_refused(store, ref):
    refused(store, lambda: start(store, ref, "closure", FRIDAY, None, FRIDAY + 12 * H), "authority")


def test_a_closure_notice_must_say_when_it_ends(store, ref):
    refused(store, lambda: start(store, ref, "closure", FRIDAY, "inspector", None), "ends_at")


def test_a_closure_notice_must_end_after_it_is_served(store, ref):
    refused(store, lambda: start(store, ref, "closure", FRIDAY, "inspector", FRIDAY), "ends_at")


# --- extension notices (s77(4)-(5))


@pytest.fixture
def notice(store, ref) -> str:
    """An inspector's 24-hour closure notice served at 14:10 on a Friday."""
    return start(store, ref, "closure", FRIDAY, "inspector", FRIDAY + 24 * H)


def test_a_superintendent_may_extend_a_notice_to_48_hours_in_all(store, case_id, notice):
    record(store, notice, "notice_extended", FRIDAY + 20 * H, "superintendent", FRIDAY + 48 * H - M)
    assert due(store, case_id, "closure_notice_expiry") == FRIDAY + 48 * H - M
    (old,) = deadlines(store, case_id, "closure_notice_expiry", DeadlineStatus.SUPERSEDED)
    assert old.due_at == FRIDAY + 24 * H
    assert action(store, case_id, notice).ends_at == FRIDAY + 48 * H - M


def test_an_extension_past_48_hours_in_all_is_refused(store, notice):
    refused(
        store,
        lambda: record(
            store, notice, "notice_extended", FRIDAY + 20 * H, "superintendent", FRIDAY + 48 * H + M
        ),
        "ends_at",
        "48 hours",
    )


def test_an_inspector_cannot_extend_a_closure_notice(store, notice):
    refused(
        store,
        lambda: record(
            store, notice, "notice_extended", FRIDAY + 20 * H, "inspector", FRIDAY + 40 * H
        ),
        "authority",
        "superintendent",
    )


def test_a_notice_cannot_be_extended_after_it_has_ended(store, notice):
    refused(
        store,
        lambda: record(
            store, notice, "notice_extended", FRIDAY + 25 * H, "superintendent", FRIDAY + 40 * H
        ),
        "occurred_at",
        "ended",
    )
    # Nor at the very minute it ends.
    refused(
        store,
        lambda: record(
            store, notice, "notice_extended", FRIDAY + 24 * H, "superintendent", FRIDAY + 40 * H
        ),
        "occurred_at",
    )


def test_an_extension_notice_adds_at_most_24_hours(store, ref):
    aid = start(store, ref, "closure", FRIDAY, "inspector", FRIDAY + 12 * H)
    refused(
        store,
        lambda: record(
            store, aid, "notice_extended", FRIDAY + 10 * H, "superintendent", FRIDAY + 40 * H
        ),
        "ends_at",
        "24 hours",
    )


def test_extending_the_notice_does_not_move_the_hearing_deadline(store, case_id, notice):
    record(store, notice, "notice_extended", FRIDAY + 20 * H, "superintendent", FRIDAY + 47 * H)
    assert due(store, case_id, "closure_hearing") == FRIDAY + 48 * H


# --- Christmas Day (s77(3))

XMAS_EVE = london(2027, 12, 24, 14, 10)


def test_christmas_day_is_disregarded_in_a_48_hour_notice_served_on_christmas_eve(
    store, ref, case_id
):
    start(store, ref, "closure", XMAS_EVE, "superintendent", london(2027, 12, 27, 14, 10))
    assert due(store, case_id, "closure_notice_expiry") == london(2027, 12, 27, 14, 10)


def test_a_48_hour_notice_served_on_christmas_eve_cannot_run_past_1410_on_27_december(store, ref):
    refused(
        store,
        lambda: start(
            store, ref, "closure", XMAS_EVE, "superintendent", london(2027, 12, 27, 14, 11)
        ),
        "ends_at",
        "Christmas Day",
    )


def test_an_inspectors_24_hour_notice_gets_no_christmas_allowance(store, ref):
    # The disregard in s77(3) is for the 48-hour period only (the conservative reading).
    refused(
        store,
        lambda: start(store, ref, "closure", XMAS_EVE, "inspector", london(2027, 12, 25, 14, 11)),
        "ends_at",
        "24 hours",
    )


def test_an_extension_over_christmas_counts_48_hours_with_christmas_day_left_out(store, ref):
    aid = start(store, ref, "closure", XMAS_EVE, "inspector", london(2027, 12, 25, 14, 10))
    refused(
        store,
        lambda: record(
            store,
            aid,
            "notice_extended",
            london(2027, 12, 25, 9, 0),
            "superintendent",
            london(2027, 12, 27, 14, 11),
        ),
        "ends_at",
        "48 hours",
    )


# ================================================================ hearing deadline (s80)


def test_the_hearing_is_due_48_hours_after_service(store, ref, case_id, notice):
    hearing = due(store, case_id, "closure_hearing")
    assert hearing == FRIDAY + 48 * H
    assert "s80" in deadlines(store, case_id, "closure_hearing")[0].source


def test_the_hearing_deadline_disregards_christmas_day(store, ref, case_id):
    start(store, ref, "closure", XMAS_EVE, "inspector", XMAS_EVE + 24 * H)
    assert due(store, case_id, "closure_hearing") == london(2027, 12, 27, 14, 10)


def test_a_notice_served_on_christmas_day_is_heard_by_midnight_on_27_december(store, ref, case_id):
    served = london(2027, 12, 25, 10, 0)
    start(store, ref, "closure", served, "inspector", served + 20 * H)
    assert due(store, case_id, "closure_hearing") == london(2027, 12, 28, 0, 0)


def test_the_hearing_deadline_across_the_spring_clock_change_is_exact_to_the_minute(
    store, ref, case_id
):
    served = london(2027, 3, 26, 14, 10)  # GMT; clocks go forward on Sunday 28/03/2027
    start(store, ref, "closure", served, "inspector", served + 24 * H)
    hearing = due(store, case_id, "closure_hearing")
    assert hearing == datetime(2027, 3, 28, 14, 10, tzinfo=UTC)
    local = to_london(hearing)
    assert (local.day, local.hour, local.minute) == (28, 15, 10)


def test_the_hearing_deadline_across_the_autumn_clock_change_is_exact_to_the_minute(
    store, ref, case_id
):
    served = london(2027, 10, 29, 14, 10)  # BST; clocks go back on Sunday 31/10/2027
    start(store, ref, "closure", served, "inspector", served + 24 * H)
    hearing = due(store, case_id, "closure_hearing")
    assert hearing == datetime(2027, 10, 31, 13, 10, tzinfo=UTC)
    local = to_london(hearing)
    assert (local.day, local.hour, local.minute) == (31, 13, 10)


# ================================================================ closure orders (s80-82)

ORDER_DAY = london(2027, 7, 1, 10, 0)


@pytest.fixture
def served(store, ref) -> str:
    """A closure notice served the day before the hearing of 01/07/2027 10:00."""
    return start(store, ref, "closure", ORDER_DAY - 20 * H, "inspector", ORDER_DAY + 4 * H)


def test_the_court_may_close_premises_for_up_to_three_months(store, case_id, served):
    record(store, served, "order_granted", ORDER_DAY, "court", london(2027, 10, 1, 10, 0))
    assert due(store, case_id, "closure_order_expiry") == london(2027, 10, 1, 10, 0)


def test_a_closure_order_longer_than_three_months_is_refused(store, served):
    refused(
        store,
        lambda: record(
            store, served, "order_granted", ORDER_DAY, "court", london(2027, 10, 1, 10, 1)
        ),
        "ends_at",
        "3 months",
    )


def test_only_a_court_can_make_a_closure_order(store, served):
    refused(
        store,
        lambda: record(
            store, served, "order_granted", ORDER_DAY, "superintendent", london(2027, 8, 1, 10, 0)
        ),
        "authority",
        "court",
    )


def test_a_court_step_dated_before_the_notice_is_refused(store, served):
    message = refused(
        store,
        lambda: record(
            store, served, "order_granted", ORDER_DAY - 21 * H, "court", london(2027, 8, 1, 10, 0)
        ),
        "occurred_at",
        "court",
        "before",
    )
    assert "closure notice served" in message


def test_granting_the_order_meets_the_hearing_deadline_and_replaces_the_notice_expiry(
    store, case_id, served
):
    record(store, served, "order_granted", ORDER_DAY, "court", london(2027, 9, 1, 10, 0))
    (hearing,) = deadlines(store, case_id, "closure_hearing", None)
    assert hearing.status is DeadlineStatus.COMPLETED
    (expiry,) = deadlines(store, case_id, "closure_notice_expiry", None)
    assert expiry.status is DeadlineStatus.SUPERSEDED
    assert [d.kind for d in deadlines(store, case_id)] == ["closure_order_expiry"]


@pytest.fixture
def order(store, served) -> str:
    """A two-month closure order made 01/07/2027 10:00, ending 01/09/2027 10:00."""
    record(store, served, "order_granted", ORDER_DAY, "court", london(2027, 9, 1, 10, 0))
    return served


def test_an_order_may_be_extended_to_six_months_in_all(store, case_id, order):
    record(
        store,
        order,
        "order_extended",
        london(2027, 8, 20, 10, 0),
        "court",
        london(2027, 11, 1, 10, 0),
    )
    record(
        store,
        order,
        "order_extended",
        london(2027, 10, 20, 10, 0),
        "court",
        london(2028, 1, 1, 10, 0),
    )
    assert due(store, case_id, "closure_order_expiry") == london(2028, 1, 1, 10, 0)
    assert len(deadlines(store, case_id, "closure_order_expiry", DeadlineStatus.SUPERSEDED)) == 2


def test_an_order_cannot_be_extended_past_six_months_in_all(store, order):
    record(
        store,
        order,
        "order_extended",
        london(2027, 8, 20, 10, 0),
        "court",
        london(2027, 11, 1, 10, 0),
    )
    refused(
        store,
        lambda: record(
            store,
            order,
            "order_extended",
            london(2027, 10, 20, 10, 0),
            "court",
            london(2028, 1, 1, 10, 1),
        ),
        "ends_at",
        "6 months",
    )


def test_a_single_extension_of_more_than_three_months_is_refused(store, order):
    refused(
        store,
        lambda: record(
            store,
            order,
            "order_extended",
            london(2027, 8, 20, 10, 0),
            "court",
            london(2027, 12, 1, 10, 1),
        ),
        "ends_at",
        "3 months",
    )


def test_an_order_cannot_be_extended_after_it_has_expired(store, order):
    refused(
        store,
        lambda: record(
            store,
            order,
            "order_extended",
            london(2027, 9, 2, 10, 0),
            "court",
            london(2027, 11, 1, 10, 0),
        ),
        "occurred_at",
        "ended",
    )


def test_an_expired_order_closes_the_action_and_its_deadlines(store, ref, case_id, order):
    record(store, order, "order_expired", london(2027, 9, 1, 10, 0))
    detail = action(store, case_id, order)
    assert detail.closed and detail.stage == "order_expired"
    assert detail.next_stages == []
    assert deadlines(store, case_id) == []
    assert all(
        d.status is DeadlineStatus.COMPLETED
        for d in deadlines(store, case_id, "closure_order_expiry", None)
    )
    assert cases.case_detail(store, ref).next_deadline_at is None
    refused(
        store,
        lambda: record(
            store,
            order,
            "order_extended",
            london(2027, 9, 1, 11, 0),
            "court",
            london(2027, 10, 1, 10, 0),
        ),
        "stage",
        "ended",
    )


def test_a_step_out_of_order_is_refused(store, served):
    refused(
        store,
        lambda: record(
            store, served, "order_extended", ORDER_DAY, "court", london(2027, 9, 1, 10, 0)
        ),
        "stage",
        "next step",
    )


# --- adjournment and continuation by the court (s81)


def test_the_court_may_adjourn_the_hearing_for_up_to_14_days(store, case_id, served):
    record(store, served, "hearing_adjourned", ORDER_DAY, "court", ORDER_DAY + 14 * 24 * H)
    assert due(store, case_id, "closure_adjourned_hearing") == ORDER_DAY + 14 * 24 * H
    # The notice stays in force until the adjourned hearing (s81(4)).
    assert due(store, case_id, "closure_notice_expiry") == ORDER_DAY + 14 * 24 * H
    (hearing,) = deadlines(store, case_id, "closure_hearing", None)
    assert hearing.status is DeadlineStatus.COMPLETED


def test_an_adjournment_longer_than_14_days_is_refused(store, served):
    refused(
        store,
        lambda: record(
            store, served, "hearing_adjourned", ORDER_DAY, "court", ORDER_DAY + 14 * 24 * H + M
        ),
        "ends_at",
        "14 days",
        "s81(3)",
    )


def test_a_14_day_adjournment_across_the_clock_change_does_not_depend_on_the_time_zone(store, ref):
    hearing = london(2027, 10, 20, 10, 0)  # BST; adjourned to 10:00 GMT on 03/11/2027
    first = start(store, ref, "closure", hearing - 20 * H, "inspector", hearing + 4 * H)
    record(store, first, "hearing_adjourned", hearing, "court", london(2027, 11, 3, 10, 0))
    second = start(store, ref, "closure", hearing - 20 * H, "inspector", hearing + 4 * H)
    record(
        store,
        second,
        "hearing_adjourned",
        hearing.astimezone(UTC),
        "court",
        london(2027, 11, 3, 10, 0),
    )


def test_the_court_may_continue_the_notice_for_up_to_48_hours(store, case_id, served):
    record(store, served, "notice_continued", ORDER_DAY, "court", ORDER_DAY + 48 * H)
    assert due(store, case_id, "closure_notice_expiry") == ORDER_DAY + 48 * H


def test_a_continuation_longer_than_48_hours_is_refused(store, served):
    refused(
        store,
        lambda: record(
            store, served, "notice_continued", ORDER_DAY, "court", ORDER_DAY + 48 * H + M
        ),
        "ends_at",
        "48 hours",
        "s81(2)",
    )


# ================================================================ steps in the future


def test_a_step_already_done_cannot_be_dated_in_the_future(store, ref):
    refused(
        store,
        lambda: start(
            store, ref, "closure", FRIDAY + 6 * M, "inspector", FRIDAY + 20 * H, now=FRIDAY
        ),
        "occurred_at",
        "future",
    )


def test_a_later_step_dated_in_the_future_is_refused(store, notice):
    refused(
        store,
        lambda: record(
            store,
            notice,
            "notice_extended",
            FRIDAY + 20 * H,
            "superintendent",
            FRIDAY + 40 * H,
            now=FRIDAY + 19 * H,
        ),
        "occurred_at",
        "future",
    )


def test_a_step_time_without_a_time_zone_is_refused(store, ref):
    refused(
        store,
        lambda: start(
            store,
            ref,
            "closure",
            datetime(2027, 6, 4, 14, 10),
            "inspector",
            FRIDAY + 20 * H,
            now=FRIDAY,
        ),
        "occurred_at",
    )


def test_a_few_minutes_of_clock_difference_are_allowed(store, ref):
    start(store, ref, "closure", FRIDAY + 4 * M, "inspector", FRIDAY + 20 * H, now=FRIDAY)


# ================================================================ CPW and CPN (s43-46)

CPW_DAY = london(2027, 2, 1, 10, 0)
COMPLY_BY = london(2027, 2, 15, 10, 0)
CPN_DAY = london(2027, 3, 1, 10, 0)
CONDUCT = "Loud music at night"


def warn(store, ref, party, at=CPW_DAY, comply_by=COMPLY_BY, conduct=CONDUCT) -> str:
    return start(
        store, ref, "cpw", at, "constable", comply_by, subject_party_id=party, conduct=conduct
    )


def notify(store, ref, party, at=CPN_DAY, conduct=CONDUCT) -> str:
    return start(store, ref, "cpn", at, "constable", subject_party_id=party, conduct=conduct)


def test_a_cpn_without_an_earlier_warning_is_refused(store, ref, person):
    party = person(date(1990, 1, 1))
    refused(store, lambda: notify(store, ref, party), "power", "CPW", "s43(5)")


def test_a_cpn_before_the_time_to_comply_with_the_warning_has_run_out_is_refused(
    store, ref, person
):
    party = person(date(1990, 1, 1))
    warn(store, ref, party, comply_by=CPN_DAY + H)
    refused(store, lambda: notify(store, ref, party), "power", "written warning")


def test_a_cpn_after_the_warning_was_not_complied_with_is_issued(store, ref, case_id, person):
    party = person(date(1990, 1, 1))
    cpw = warn(store, ref, party)
    record(store, cpw, "not_complied", COMPLY_BY + 24 * H, "constable")
    cpn = notify(store, ref, party)
    assert action(store, case_id, cpn).stage == "issued"


def test_a_cpn_once_the_time_to_comply_has_run_out_is_issued(store, ref, case_id, person):
    party = person(date(1990, 1, 1))
    warn(store, ref, party)
    notify(store, ref, party)
    assert due(store, case_id, "cpn_appeal")


def test_a_warning_that_was_complied_with_does_not_support_a_cpn(store, ref, person):
    party = person(date(1990, 1, 1))
    cpw = warn(store, ref, party)
    record(store, cpw, "complied", COMPLY_BY - H)
    refused(store, lambda: notify(store, ref, party), "power")


def test_a_warning_to_someone_else_does_not_support_a_cpn(store, ref, person):
    warned = person(date(1990, 1, 1), name="Sam Other")
    party = person(date(1990, 1, 1))
    warn(store, ref, warned)
    refused(store, lambda: notify(store, ref, party), "power", "same person")


def test_a_warning_about_other_conduct_does_not_support_a_cpn(store, ref, person):
    party = person(date(1990, 1, 1))
    warn(store, ref, party, conduct="Dog fouling")
    refused(store, lambda: notify(store, ref, party), "power", "same conduct")


def test_the_same_conduct_matches_whatever_the_spacing_and_case(store, ref, person):
    party = person(date(1990, 1, 1))
    warn(store, ref, party, conduct="  loud  MUSIC at night ")
    notify(store, ref, party)


def test_a_cpn_cannot_be_issued_to_a_15_year_old(store, ref, person):
    party = person(date(2011, 3, 2))  # 16 on 02/03/2027, the day after the CPN
    warn(store, ref, party)
    refused(store, lambda: notify(store, ref, party), "power", "16", "they are 15")


def test_a_cpn_may_be_issued_on_the_16th_birthday(store, ref, case_id, person):
    party = person(date(2011, 3, 1))
    warn(store, ref, party)
    notify(store, ref, party)
    assert due(store, case_id, "cpn_appeal")


def test_the_cpn_appeal_window_is_21_days_beginning_with_the_day_of_issue(
    store, ref, case_id, person
):
    party = person(date(1990, 1, 1))
    warn(store, ref, party)
    notify(store, ref, party)
    appeal_by = due(store, case_id, "cpn_appeal")
    assert appeal_by == london(2027, 3, 21, 23, 59)
    assert "s46(2)" in deadlines(store, case_id, "cpn_appeal")[0].source


@pytest.fixture
def cpn(store, ref, person) -> str:
    party = person(date(1990, 1, 1))
    warn(store, ref, party)
    return notify(store, ref, party)


def test_an_appeal_on_the_last_day_is_recorded_and_meets_the_window(store, case_id, cpn):
    record(store, cpn, "appealed", london(2027, 3, 21, 23, 59))
    assert deadlines(store, case_id, "cpn_appeal") == []
    (met,) = deadlines(store, case_id, "cpn_appeal", DeadlineStatus.COMPLETED)
    assert met.resolution == "Appeal lodged"


def test_an_appeal_after_the_window_is_refused(store, cpn):
    refused(
        store,
        lambda: record(store, cpn, "appealed", london(2027, 3, 22, 0, 0)),
        "occurred_at",
        "s46(2)",
        "21/03/2027 23:59",
    )


def test_an_appeal_in_the_last_minute_of_the_21st_day_is_in_time(store, cpn):
    record(store, cpn, "appealed", london(2027, 3, 21, 23, 59, 30))


def test_a_warning_cannot_be_found_ignored_before_the_time_to_comply_runs_out(store, ref, person):
    party = person(date(1990, 1, 1))
    cpw = warn(store, ref, party)
    refused(
        store,
        lambda: record(store, cpw, "not_complied", COMPLY_BY - M, "constable"),
        "occurred_at",
        "s43(5)",
    )


def test_a_warning_needs_a_time_to_comply(store, ref, person):
    party = person(date(1990, 1, 1))
    refused(store, lambda: warn(store, ref, party, comply_by=None), "ends_at")


def test_a_warning_needs_the_conduct_described(store, ref, person):
    party = person(date(1990, 1, 1))
    refused(store, lambda: warn(store, ref, party, conduct="  "), "conduct")


# ================================================================ fixed penalties (s52)

BREACH_DAY = london(2027, 3, 25, 21, 0)
FPN_DAY = london(2027, 4, 1, 10, 0)


def fpn(store, ref, parent, at=FPN_DAY) -> str:
    return start(
        store, ref, "fpn", at, "constable", concerns="Jordan Price", parent_action_id=parent
    )


def test_a_fixed_penalty_without_a_breach_is_refused(store, ref):
    refused(store, lambda: fpn(store, ref, None), "parent_action_id", "breach")


def test_a_fixed_penalty_for_a_cpn_that_was_not_breached_is_refused(store, ref, cpn):
    refused(store, lambda: fpn(store, ref, cpn), "parent_action_id", "s52")


@pytest.fixture
def breached(store, cpn) -> str:
    record(store, cpn, "breached", BREACH_DAY)
    return cpn


def test_a_fixed_penalty_for_a_breached_cpn_is_to_be_paid_within_14_days_following(
    store, ref, case_id, breached
):
    fpn(store, ref, breached)
    assert due(store, case_id, "fpn_payment") == london(2027, 4, 15, 23, 59)


def test_no_prosecution_before_the_end_of_the_14_days_following(store, ref, breached):
    fine = fpn(store, ref, breached)
    refused(
        store,
        lambda: record(store, fine, "prosecution", london(2027, 4, 15, 23, 59)),
        "occurred_at",
        "14 days",
        "s52(5)",
    )


def test_a_prosecution_after_the_14_days_following_is_recorded(store, ref, case_id, breached):
    fine = fpn(store, ref, breached)
    record(store, fine, "prosecution", london(2027, 4, 16, 0, 0))
    assert action(store, case_id, fine).closed
    (paid_by,) = deadlines(store, case_id, "fpn_payment", DeadlineStatus.COMPLETED)
    assert paid_by.resolution == "Unpaid: prosecution"


def test_no_prosecution_in_the_last_minute_of_the_14th_day_following(store, ref, breached):
    fine = fpn(store, ref, breached)
    refused(
        store,
        lambda: record(store, fine, "prosecution", london(2027, 4, 15, 23, 59, 30)),
        "occurred_at",
    )


def test_a_fixed_penalty_cannot_be_dated_before_the_breach(store, ref, breached):
    refused(store, lambda: fpn(store, ref, breached, at=BREACH_DAY - 24 * H), "occurred_at")


# ================================================================ dispersal (s34-36)

AUTH = london(2027, 7, 9, 18, 0)


def authorise(store, ref, hours=48.0, rank="inspector", at=AUTH) -> str:
    return start(store, ref, "dispersal", at, rank, at + timedelta(hours=hours))


def test_an_inspector_may_authorise_dispersal_for_48_hours(store, ref, case_id):
    authorise(store, ref, 48)
    assert due(store, case_id, "dispersal_authorisation") == AUTH + 48 * H


def test_a_dispersal_authorisation_longer_than_48_hours_is_refused(store, ref):
    refused(store, lambda: authorise(store, ref, 48 + 1 / 60), "ends_at", "48 hours", "s34")


def test_a_sergeant_cannot_authorise_dispersal(store, ref):
    refused(store, lambda: authorise(store, ref, 24, rank="sergeant"), "authority", "inspector")


@pytest.fixture
def authorised(store, ref) -> str:
    return authorise(store, ref, 48)


def test_a_direction_after_the_authorisation_has_ended_is_refused(store, authorised):
    at = AUTH + 48 * H + M
    refused(
        store,
        lambda: record(store, authorised, "direction_given", at, "constable", at + 12 * H),
        "occurred_at",
        "authorisation",
    )


def test_a_direction_before_the_authorisation_is_refused(store, authorised):
    at = AUTH - H
    refused(
        store,
        lambda: record(
            store, authorised, "direction_given", at, "constable", at + 12 * H, now=AUTH + H
        ),
        "occurred_at",
    )


def test_an_exclusion_of_48_hours_is_allowed(store, case_id, authorised):
    at = AUTH + 2 * H
    record(store, authorised, "direction_given", at, "constable", at + 48 * H)
    assert due(store, case_id, "dispersal_exclusion") == at + 48 * H


def test_an_exclusion_of_48_hours_and_a_minute_is_refused(store, authorised):
    at = AUTH + 2 * H
    refused(
        store,
        lambda: record(store, authorised, "direction_given", at, "constable", at + 48 * H + M),
        "ends_at",
        "48 hours",
        "s35(4)",
    )


def test_a_direction_may_run_on_after_the_authorisation_ends(store, case_id, authorised):
    # s35(4): the exclusion may expire after the authorisation, as long as it begins in it.
    at = AUTH + 47 * H
    record(store, authorised, "direction_given", at, "pcso", at + 24 * H)
    assert due(store, case_id, "dispersal_exclusion") == AUTH + 71 * H


def test_no_direction_may_be_given_to_a_child_under_10(store, ref, person):
    child = person(date(2018, 1, 1))  # 9 on 09/07/2027
    aid = start(store, ref, "dispersal", AUTH, "inspector", AUTH + 24 * H, subject_party_id=child)
    refused(
        store,
        lambda: record(store, aid, "direction_given", AUTH + H, "constable", AUTH + 5 * H),
        "occurred_at",
        "under 10",
        "s36(1)",
    )


# ================================================================ civil injunctions (s1)

GRANT_DAY = london(2027, 5, 10, 11, 0)


def apply_for_injunction(store, ref, party) -> str:
    return start(store, ref, "civil_injunction", GRANT_DAY - 30 * 24 * H, subject_party_id=party)


@pytest.fixture
def youth_injunction(store, ref, person) -> str:
    return apply_for_injunction(store, ref, person(date(2011, 1, 1)))  # 16 at the grant


@pytest.fixture
def adult_injunction(store, ref, person) -> str:
    return apply_for_injunction(store, ref, person(date(1990, 1, 1)))


def test_an_injunction_on_someone_under_18_must_say_when_it_ends(store, youth_injunction):
    refused(
        store,
        lambda: record(store, youth_injunction, "granted", GRANT_DAY, "court"),
        "ends_at",
        "under 18",
        "s1(6)",
    )


def test_an_injunction_on_someone_under_18_lasts_at_most_12_months(store, youth_injunction):
    refused(
        store,
        lambda: record(
            store, youth_injunction, "granted", GRANT_DAY, "court", london(2028, 5, 10, 11, 1)
        ),
        "ends_at",
        "12 months",
    )


def test_an_injunction_on_someone_under_18_may_last_12_months(store, case_id, youth_injunction):
    record(store, youth_injunction, "granted", GRANT_DAY, "court", london(2028, 5, 10, 11, 0))
    assert due(store, case_id, "injunction_expiry") == london(2028, 5, 10, 11, 0)


def test_an_injunction_on_an_adult_may_run_until_further_order(store, case_id, adult_injunction):
    record(store, adult_injunction, "granted", GRANT_DAY, "court")
    detail = action(store, case_id, adult_injunction)
    assert detail.stage == "granted" and detail.ends_at is None
    assert deadlines(store, case_id, "injunction_expiry") == []


def test_an_injunction_on_an_adult_may_last_longer_than_12_months(store, case_id, adult_injunction):
    record(store, adult_injunction, "granted", GRANT_DAY, "court", london(2029, 5, 10, 11, 0))
    assert due(store, case_id, "injunction_expiry") == london(2029, 5, 10, 11, 0)


def test_no_injunction_against_a_child_under_10(store, ref, person):
    aid = apply_for_injunction(store, ref, person(date(2018, 1, 1)))  # 9 at the grant
    refused(
        store,
        lambda: record(store, aid, "granted", GRANT_DAY, "court", london(2027, 11, 10, 11, 0)),
        "occurred_at",
        "10",
        "s1(1)",
    )


# ================================================================ criminal behaviour orders

MADE = london(2027, 6, 10, 10, 0)


def apply_for_cbo(store, ref, party) -> str:
    return start(store, ref, "cbo", MADE - 7 * 24 * H, "prosecutor", subject_party_id=party)


def make_cbo(store, cbo, ends) -> str:
    return record(store, cbo, "made", MADE, "court", ends)


@pytest.fixture
def youth_cbo(store, ref, person) -> str:
    return apply_for_cbo(store, ref, person(date(2012, 1, 1)))  # 15 when made


@pytest.fixture
def adult_cbo(store, ref, person) -> str:
    return apply_for_cbo(store, ref, person(date(1990, 1, 1)))


@pytest.mark.parametrize("years", [1, 2, 3])
def test_a_cbo_on_someone_under_18_may_last_one_to_three_years(store, case_id, youth_cbo, years):
    ends = periods.add_years(MADE, years)
    make_cbo(store, youth_cbo, ends)
    assert due(store, case_id, "cbo_expiry") == ends


@pytest.mark.parametrize(
    "ends",
    [
        periods.add_years(MADE, 4),
        periods.add_years(MADE, 3) + M,
        periods.add_years(MADE, 1) - M,
        None,
    ],
)
def test_a_cbo_on_someone_under_18_outside_one_to_three_years_is_refused(store, youth_cbo, ends):
    refused(store, lambda: make_cbo(store, youth_cbo, ends), "ends_at", "1 to 3 years")


def test_a_cbo_on_an_adult_may_last_two_years(store, case_id, adult_cbo):
    make_cbo(store, adult_cbo, periods.add_years(MADE, 2))
    assert due(store, case_id, "cbo_expiry") == periods.add_years(MADE, 2)


def test_a_cbo_on_an_adult_for_one_year_is_refused(store, adult_cbo):
    refused(
        store,
        lambda: make_cbo(store, adult_cbo, periods.add_years(MADE, 1)),
        "ends_at",
        "at least 2 years",
    )


def test_a_cbo_on_an_adult_may_be_indefinite(store, case_id, adult_cbo):
    make_cbo(store, adult_cbo, None)
    assert action(store, case_id, adult_cbo).stage == "made"
    assert deadlines(store, case_id, "cbo_expiry") == []
    assert deadlines(store, case_id, "cbo_review") == []  # adults get no statutory review


def test_a_cbo_on_someone_under_18_is_reviewed_within_12_months_beginning_with_the_day_made(
    store, case_id, youth_cbo
):
    make_cbo(store, youth_cbo, periods.add_years(MADE, 2))
    (review,) = deadlines(store, case_id, "cbo_review")
    assert review.due_at == london(2028, 6, 9, 23, 59)


def test_no_review_is_set_for_a_youth_who_will_be_18_by_the_end_of_the_review_period(
    store, ref, case_id, person
):
    cbo = apply_for_cbo(store, ref, person(date(2010, 1, 1)))  # 17 when made, 18 by 09/06/2028
    make_cbo(store, cbo, periods.add_years(MADE, 2))
    assert deadlines(store, case_id, "cbo_review") == []


def test_a_cbo_cannot_be_made_without_the_date_of_birth(store, ref, person):
    cbo = apply_for_cbo(store, ref, person(None))
    refused(
        store, lambda: make_cbo(store, cbo, periods.add_years(MADE, 2)), "power", "date of birth"
    )


def test_only_a_prosecutor_applies_for_a_cbo(store, ref, person):
    party = person(date(1990, 1, 1))
    refused(
        store,
        lambda: start(store, ref, "cbo", MADE, "constable", subject_party_id=party),
        "authority",
        "prosecutor",
    )


def test_after_a_review_the_next_is_due_by_the_end_of_the_following_12_months(
    store, case_id, youth_cbo
):
    make_cbo(store, youth_cbo, periods.add_years(MADE, 3))
    record(store, youth_cbo, "reviewed", london(2028, 6, 1, 10, 0))
    (review,) = deadlines(store, case_id, "cbo_review")
    assert review.due_at == london(2029, 6, 9, 23, 59)
    (done,) = deadlines(store, case_id, "cbo_review", DeadlineStatus.COMPLETED)
    assert done.due_at == london(2028, 6, 9, 23, 59)


def test_varying_a_youth_cbo_restarts_the_review_period_from_the_variation(
    store, case_id, youth_cbo
):
    make_cbo(store, youth_cbo, periods.add_years(MADE, 2))
    record(
        store, youth_cbo, "varied", london(2027, 12, 1, 10, 0), "court", periods.add_years(MADE, 2)
    )
    (review,) = deadlines(store, case_id, "cbo_review")
    assert review.due_at == london(2028, 11, 30, 23, 59)
    (old,) = deadlines(store, case_id, "cbo_review", DeadlineStatus.SUPERSEDED)
    assert old.due_at == london(2028, 6, 9, 23, 59)


# ================================================================ PSPOs (s59-68)

PSPO_MADE = date(2027, 3, 1)


def add_pspo(store, made=PSPO_MADE, expires=date(2030, 2, 28)) -> str:
    return enforcement.add_pspo(
        store,
        "THA",
        "Thanet District Council",
        "Margate town centre alcohol",
        "Margate town centre",
        "No drinking alcohol when asked to stop",
        made,
        expires,
    )


def pspo_deadlines(store, kind: str) -> list:
    return [
        d
        for d in enforcement.upcoming_deadlines(store, days=20000, now=london(2027, 1, 1))
        if d.kind == kind
    ]


def test_a_pspo_of_three_years_is_registered_with_a_renewal_prompt_three_months_before(store):
    add_pspo(store)
    (prompt,) = pspo_deadlines(store, "pspo_renewal")
    assert prompt.due_at == london(2029, 11, 28, 23, 59)
    (expiry,) = pspo_deadlines(store, "pspo_expiry")
    assert expiry.due_at == london(2030, 2, 28, 23, 59)
    assert prompt.pspo_title == "Margate town centre alcohol"


def test_a_pspo_longer_than_three_years_is_refused(store):
    refused(
        store, lambda: add_pspo(store, expires=date(2030, 3, 2)), "expires_on", "3 years", "s60"
    )


def test_a_pspo_in_force_for_three_years_and_a_day_is_refused(store):
    refused(store, lambda: add_pspo(store, expires=date(2030, 3, 1)), "expires_on")


def test_a_pspo_must_expire_after_it_is_made(store):
    refused(store, lambda: add_pspo(store, expires=PSPO_MADE), "expires_on")


@pytest.fixture
def pspo(store) -> str:
    return add_pspo(store)


def test_a_pspo_extended_before_it_expires_gets_new_deadlines(store, pspo):
    assert enforcement.extend_pspo(store, pspo, date(2030, 1, 15), date(2033, 2, 28)) == date(
        2033, 2, 28
    )
    (prompt,) = pspo_deadlines(store, "pspo_renewal")
    assert prompt.due_at == london(2032, 11, 28, 23, 59)
    (expiry,) = pspo_deadlines(store, "pspo_expiry")
    assert expiry.due_at == london(2033, 2, 28, 23, 59)
    (view,) = enforcement.pspo_register(store)
    assert view.expires_on == date(2033, 2, 28)


def test_a_pspo_can_be_extended_more_than_once(store, pspo):
    enforcement.extend_pspo(store, pspo, date(2030, 1, 15), date(2033, 2, 28))
    enforcement.extend_pspo(store, pspo, date(2033, 1, 15), date(2036, 2, 28))
    (view,) = enforcement.pspo_register(store)
    assert view.expires_on == date(2036, 2, 28)


def test_a_pspo_cannot_be_extended_after_it_has_expired(store, pspo):
    refused(
        store,
        lambda: enforcement.extend_pspo(store, pspo, date(2030, 3, 1), date(2032, 2, 28)),
        "decided_on",
        "expired",
        "s60(2)",
    )


def test_a_pspo_extension_longer_than_three_years_is_refused(store, pspo):
    refused(
        store,
        lambda: enforcement.extend_pspo(store, pspo, date(2030, 1, 15), date(2033, 3, 1)),
        "new_expiry",
        "3 years",
    )


def breach(store, ref, pspo_id, at) -> str:
    return start(store, ref, "pspo_breach", at, "pcso", pspo_id=pspo_id)


def test_a_breach_outside_the_orders_dates_is_refused(store, ref, pspo):
    refused(
        store,
        lambda: breach(store, ref, pspo, london(2027, 2, 28, 22, 0)),
        "pspo_id",
        "not in force",
    )
    refused(
        store,
        lambda: breach(store, ref, pspo, london(2030, 3, 1, 0, 30)),
        "pspo_id",
        "not in force",
    )


def test_a_breach_needs_a_pspo(store, ref):
    refused(store, lambda: breach(store, ref, None, london(2027, 6, 1, 22, 0)), "pspo_id")


def test_breaches_within_the_orders_dates_count_in_the_register(store, ref, pspo):
    assert enforcement.pspo_register(store)[0].breaches == 0
    breach(store, ref, pspo, london(2027, 3, 1, 0, 5))  # its first day
    breach(store, ref, pspo, london(2030, 2, 28, 23, 0))  # its last day
    (view,) = enforcement.pspo_register(store)
    assert view.breaches == 2
    assert view.in_force(date(2030, 2, 28)) and not view.in_force(date(2030, 3, 1))


def test_a_fixed_penalty_may_follow_a_pspo_breach(store, ref, case_id, pspo):
    seen = breach(store, ref, pspo, london(2027, 6, 1, 22, 0))
    fpn(store, ref, seen, at=london(2027, 6, 1, 22, 30))
    assert due(store, case_id, "fpn_payment") == london(2027, 6, 15, 23, 59)


# ================================================================ rules in force on the day


def test_an_action_keeps_the_rules_in_force_on_the_day_it_started(store, ref, monkeypatch):
    monkeypatch.setattr(
        rules,
        "RULES",
        rules.RULES
        + (rules.Rule("closure_order_max_months", 6, "months", "a future Act", date(2030, 1, 1)),),
    )
    before = start(
        store, ref, "closure", london(2029, 12, 31, 12, 0), "inspector", london(2030, 1, 1, 10, 0)
    )
    after = start(
        store, ref, "closure", london(2030, 1, 2, 12, 0), "inspector", london(2030, 1, 3, 10, 0)
    )
    hearing = london(2030, 1, 3, 10, 0)
    # Heard within 48 hours of service (s80(3)), on New Year's Day.
    heard_before = london(2030, 1, 1, 10, 0)
    # The action started in 2029 keeps the 3-month limit even for an order made in 2030.
    refused(
        store,
        lambda: record(
            store, before, "order_granted", heard_before, "court",
            periods.add_months(heard_before, 4)
        ),
        "ends_at",
        "3 months",
    )
    record(store, before, "order_granted", heard_before, "court",
           periods.add_months(heard_before, 3))
    # The action started in 2030 gets the new 6-month limit.
    record(store, after, "order_granted", hearing, "court", periods.add_months(hearing, 6))
    refused(
        store,
        lambda: record(
            store, after, "order_extended", hearing + H, "court", periods.add_months(hearing, 7)
        ),
        "ends_at",
        "6 months",
    )


def test_without_the_new_row_the_3_month_limit_applies_in_2030(store, ref):
    aid = start(
        store, ref, "closure", london(2030, 1, 2, 12, 0), "inspector", london(2030, 1, 3, 10, 0)
    )
    refused(
        store,
        lambda: record(
            store,
            aid,
            "order_granted",
            london(2030, 1, 3, 10, 0),
            "court",
            london(2030, 5, 3, 10, 0),
        ),
        "ends_at",
        "3 months",
    )


# ================================================================ resolving deadlines


def test_marking_a_deadline_missed_needs_a_reason(store, case_id, notice):
    (hearing,) = deadlines(store, case_id, "closure_hearing")
    refused(
        store,
        lambda: enforcement.resolve_deadline(store, hearing.id, missed=True, note="  "),
        "note",
        "missed",
    )


def test_an_overdue_deadline_stays_listed_until_it_is_completed(store, case_id, notice):
    later = FRIDAY + 10 * 24 * H
    kinds = [d.kind for d in enforcement.upcoming_deadlines(store, days=0, now=later)]
    assert kinds == ["closure_notice_expiry", "closure_hearing"]
    overdue = enforcement.upcoming_deadlines(store, days=0, now=later)
    assert all(d.overdue(later) for d in overdue)
    (hearing,) = deadlines(store, case_id, "closure_hearing")
    # Met ten days after its 48 hours (s80(3)): recorded missed, met late, with the reason.
    assert (
        enforcement.resolve_deadline(store, hearing.id, missed=False, note="Heard late",
                                     now=later)
        is DeadlineStatus.MISSED
    )
    kinds = [d.kind for d in enforcement.upcoming_deadlines(store, days=0, now=later)]
    assert kinds == ["closure_notice_expiry"]


def test_a_missed_deadline_leaves_the_list_with_its_reason(store, case_id, notice):
    later = FRIDAY + 10 * 24 * H
    (expiry,) = deadlines(store, case_id, "closure_notice_expiry")
    assert enforcement.resolve_deadline(
        store, expiry.id, missed=True, note="Court list full", now=later
    ) is (DeadlineStatus.MISSED)
    assert [d.kind for d in enforcement.upcoming_deadlines(store, days=0, now=later)] == [
        "closure_hearing"
    ]
    (missed,) = deadlines(store, case_id, "closure_notice_expiry", DeadlineStatus.MISSED)
    assert missed.resolution == "Court list full"


def test_a_resolved_deadline_cannot_be_resolved_again(store, case_id, notice):
    (expiry,) = deadlines(store, case_id, "closure_notice_expiry")
    enforcement.resolve_deadline(store, expiry.id, missed=False, note="Done")
    refused(
        store,
        lambda: enforcement.resolve_deadline(store, expiry.id, missed=True, note="oops"),
        "note",
        "already",
    )


def test_upcoming_deadlines_only_reach_as_far_as_asked(store, notice):
    assert enforcement.upcoming_deadlines(store, days=0, now=FRIDAY) == []
    soon = enforcement.upcoming_deadlines(store, days=1, now=FRIDAY)
    assert [d.kind for d in soon] == ["closure_notice_expiry"]
    refused(store, lambda: enforcement.upcoming_deadlines(store, days=-1), "days")


def test_the_case_shows_its_nearest_open_deadline(store, ref, case_id, notice):
    assert cases.case_detail(store, ref).next_deadline_at == FRIDAY + 24 * H
    (expiry,) = deadlines(store, case_id, "closure_notice_expiry")
    enforcement.resolve_deadline(store, expiry.id, missed=False, note="")
    assert cases.case_detail(store, ref).next_deadline_at == FRIDAY + 48 * H
    # A second action with a sooner deadline becomes the nearest.
    other = start(store, ref, "dispersal", FRIDAY + H, "inspector", FRIDAY + 5 * H)
    assert cases.case_detail(store, ref).next_deadline_at == FRIDAY + 5 * H
    record(store, other, "ended", FRIDAY + 2 * H)
    assert cases.case_detail(store, ref).next_deadline_at == FRIDAY + 48 * H


def test_a_case_with_no_open_deadline_has_none(store, ref, case_id, notice):
    record(store, notice, "notice_cancelled", FRIDAY + H, "inspector")
    assert cases.case_detail(store, ref).next_deadline_at is None
    assert deadlines(store, case_id) == []


# ================================================================ starting an action


def test_an_unknown_power_is_refused(store, ref):
    refused(store, lambda: start(store, ref, "curfew", FRIDAY, "inspector"), "power")


def test_an_action_cannot_start_part_way_through(store, ref):
    refused(
        store,
        lambda: start(
            store, ref, "closure", FRIDAY, "inspector", FRIDAY + 20 * H, stage="order_granted"
        ),
        "stage",
        "cannot start",
    )


# ================================================================ properties

RANKS = [
    "pcso",
    "constable",
    "sergeant",
    "inspector",
    "chief_inspector",
    "superintendent",
    "chief_superintendent",
    "council_officer",
    "council_chief_executive",
    "court",
]


@settings(max_examples=40, deadline=None)
@given(
    served=st.datetimes(
        min_value=datetime(2024, 1, 1),
        max_value=datetime(2030, 12, 31),
        timezones=st.just(LONDON),
        # Times in the spring-forward gap are refused outright (tested on their own).
        allow_imaginary=False,
    ),
    minutes=st.integers(min_value=60, max_value=60 * 60),
    rank=st.sampled_from(RANKS),
)
def test_a_closure_notice_is_refused_cleanly_or_sets_no_deadline_before_itself(
    served, minutes, rank
):
    with tempfile.TemporaryDirectory() as folder:
        store = new_store(Path(folder) / "s.db")
        try:
            ref = new_case(store)
            # Elapsed time: aware London arithmetic in Python would be wall-clock time.
            ends = served.astimezone(UTC) + timedelta(minutes=minutes)
            before = snapshot(store)
            try:
                start(store, ref, "closure", served, rank, ends)
            except InvalidInput as error:
                assert error.field in ("authority", "ends_at")
                assert snapshot(store) == before
                return
            case_id = cases.case_detail(store, ref).id
            found = deadlines(store, case_id)
            assert {d.kind for d in found} == {"closure_notice_expiry", "closure_hearing"}
            assert all(d.due_at >= served for d in found)
            hours = periods.hours_between(
                served,
                ends,
                disregard_christmas=rank
                in ("superintendent", "chief_superintendent", "council_chief_executive"),
            )
            limit = (
                48
                if rank in ("superintendent", "chief_superintendent", "council_chief_executive")
                else 24
            )
            assert hours <= limit
            assert due(store, case_id, "closure_hearing") == periods.add_hours(
                served, 48, disregard_christmas=True
            )
        finally:
            store.close()


@settings(max_examples=40, deadline=None)
@given(
    served=st.datetimes(
        min_value=datetime(2024, 1, 1),
        max_value=datetime(2030, 12, 31),
        timezones=st.just(LONDON),
        # Times in the spring-forward gap are refused outright (tested on their own).
        allow_imaginary=False,
    ),
    first=st.integers(min_value=60, max_value=24 * 60),
    extension_at=st.integers(min_value=0, max_value=30 * 60),
    total=st.integers(min_value=60, max_value=60 * 60),
    rank=st.sampled_from(RANKS),
)
def test_an_extension_is_refused_cleanly_or_keeps_every_deadline_after_itself(
    served, first, extension_at, total, rank
):
    with tempfile.TemporaryDirectory() as folder:
        store = new_store(Path(folder) / "s.db")
        try:
            ref = new_case(store)
            elapsed = served.astimezone(UTC)  # add elapsed minutes, not wall-clock ones
            aid = start(
                store, ref, "closure", served, "inspector", elapsed + timedelta(minutes=first)
            )
            at = elapsed + timedelta(minutes=extension_at)
            ends = elapsed + timedelta(minutes=total)
            before = snapshot(store)
            try:
                record(store, aid, "notice_extended", at, rank, ends)
            except InvalidInput as error:
                assert error.field in ("authority", "ends_at", "occurred_at")
                assert snapshot(store) == before
                return
            assert at < elapsed + timedelta(minutes=first)
            assert periods.hours_between(served, ends, disregard_christmas=True) <= 48
            case_id = cases.case_detail(store, ref).id
            assert all(
                d.due_at >= at
                for d in deadlines(store, case_id)
                if d.kind == "closure_notice_expiry"
            )
            assert all(d.due_at >= served for d in deadlines(store, case_id, status=None))
        finally:
            store.close()
