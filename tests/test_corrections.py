"""Putting records right: corrections keep the old value in the case's history, removals
are soft deletes with a reason, and everything is audited by field name only."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from conftest import AS_OF

from asbtui.errors import Forbidden, InvalidInput, NotFound
from asbtui.models import AuditEvent, ClosureReason, District, Role
from asbtui.services import (
    cases,
    corrections,
    enforcement,
    history,
    partners,
    queue,
    tasks,
    users,
)
from asbtui.services.access import Actor
from asbtui.services.corrections import CaseCorrection, IncidentCorrection, PersonCorrection

PIN = "correct-horse"


def incident(store, ref: str, **fields: object) -> str:
    values: dict[str, object] = {"occurred_at": AS_OF - timedelta(days=2), "channel": "101",
                                 "incident_type": "noise",
                                 "description": "Music audible from the street until 3am"}
    values.update(fields)
    return cases.add_incident(store, ref, cases.NewIncident(**values), now=AS_OF)


def audit_details(store) -> list[str]:
    with store.engine.connect() as connection:
        return [r.detail for r in connection.execute(
            sa.select(AuditEvent.__table__).order_by(AuditEvent.__table__.c.seq))]


def test_a_person_saved_vulnerable_by_a_slip_is_put_right_and_the_history_keeps_it(
        store, open_case) -> None:
    ref = open_case(store, people=[cases.PersonInput("Ann Example", "victim", vulnerable=True,
                                                     date_of_birth=date(1950, 3, 1))])
    person = cases.case_detail(store, ref).parties[0]
    changed = corrections.correct_person(
        store, person.id, PersonCorrection(vulnerable=False, date_of_birth=date(1951, 3, 1)),
        "Ticked by mistake on intake", now=AS_OF)
    assert changed == ["date of birth", "vulnerable"]
    detail = cases.case_detail(store, ref)
    assert detail.parties[0].vulnerable is False
    assert not detail.has_vulnerable_party
    entries = [e for e in history.case_history(store, ref) if e.record_type == "person"]
    vulnerable = next(e for e in entries if e.field == "vulnerable")
    assert (vulnerable.old, vulnerable.new, vulnerable.reason) == (
        "yes", "no", "Ticked by mistake on intake")
    assert vulnerable.by == "local" and vulnerable.record == "victim Ann Example"
    # A date of birth is personal data: the history names the field, the values need a reason.
    born = next(e for e in entries if e.field == "date of birth")
    assert born.hidden and born.old == "" and "values hidden" in born.describe()
    shown = history.case_history(store, ref, reason="Working this case")
    born = next(e for e in shown if e.field == "date of birth")
    assert (born.old, born.new) == ("01/03/1950", "01/03/1951")
    # The audit names the fields, never the values.
    details = audit_details(store)
    assert "corrected: date of birth, vulnerable" in details
    assert not any("1950" in d or "1951" in d for d in details)


def test_people_and_incident_dates_need_a_reason_other_fixes_do_not(store, open_case) -> None:
    ref = open_case(store, people=[cases.PersonInput("Ann Example", "victim")])
    person = cases.case_detail(store, ref).parties[0]
    with pytest.raises(InvalidInput, match="reason") as caught:
        corrections.correct_person(store, person.id, PersonCorrection(name="Anne Example"), "")
    assert caught.value.field == "reason"
    first = incident(store, ref)
    with pytest.raises(InvalidInput, match="reason"):
        corrections.correct_incident(
            store, first, IncidentCorrection(occurred_at=AS_OF - timedelta(days=3)), "",
            now=AS_OF)
    assert corrections.correct_incident(
        store, first, IncidentCorrection(incident_type="drug_activity"), "", now=AS_OF) == ["type"]
    assert corrections.correct_case(store, ref, CaseCorrection(category="personal")) == [
        "category"]


def test_an_incident_with_the_wrong_date_is_corrected_and_the_timeline_says_so(
        store, open_case) -> None:
    ref = open_case(store)
    wrong = datetime(2026, 11, 2, 21, 30, tzinfo=UTC)
    right = datetime(2026, 11, 20, 21, 30, tzinfo=UTC)
    incident_id = incident(store, ref, occurred_at=wrong)
    corrections.correct_incident(store, incident_id, IncidentCorrection(occurred_at=right),
                                 "Typed the 2nd for the 20th", now=AS_OF)
    assert cases.case_detail(store, ref).incidents[0].occurred_at == right
    timeline = [e for e in partners.timeline(store, ref) if e.kind == "correction"]
    assert len(timeline) == 1
    assert "02/11/2026 21:30 → 20/11/2026 21:30" in timeline[0].title
    assert timeline[0].text == "why: Typed the 2nd for the 20th"
    with pytest.raises(InvalidInput, match="future") as caught:
        corrections.correct_incident(store, incident_id, IncidentCorrection(
            occurred_at=AS_OF + timedelta(days=1)), "why not", now=AS_OF)
    assert caught.value.field == "occurred_at"


def test_nothing_to_correct_is_said_plainly(store, open_case) -> None:
    ref = open_case(store, category="nuisance")
    with pytest.raises(InvalidInput, match="Nothing to correct"):
        corrections.correct_case(store, ref, CaseCorrection(category="Nuisance"))


def test_a_case_moved_to_another_district_keeps_its_ref_and_changes_queue(
        store, open_case, make_officer) -> None:
    owner = make_officer(store, "THA")
    ref = open_case(store, location="14 Invicta Road, Margate", postcode="ct9 2qb",
                    owner_collar=owner.collar,
                    people=[cases.PersonInput("Ann Example", "victim")])
    incident(store, ref)
    tasks.add_task(store, ref, "Visit the neighbours", AS_OF.date() + timedelta(days=3),
                   officer=owner.collar, today=AS_OF.date())
    action = enforcement.start_action(store, ref, enforcement.NewAction(
        power="cpw", concerns="14 Invicta Road", conduct="Loud music"),
        enforcement.StepInput(AS_OF - timedelta(hours=1), authority="constable",
                              ends_at=AS_OF + timedelta(days=14)), now=AS_OF)
    assert action
    changed = corrections.correct_case(
        store, ref, CaseCorrection(district="DOV", location="2 Castle Street, Dover",
                                   postcode="CT16 1PW"), "Entered in the wrong district")
    assert changed == ["location", "postcode", "district"]
    detail = cases.case_detail(store, ref)
    assert detail.ref == ref and detail.district is District.DOV
    assert detail.owner_collar is None  # a Thanet officer does not own a Dover case
    thanet = queue.queue_page(store, queue.QueueQuery(district=District.THA)).rows
    dover = queue.queue_page(store, queue.QueueQuery(district=District.DOV)).rows
    assert ref not in [r.ref for r in thanet] and ref in [r.ref for r in dover]
    with store.engine.connect() as connection:
        copies = connection.execute(sa.text(
            "SELECT district, case_location, street_key, postcode_key FROM incident")).all()
        deadline_districts = connection.execute(sa.text(
            "SELECT DISTINCT district FROM deadline")).scalars().all()
        # My day reads victim updates and tasks by district: they follow the case.
        day_districts = connection.execute(sa.text(
            "SELECT district FROM victimupdateplan UNION SELECT district FROM casetask"
        )).scalars().all()
    assert [tuple(r) for r in copies] == [("DOV", "2 Castle Street, Dover", "castle street",
                                          "CT161PW")]
    assert deadline_districts == ["DOV"]
    assert day_districts == ["DOV"]
    assert cases.case_detail(store, ref).ref == ref
    owner_change = next(e for e in history.case_history(store, ref) if e.field == "owner")
    assert owner_change.old == owner.collar and owner_change.new == ""
    found = queue.queue_page(store, queue.QueueQuery(district=District.DOV, search="castle"))
    assert [r.ref for r in found.rows] == [ref]


def test_a_wrongly_entered_incident_and_person_are_removed_with_a_reason(
        store, open_case) -> None:
    ref = open_case(store, people=[cases.PersonInput("Wrong Person", "victim",
                                                     vulnerable=True)])
    person = cases.case_detail(store, ref).parties[0]
    incident_id = incident(store, ref, description="Meant for another case")
    with pytest.raises(InvalidInput, match="reason"):
        corrections.remove_incident(store, incident_id, " ")
    corrections.remove_incident(store, incident_id[:8], "Belongs to another case")
    corrections.remove_person(store, person.id, "Not involved: wrong name taken")
    detail = cases.case_detail(store, ref)
    assert detail.incidents == [] and detail.parties == []
    assert not detail.has_vulnerable_party
    removals = [e for e in history.case_history(store, ref) if e.removal]
    assert [e.record_type for e in removals] == ["incident", "person"]
    assert "Meant for another case" in removals[0].old
    assert removals[1].describe() == "Removed victim Wrong Person"
    kinds = [e.kind for e in partners.timeline(store, ref)]
    assert kinds.count("removal") == 2
    with pytest.raises(NotFound):
        corrections.remove_incident(store, incident_id, "again")
    assert queue.queue_page(store, queue.QueueQuery(district=District.THA,
                                                    search="wrong")).rows == []


def test_risk_owner_review_and_status_changes_are_in_the_history(
        store, open_case, make_officer) -> None:
    owner = make_officer(store, "THA")
    ref = open_case(store)
    cases.set_risk(store, ref, "high", today=AS_OF.date())
    cases.assign_owner(store, ref, owner.collar)
    cases.set_next_review(store, ref, AS_OF.date() + timedelta(days=3), today=AS_OF.date())
    fields = [e.field for e in history.case_history(store, ref)]
    assert fields == ["risk", "next review", "owner", "next review"]


def test_an_officer_corrects_only_in_their_own_district(store, open_case) -> None:
    ref = open_case(store, district="MAI")
    store.actor = Actor("pc.thanet", Role.OFFICER, frozenset({District.THA}))
    with pytest.raises(Forbidden, match="Maidstone"):
        corrections.correct_case(store, ref, CaseCorrection(summary="Better words"))
    store.actor = Actor("tdc", Role.PARTNER, agency_id="x")
    with pytest.raises(Forbidden):
        corrections.correct_case(store, ref, CaseCorrection(summary="Better words"))


def test_a_partner_sees_a_corrected_person_only_as_their_share_allows(store) -> None:
    users.add_user(store, "admin", Role.ADMIN, PIN)
    users.sign_in(store, "admin", PIN)
    partners.add_agency(store, "Thanet District Council", "council", "ISA-T", district="THA")
    users.add_user(store, "pc.thanet", "officer", PIN, districts=["THA"], collar="PC 101")
    users.add_user(store, "tdc", "partner", PIN, agency="Thanet District Council")
    users.sign_out(store)
    users.sign_in(store, "pc.thanet", PIN)
    ref = cases.create_case(store, cases.NewCase(
        district="THA", category="personal", summary="Threats", people=[
            cases.PersonInput("Ann Example", "victim", address="1 High Street")]), now=AS_OF)
    partners.share_case(store, ref, "Thanet District Council", "Working this case")
    person = cases.case_detail(store, ref).parties[0]
    corrections.correct_person(store, person.id, PersonCorrection(address="3 High Street"),
                               "House number misheard")
    users.sign_out(store)
    users.sign_in(store, "tdc", PIN)
    # Without a reason: the field is named, the old and new addresses are not shown.
    change = next(e for e in history.case_history(store, ref) if e.field == "address")
    assert change.hidden and "High Street" not in change.describe()
    assert all("High Street" not in e.text for e in partners.timeline(store, ref))
    # With a reason (audited), as people's details are: the new address.
    assert cases.person_details(store, ref, "Working this case")[0].address == "3 High Street"
    users.sign_out(store)
    users.sign_in(store, "pc.thanet", PIN)
    partners.revoke_share(store, ref, "Thanet District Council")
    users.sign_out(store)
    users.sign_in(store, "tdc", PIN)
    with pytest.raises(NotFound):
        history.case_history(store, ref, reason="Working this case")


def test_closing_properly_asks_for_summary_and_satisfaction_and_reopening_for_a_reason(
        store, open_case) -> None:
    ref = open_case(store)
    with pytest.raises(InvalidInput) as caught:
        cases.close_case(store, ref, "resolved", "", True, "satisfied")
    assert caught.value.field == "closing_summary"
    with pytest.raises(InvalidInput) as caught:
        cases.close_case(store, ref, "resolved", "Music stopped", None)
    assert caught.value.field == "victim_asked"
    with pytest.raises(InvalidInput) as caught:
        cases.close_case(store, ref, "resolved", "Music stopped", True)
    assert caught.value.field == "victim_satisfaction"
    assert cases.close_case(store, ref, "resolved", "Music stopped after a CPW", True,
                            "very satisfied", now=AS_OF) is ClosureReason.RESOLVED
    detail = cases.case_detail(store, ref)
    assert detail.next_review is None and detail.closing_summary == "Music stopped after a CPW"
    assert detail.victim_asked is True and detail.victim_satisfaction.value == "very_satisfied"
    store.actor = Actor("pc.thanet", Role.OFFICER, frozenset({District.THA}))
    with pytest.raises(Forbidden):
        cases.reopen_case(store, ref, "New reports")
    store.actor = Actor("sup.thanet", Role.SUPERVISOR, frozenset({District.THA}))
    with pytest.raises(InvalidInput, match="reason"):
        cases.reopen_case(store, ref, "")
    cases.reopen_case(store, ref, "Two new reports this week", now=AS_OF)
    detail = cases.case_detail(store, ref)
    assert detail.status.value == "open" and detail.next_review is not None
    reopened = [e for e in history.case_history(store, ref) if e.field == "status"][-1]
    assert (reopened.old, reopened.new, reopened.by) == ("Closed", "Open", "sup.thanet")
    assert reopened.reason == "Two new reports this week"


def test_erasing_a_case_blanks_its_history_of_corrections(store, open_case) -> None:
    from asbtui.services import retention

    long_ago = AS_OF - timedelta(days=7 * 365)
    ref = open_case(store, now=long_ago, people=[
        cases.PersonInput("Ann Example", "victim", address="1 High Street")])
    person = cases.case_detail(store, ref).parties[0]
    corrections.correct_person(store, person.id, PersonCorrection(address="3 High Street"),
                               "House number misheard", now=long_ago)
    cases.change_status(store, ref, "closed", "resolved", now=long_ago)
    retention.erase(store, ref, "Retention period over", today=AS_OF.date(), now=AS_OF)
    with store.engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT old_value, new_value, reason, deleted FROM correction")).all()
    assert rows and all(tuple(r) == ("", "", "", 1) for r in rows if r.deleted)
    assert not any("High Street" in (r.old_value + r.new_value) for r in rows)
