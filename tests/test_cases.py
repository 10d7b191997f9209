"""Casework services, used the way the intake form, the case screen and the CLI use them."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from conftest import AS_OF, TODAY

from asbtui.dates import london_today, utc_now
from asbtui.errors import InvalidInput, NotFound
from asbtui.literal import plural
from asbtui.models import (
    CaseStatus,
    Category,
    Channel,
    ClosureReason,
    District,
    IncidentType,
    PartyRole,
    RiskLevel,
)
from asbtui.services import cases, queue
from asbtui.services.cases import NewCase, NewIncident, PersonInput

REF = re.compile(r"^THA-26-[0-9A-HJKMNP-TV-Z]{5}$")


def incident(occurred_at: datetime = AS_OF - timedelta(days=1), **fields: object) -> NewIncident:
    values: dict[str, object] = {
        "occurred_at": occurred_at,
        "channel": "101",
        "incident_type": "noise",
        "description": "Music audible from the street until 3am",
    }
    values.update(fields)
    return NewIncident(**values)  # type: ignore[arg-type]


def count_all(store) -> int:
    return queue.queue_count(store, queue.QueueQuery(statuses=()))


# ---------------------------------------------------------------------------- opening a case


def test_opening_a_case_returns_a_thanet_reference_and_stores_what_was_given(store, make_officer):
    officer = make_officer(store, "THA", name="Sam Carter", collar="PC 4512")
    ref = cases.create_case(
        store,
        NewCase(
            district="Thanet",
            category="Personal",
            summary="  Neighbour shouting threats  ",
            channel="online",
            location="12 Invicta Road, Margate",
            postcode="ct9 2qb",
            risk="medium",
            hate_motivated=True,
            owner_collar="pc 4512",
            people=[PersonInput("Ada Lovelace", "victim", address="12 Invicta Road")],
        ),
        now=AS_OF,
    )
    assert REF.match(ref), ref
    detail = cases.case_detail(store, ref)
    assert detail.ref == ref
    assert detail.district is District.THA
    assert detail.category is Category.PERSONAL
    assert detail.channel is Channel.ONLINE
    assert detail.risk is RiskLevel.MEDIUM
    assert detail.status is CaseStatus.OPEN
    assert detail.hate_motivated is True
    assert detail.summary == "Neighbour shouting threats"
    assert detail.postcode == "CT9 2QB"
    assert detail.opened_at == AS_OF
    assert detail.owner_collar == officer.collar == "PC 4512"
    assert detail.owner_name == "Sam Carter"
    assert [(p.role, p.name) for p in detail.parties] == [(PartyRole.VICTIM, "Ada Lovelace")]
    assert detail.closed_at is None and detail.closure_reason is None


@pytest.mark.parametrize("summary", ["", "   ", "\n\t"])
def test_opening_a_case_needs_a_summary(store, open_case, summary):
    with pytest.raises(InvalidInput) as caught:
        open_case(store, summary=summary)
    assert caught.value.field == "summary"
    assert str(caught.value) == "Summary is required."
    assert count_all(store) == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"district": "XYZ"}, "district"),
        ({"district": ""}, "district"),
        ({"category": "loud"}, "category"),
        ({"channel": "carrier pigeon"}, "channel"),
        ({"risk": "extreme"}, "risk"),
        ({"summary": "x" * (cases.SUMMARY_MAX + 1)}, "summary"),
        ({"location": "y" * 301}, "location"),
        ({"postcode": "CT9 2QB 1234"}, "postcode"),
        ({"owner_collar": "PC 0000"}, "owner"),
        ({"people": [PersonInput("   ")]}, "name"),
        ({"people": [PersonInput("Ann", role="bystander")]}, "role"),
        ({"people": [PersonInput("Ann", address="z" * 301)]}, "address"),
        (
            {"people": [PersonInput("Ann", date_of_birth=date.today() + timedelta(days=2))]},
            "date_of_birth",
        ),
    ],
)
def test_opening_a_case_with_a_bad_value_names_the_field_and_writes_nothing(
    store, open_case, fields, field
):
    with pytest.raises(InvalidInput) as caught:
        open_case(store, **fields)
    assert caught.value.field == field
    message = str(caught.value)
    assert message and "\n" not in message and "Traceback" not in message
    assert count_all(store) == 0
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM party").scalar() == 0
        assert connection.exec_driver_sql("SELECT count(*) FROM case_search").scalar() == 0


def test_unknown_district_message_lists_the_districts(store, open_case):
    with pytest.raises(InvalidInput) as caught:
        open_case(store, district="Narnia")
    assert "'Narnia' is not a district" in str(caught.value)
    assert "THA" in str(caught.value) and "MED" in str(caught.value)


def test_a_wrong_incident_type_is_named_in_plain_english(store, open_case):
    ref = open_case(store)
    with pytest.raises(InvalidInput) as caught:
        cases.add_incident(store, ref, NewIncident(
            occurred_at=datetime(2026, 11, 24, 21, 0, tzinfo=UTC), channel="101",
            incident_type="nuisance", description="Shouting"))
    assert str(caught.value).startswith("'nuisance' is not an incident type: use one of noise")


def test_a_summary_of_exactly_the_limit_is_accepted(store, open_case):
    ref = open_case(store, summary="s" * cases.SUMMARY_MAX)
    assert len(cases.case_detail(store, ref).summary) == cases.SUMMARY_MAX


@pytest.mark.parametrize("district", ["THA", "tha", "Thanet", "thanet", District.THA])
def test_a_district_can_be_given_by_code_or_name(store, open_case, district):
    ref = open_case(store, district=district)
    assert cases.case_detail(store, ref).district is District.THA


def test_references_look_like_district_year_and_five_crockford_characters(store, open_case):
    refs = [open_case(store, summary=f"Case {i}") for i in range(40)]
    assert all(REF.match(ref) for ref in refs), refs
    assert len(set(refs)) == len(refs)


def test_a_reference_takes_the_district_and_the_year_the_case_was_opened(store, open_case):
    ref = open_case(store, district="MED", now=datetime(2027, 1, 3, 9, 0, tzinfo=UTC))
    assert re.fullmatch(r"MED-27-[0-9A-HJKMNP-TV-Z]{5}", ref)


def test_a_clashing_reference_is_retried_with_a_new_one(store, open_case, monkeypatch):
    made = iter(["THA-26-AAAAA", "THA-26-AAAAA", "THA-26-BBBBB"])
    monkeypatch.setattr(cases, "make_ref", lambda district, day, rng=None: next(made))
    assert open_case(store, summary="first") == "THA-26-AAAAA"
    assert open_case(store, summary="second") == "THA-26-BBBBB"


def test_a_case_is_found_by_its_reference_however_it_is_typed(store, open_case, monkeypatch):
    monkeypatch.setattr(cases, "make_ref", lambda district, day, rng=None: "THA-26-10ABC")
    ref = open_case(store)
    assert ref == "THA-26-10ABC"
    for typed in ("THA-26-10ABC", "tha-26-10abc", " THA 26 10ABC ", "tha-26-loabc", "THA-26-IOABC"):
        assert cases.case_detail(store, typed).ref == ref


@pytest.mark.parametrize(
    ("risk", "days"),
    [(RiskLevel.HIGH, 7), (RiskLevel.MEDIUM, 14), (RiskLevel.STANDARD, 28)],
)
def test_the_first_review_is_due_by_risk(store, open_case, risk, days):
    ref = open_case(store, risk=risk)
    assert cases.case_detail(store, ref).next_review == TODAY + timedelta(days=days)


@pytest.mark.parametrize("risk", list(RiskLevel))
def test_a_vulnerable_victim_at_intake_means_review_within_seven_days(store, open_case, risk):
    ref = open_case(
        store,
        risk=risk,
        people=[
            PersonInput("Edith Marsh", "victim", vulnerable=True),
            PersonInput("Tom Reed", "perpetrator"),
        ],
    )
    assert cases.case_detail(store, ref).next_review == TODAY + timedelta(days=7)


def test_the_review_date_is_counted_from_the_london_date(store, open_case):
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST).
    ref = open_case(store, risk="high", now=datetime(2026, 6, 30, 23, 30, tzinfo=UTC))
    assert cases.case_detail(store, ref).next_review == date(2026, 7, 8)


def test_a_vulnerable_perpetrator_at_intake_does_not_shorten_the_review(store, open_case):
    ref = open_case(
        store, risk="standard", people=[PersonInput("Tom Reed", "perpetrator", vulnerable=True)]
    )
    assert cases.case_detail(store, ref).next_review == TODAY + timedelta(days=28)


def test_opening_a_case_for_an_officer_of_another_district_is_refused(
    store, open_case, make_officer
):
    medway = make_officer(store, "MED", collar="PC 7001")
    with pytest.raises(InvalidInput) as caught:
        open_case(store, district="THA", owner_collar=medway.collar)
    assert caught.value.field == "owner"


# ---------------------------------------------------------------------------- incidents


def test_an_incident_is_recorded_on_the_case(store, open_case):
    ref = open_case(store)
    incident_id = cases.add_incident(
        store,
        ref,
        incident(
            AS_OF - timedelta(hours=3),
            channel="patrol",
            incident_type="criminal damage",
            description="Fence panels kicked in",
            crime_ref="46/12345/26",
            location="Invicta Road",
        ),
        now=AS_OF,
    )
    [recorded] = cases.case_detail(store, ref).incidents
    assert recorded.id == incident_id
    assert recorded.occurred_at == AS_OF - timedelta(hours=3)
    assert recorded.channel is Channel.PATROL
    assert recorded.incident_type is IncidentType.CRIMINAL_DAMAGE
    assert recorded.description == "Fence panels kicked in"
    assert recorded.crime_ref == "46/12345/26"
    assert recorded.location == "Invicta Road"


def test_incidents_are_listed_newest_first(store, open_case):
    ref = open_case(store)
    for days in (5, 1, 3):
        cases.add_incident(
            store,
            ref,
            incident(AS_OF - timedelta(days=days), description=f"{plural(days, 'day')} ago"),
            now=AS_OF,
        )
    listed = [i.description for i in cases.case_detail(store, ref).incidents]
    assert listed == ["1 day ago", "3 days ago", "5 days ago"]


def test_an_incident_in_the_future_is_refused(store, open_case):
    ref = open_case(store)
    with pytest.raises(InvalidInput) as caught:
        cases.add_incident(store, ref, incident(AS_OF + timedelta(hours=1)), now=AS_OF)
    assert caught.value.field == "occurred_at"
    assert "future" in str(caught.value)
    assert cases.case_detail(store, ref).incidents == []


def test_a_few_minutes_of_clock_difference_is_allowed_for_an_incident(store, open_case):
    ref = open_case(store)
    cases.add_incident(store, ref, incident(AS_OF + timedelta(minutes=4)), now=AS_OF)
    assert len(cases.case_detail(store, ref).incidents) == 1


def test_an_incident_more_than_five_years_before_the_case_is_refused(store, open_case):
    ref = open_case(store)
    with pytest.raises(InvalidInput) as caught:
        cases.add_incident(store, ref, incident(AS_OF - timedelta(days=6 * 365)), now=AS_OF)
    assert caught.value.field == "occurred_at"


def test_an_incident_on_an_unknown_case_is_not_found(store):
    with pytest.raises(NotFound) as caught:
        cases.add_incident(store, "THA-26-ZZZZZ", incident(), now=AS_OF)
    assert str(caught.value) == "There is no case THA-26-ZZZZZ."


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"description": "  "}, "description"),
        ({"incident_type": "loitering"}, "incident_type"),
        ({"channel": "fax"}, "channel"),
        ({"crime_ref": "9" * 41}, "crime_ref"),
    ],
)
def test_an_incident_with_a_bad_value_names_the_field(store, open_case, fields, field):
    ref = open_case(store)
    with pytest.raises(InvalidInput) as caught:
        cases.add_incident(store, ref, incident(**fields), now=AS_OF)
    assert caught.value.field == field
    assert cases.case_detail(store, ref).incidents == []


# ---------------------------------------------------------------------------- parties


def test_adding_a_vulnerable_victim_brings_the_review_forward(store, open_case):
    ref = open_case(store, risk="standard", now=utc_now())
    today = london_today()
    assert cases.case_detail(store, ref).next_review == today + timedelta(days=28)
    cases.add_party(store, ref, PersonInput("Edith Marsh", "victim", vulnerable=True))
    detail = cases.case_detail(store, ref)
    assert detail.next_review == today + timedelta(days=7)
    assert detail.has_vulnerable_party


@pytest.mark.parametrize(
    "person",
    [
        PersonInput("Tom Reed", "victim", vulnerable=False),
        PersonInput("Tom Reed", "witness", vulnerable=True),
        PersonInput("Tom Reed", "perpetrator", vulnerable=True),
    ],
)
def test_other_parties_leave_the_review_date_alone(store, open_case, person):
    ref = open_case(store, risk="standard", now=utc_now())
    before = cases.case_detail(store, ref).next_review
    cases.add_party(store, ref, person)
    assert cases.case_detail(store, ref).next_review == before


def test_a_vulnerable_victim_never_pushes_an_earlier_review_back(store, open_case):
    ref = open_case(store, now=utc_now())
    soon = london_today() + timedelta(days=2)
    cases.set_next_review(store, ref, soon)
    cases.add_party(store, ref, PersonInput("Edith Marsh", "victim", vulnerable=True))
    assert cases.case_detail(store, ref).next_review == soon


def test_a_party_is_listed_on_the_case_by_role_then_name(store, open_case):
    ref = open_case(store, people=[PersonInput("Zara Victim", "victim")])
    cases.add_party(store, ref, PersonInput("Will Witness", "witness", phone="01843 123456"))
    cases.add_party(
        store,
        ref,
        PersonInput(
            "Pat Perp",
            "perpetrator",
            address="14 Invicta Road",
            date_of_birth=date(1994, 11, 2),
            notes="Tenant",
        ),
    )
    cases.add_party(store, ref, PersonInput("Abe Victim", "Victim"))
    parties = cases.case_detail(store, ref).parties
    assert [(p.role, p.name) for p in parties] == [
        (PartyRole.VICTIM, "Abe Victim"),
        (PartyRole.VICTIM, "Zara Victim"),
        (PartyRole.PERPETRATOR, "Pat Perp"),
        (PartyRole.WITNESS, "Will Witness"),
    ]
    assert not any(p.details_shown or p.address or p.phone for p in parties)
    shown = cases.person_details(store, ref, "Working this case")
    assert [p.name for p in shown] == [p.name for p in parties]
    perp = shown[2]
    assert (perp.address, perp.date_of_birth, perp.notes) == (
        "14 Invicta Road",
        date(1994, 11, 2),
        "Tenant",
    )
    assert shown[3].phone == "01843 123456"


def test_a_party_on_an_unknown_case_is_not_found(store):
    with pytest.raises(NotFound):
        cases.add_party(store, "THA-26-ZZZZZ", PersonInput("Ann"))


def test_a_party_needs_a_name(store, open_case):
    ref = open_case(store)
    with pytest.raises(InvalidInput) as caught:
        cases.add_party(store, ref, PersonInput(""))
    assert caught.value.field == "name"
    assert cases.case_detail(store, ref).parties == []


def test_a_party_born_in_the_future_is_refused(store, open_case):
    ref = open_case(store)
    with pytest.raises(InvalidInput) as caught:
        cases.add_party(store, ref, PersonInput("Ann", date_of_birth=london_today() + timedelta(1)))
    assert caught.value.field == "date_of_birth"


def test_a_new_party_can_be_searched_for_at_once(store, open_case):
    ref = open_case(store)
    found = queue.QueueQuery(search="Quennell")
    assert queue.queue_count(store, found) == 0
    cases.add_party(store, ref, PersonInput("Hermione Quennell", "witness"))
    assert [r.ref for r in queue.queue_page(store, found).rows] == [ref]


# ---------------------------------------------------------------------------- status


def test_closing_a_case_needs_a_reason(store, open_case):
    ref = open_case(store)
    for reason in (None, ""):
        with pytest.raises(InvalidInput) as caught:
            cases.change_status(store, ref, "closed", reason)
        assert caught.value.field == "closure_reason"
    assert cases.case_detail(store, ref).status is CaseStatus.OPEN


def test_closing_a_case_records_the_reason_and_when(store, open_case):
    ref = open_case(store)
    closed_at = AS_OF + timedelta(days=3)
    assert cases.change_status(store, ref, "closed", "resolved", now=closed_at) is CaseStatus.CLOSED
    detail = cases.case_detail(store, ref)
    assert detail.status is CaseStatus.CLOSED
    assert detail.closure_reason is ClosureReason.RESOLVED
    assert detail.closed_at == closed_at
    assert not detail.review_overdue(TODAY + timedelta(days=365))


def test_a_closed_case_leaves_the_open_queue(store, open_case):
    keep, close = open_case(store), open_case(store)
    cases.change_status(store, close, CaseStatus.CLOSED, ClosureReason.DUPLICATE)
    assert [r.ref for r in queue.queue_page(store, queue.QueueQuery()).rows] == [keep]


def test_a_closure_reason_is_only_given_when_closing(store, open_case):
    ref = open_case(store)
    with pytest.raises(InvalidInput) as caught:
        cases.change_status(store, ref, "monitoring", "resolved")
    assert caught.value.field == "closure_reason"
    assert cases.case_detail(store, ref).status is CaseStatus.OPEN


def test_an_unknown_closure_reason_is_refused(store, open_case):
    ref = open_case(store)
    with pytest.raises(InvalidInput) as caught:
        cases.change_status(store, ref, "closed", "bored")
    assert caught.value.field == "closure_reason"


@pytest.mark.parametrize("status", ["open", "OPEN", CaseStatus.OPEN])
def test_moving_a_case_to_the_status_it_already_has_is_refused(store, open_case, status):
    ref = open_case(store)
    with pytest.raises(InvalidInput) as caught:
        cases.change_status(store, ref, status)
    assert caught.value.field == "status"
    assert str(caught.value) == "The case is already open."


def test_closing_a_closed_case_is_refused(store, open_case):
    ref = open_case(store)
    cases.change_status(store, ref, "closed", "resolved")
    with pytest.raises(InvalidInput) as caught:
        cases.change_status(store, ref, "closed", "duplicate")
    assert caught.value.field == "status"
    assert cases.case_detail(store, ref).closure_reason is ClosureReason.RESOLVED


def test_a_closed_case_is_not_reopened_by_a_status_change_without_a_reason(store, open_case):
    ref = open_case(store)
    cases.change_status(store, ref, "closed", "no_further_reports")
    with pytest.raises(InvalidInput) as caught:
        cases.change_status(store, ref, "under investigation")
    assert caught.value.field == "status"
    assert "reopen it with a reason" in str(caught.value)
    assert cases.case_detail(store, ref).status is CaseStatus.CLOSED


def test_reopening_a_case_clears_the_closure(store, open_case):
    ref = open_case(store)
    cases.change_status(store, ref, "closed", "no_further_reports")
    cases.reopen_case(store, ref, "New reports from the neighbours", status="under investigation")
    detail = cases.case_detail(store, ref)
    assert detail.status is CaseStatus.UNDER_INVESTIGATION
    assert detail.closure_reason is None
    assert detail.closed_at is None
    assert detail.next_review is not None


def test_an_unknown_status_is_refused(store, open_case):
    ref = open_case(store)
    with pytest.raises(InvalidInput) as caught:
        cases.change_status(store, ref, "pending")
    assert caught.value.field == "status"


def test_changing_the_status_of_an_unknown_case_is_not_found(store):
    with pytest.raises(NotFound):
        cases.change_status(store, "THA-26-ZZZZZ", "monitoring")


# ---------------------------------------------------------------------------- owner


def test_a_case_can_be_given_to_an_officer_of_its_district(store, open_case, make_officer):
    ref = open_case(store)
    officer = make_officer(store, "THA", name="Priya Shah", collar="PCSO 4400")
    assert cases.assign_owner(store, ref, "pcso 4400") == "Priya Shah"
    detail = cases.case_detail(store, ref)
    assert (detail.owner_collar, detail.owner_name) == (officer.collar, "Priya Shah")


def test_a_case_cannot_be_given_to_an_officer_of_another_district(store, open_case, make_officer):
    ref = open_case(store, district="THA")
    make_officer(store, "MED", collar="PC 7001")
    with pytest.raises(InvalidInput) as caught:
        cases.assign_owner(store, ref, "PC 7001")
    assert caught.value.field == "owner"
    assert str(caught.value) == "PC 7001 works in Medway, not Thanet."
    assert cases.case_detail(store, ref).owner_collar is None


def test_an_unknown_collar_number_is_refused(store, open_case):
    ref = open_case(store)
    with pytest.raises(InvalidInput) as caught:
        cases.assign_owner(store, ref, "PC 0000")
    assert caught.value.field == "owner"


@pytest.mark.parametrize("nobody", [None, "", "   "])
def test_a_case_can_be_unallocated(store, open_case, make_officer, nobody):
    officer = make_officer(store, "THA")
    ref = open_case(store, owner_collar=officer.collar)
    assert cases.case_detail(store, ref).owner_collar == officer.collar
    assert cases.assign_owner(store, ref, nobody) is None
    assert cases.case_detail(store, ref).owner_collar is None


# ---------------------------------------------------------------------------- review and risk


def test_the_next_review_can_be_set_for_today_or_later(store, open_case):
    ref = open_case(store)
    assert cases.set_next_review(store, ref, TODAY, today=TODAY) == TODAY
    assert cases.case_detail(store, ref).next_review == TODAY
    later = TODAY + timedelta(days=100)
    cases.set_next_review(store, ref, later, today=TODAY)
    assert cases.case_detail(store, ref).next_review == later


def test_the_next_review_cannot_be_in_the_past(store, open_case):
    ref = open_case(store)
    before = cases.case_detail(store, ref).next_review
    with pytest.raises(InvalidInput) as caught:
        cases.set_next_review(store, ref, TODAY - timedelta(days=1), today=TODAY)
    assert caught.value.field == "next_review"
    assert str(caught.value) == "The next review cannot be in the past."
    assert cases.case_detail(store, ref).next_review == before


def test_the_next_review_must_be_within_a_year(store, open_case):
    ref = open_case(store)
    with pytest.raises(InvalidInput) as caught:
        cases.set_next_review(store, ref, TODAY + timedelta(days=400), today=TODAY)
    assert caught.value.field == "next_review"


def test_a_closed_case_has_no_reviews(store, open_case):
    ref = open_case(store)
    cases.change_status(store, ref, "closed", "resolved")
    with pytest.raises(InvalidInput):
        cases.set_next_review(store, ref, TODAY + timedelta(days=3), today=TODAY)


def test_a_higher_risk_brings_the_review_forward_and_a_lower_one_does_not_push_it_back(
    store, open_case
):
    ref = open_case(store, risk="standard")
    assert cases.set_risk(store, ref, "high", today=TODAY) is RiskLevel.HIGH
    assert cases.case_detail(store, ref).next_review == TODAY + timedelta(days=7)
    cases.set_risk(store, ref, "standard", today=TODAY)
    detail = cases.case_detail(store, ref)
    assert detail.risk is RiskLevel.STANDARD
    assert detail.next_review == TODAY + timedelta(days=7)


# ---------------------------------------------------------------------------- detail


def test_the_invicta_road_case_shows_everything_recorded_on_it(demo_store, demo_summary):
    detail = cases.case_detail(demo_store, demo_summary.invicta_ref)
    assert detail.ref == demo_summary.invicta_ref
    assert detail.district is District.THA
    assert detail.status is CaseStatus.ACTION_IN_PROGRESS
    assert detail.risk is RiskLevel.HIGH
    assert "Invicta Road" in detail.summary
    assert detail.location == "14 Invicta Road, Margate"
    assert detail.postcode == "CT9 2QB"
    assert detail.opened_at == AS_OF - timedelta(days=150)
    assert detail.next_review == TODAY + timedelta(days=7)
    assert detail.owner_collar == demo_summary.device_officer
    assert detail.has_vulnerable_party
    assert [p.role for p in detail.parties] == [
        PartyRole.VICTIM,
        PartyRole.VICTIM,
        PartyRole.PERPETRATOR,
        PartyRole.REPORTER,
    ]
    assert len(detail.incidents) == 10
    times = [i.occurred_at for i in detail.incidents]
    assert times == sorted(times, reverse=True)
    assert detail.incidents[0].description.startswith("Warrant executed")
    # Newest first: the case conference's minutes (police), then the partners' notes.
    assert [n.agency for n in detail.notes] == ["Kent Police", "Orbit Housing",
                                                "Thanet District Council"]
    assert not detail.review_overdue(TODAY)
    assert detail.review_overdue(TODAY + timedelta(days=8))


def test_an_unknown_case_is_not_found(store):
    with pytest.raises(NotFound) as caught:
        cases.case_detail(store, "  tha-26-zzzzz ")
    assert str(caught.value) == "There is no case tha-26-zzzzz."


def test_a_deleted_case_is_not_found(store, open_case):
    ref = open_case(store)
    with store.engine.begin() as connection:
        connection.exec_driver_sql('UPDATE "case" SET deleted = 1')
    with pytest.raises(NotFound):
        cases.case_detail(store, ref)


def test_a_review_date_of_an_open_case_in_the_past_is_overdue(store, open_case):
    ref = open_case(store, risk="high")
    detail = cases.case_detail(store, ref)
    assert not detail.review_overdue(TODAY + timedelta(days=7))
    assert detail.review_overdue(TODAY + timedelta(days=8))


# ---------------------------------------------------------------------------- officers


def test_officers_have_unique_upper_case_collar_numbers(store):
    made = cases.add_officer(store, " pc 4512 ", "Sam Carter", "thanet")
    assert (made.collar, made.district) == ("PC 4512", District.THA)
    with pytest.raises(InvalidInput) as caught:
        cases.add_officer(store, "PC 4512", "Someone Else", "MED")
    assert caught.value.field == "collar"
    assert cases.find_officer(store, "Pc 4512").name == "Sam Carter"


def test_officers_are_listed_by_name_and_by_district(store, make_officer):
    make_officer(store, "THA", name="Zoe Adams")
    make_officer(store, "MED", name="Bob Brown")
    make_officer(store, "THA", name="Amy Clark")
    assert [o.name for o in cases.officers(store)] == ["Amy Clark", "Bob Brown", "Zoe Adams"]
    assert [o.name for o in cases.officers(store, District.THA)] == ["Amy Clark", "Zoe Adams"]


def test_the_device_officer_is_remembered(store, make_officer):
    assert cases.device_officer(store) is None
    officer = make_officer(store, "DOV")
    cases.set_device_officer(store, officer.collar.lower())
    assert cases.device_officer(store) == officer
    with pytest.raises(InvalidInput) as caught:
        cases.set_device_officer(store, "PC 0000")
    assert caught.value.field == "officer"


# ---------------------------------------------------------------------------- sync stamps

SYNCED_TABLES = ("officer", "case", "party", "incident")


def _stamps(store, table: str) -> dict[str, tuple[str, str]]:
    with store.engine.connect() as connection:
        rows = connection.exec_driver_sql(f'SELECT id, updated_at, origin FROM "{table}"').all()
    return {row[0]: (row[1], row[2]) for row in rows}


def test_every_written_row_is_stamped_with_the_clock_and_this_device(
    store, open_case, make_officer
):
    officer = make_officer(store, "THA")
    ref = open_case(
        store,
        owner_collar=officer.collar,
        people=[PersonInput("Ann Victim"), PersonInput("Bob Perp", "perpetrator")],
    )
    cases.add_incident(store, ref, incident(), now=AS_OF)
    cases.add_party(store, ref, PersonInput("Will Witness", "witness"))
    stamp = re.compile(rf"^\d{{13}}\.\d{{5}}\.{re.escape(store.device_id)}$")
    seen: list[str] = []
    for table in SYNCED_TABLES:
        rows = _stamps(store, table)
        assert rows, table
        for updated_at, origin in rows.values():
            assert stamp.match(updated_at), (table, updated_at)
            assert origin == store.device_id
            seen.append(updated_at)
    assert len(set(seen)) == len(seen) == 1 + 1 + 3 + 1


@pytest.mark.parametrize(
    "change",
    [
        lambda store, ref: cases.change_status(store, ref, "monitoring"),
        lambda store, ref: cases.change_status(store, ref, "closed", "resolved"),
        lambda store, ref: cases.assign_owner(store, ref, None),
        lambda store, ref: cases.set_next_review(store, ref, TODAY + timedelta(3), today=TODAY),
        lambda store, ref: cases.set_risk(store, ref, "high", today=TODAY),
    ],
    ids=["status", "close", "owner", "review", "risk"],
)
def test_a_change_moves_the_case_stamp_forward_and_leaves_other_rows_alone(
    store, open_case, make_officer, change
):
    officer = make_officer(store, "THA")
    ref = open_case(store, owner_collar=officer.collar, people=[PersonInput("Ann Victim")])
    case_id = cases.case_detail(store, ref).id
    before_case = _stamps(store, "case")[case_id]
    before_party = _stamps(store, "party")
    before_officer = _stamps(store, "officer")
    change(store, ref)
    after_case = _stamps(store, "case")[case_id]
    assert after_case[0] > before_case[0]
    assert after_case[1] == store.device_id
    assert _stamps(store, "party") == before_party
    assert _stamps(store, "officer") == before_officer


def test_stamps_keep_increasing_across_many_quick_changes(store, open_case):
    ref = open_case(store)
    case_id = cases.case_detail(store, ref).id
    seen = [_stamps(store, "case")[case_id][0]]
    for status in ["monitoring", "open", "monitoring", "open", "monitoring"]:
        cases.change_status(store, ref, status)
        seen.append(_stamps(store, "case")[case_id][0])
    assert seen == sorted(seen) and len(set(seen)) == len(seen)


def test_a_refused_change_writes_nothing(store, open_case, make_officer):
    ref = open_case(store)
    make_officer(store, "MED", collar="PC 7001")
    before = _stamps(store, "case")
    with pytest.raises(InvalidInput):
        cases.assign_owner(store, ref, "PC 7001")
    with pytest.raises(InvalidInput):
        cases.change_status(store, ref, "open")
    assert _stamps(store, "case") == before


def test_text_that_looks_like_sql_or_search_syntax_is_stored_as_given(store, open_case):
    # Text that looks like SQL or FTS syntax is stored as given.
    summary = '\'); DROP TABLE case; -- "quoted" NEAR(x y) *'
    ref = open_case(store, summary=summary)
    assert cases.case_detail(store, ref).summary == summary
    with store.engine.connect() as connection:
        tables = {
            r[0]
            for r in connection.execute(
                sa.text("SELECT name FROM sqlite_master WHERE type='table'")
            )
        }
    assert "case" in tables
