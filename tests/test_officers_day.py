"""The officer's day through the services: victim updates, tasks, My day, partners' tasks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from conftest import AS_OF, TODAY

from asbtui.dates import london_today
from asbtui.errors import Forbidden, InvalidInput, NotFound
from asbtui.models import Role
from asbtui.services import case_review, cases, day, partners, tasks, triage, users, victims
from asbtui.services.day import ItemKind, When

PIN = "correct-horse-42"


@pytest.fixture
def world(store):
    users.add_user(store, "admin", Role.ADMIN, PIN)
    users.sign_in(store, "admin", PIN)
    partners.add_agency(store, "Thanet District Council", "council", "ISA-TDC", district="THA")
    partners.add_agency(store, "Orbit Housing", "housing", "ISA-ORB")
    users.add_user(store, "pc.thanet", "officer", PIN, districts=["THA"], collar="PC 101",
                   full_name="Pat Thanet")
    users.add_user(store, "pc.other", "officer", PIN, districts=["THA"], collar="PC 102",
                   full_name="Olly Other")
    users.add_user(store, "sup.thanet", "supervisor", PIN, districts=["THA"], collar="PS 303")
    users.add_user(store, "tdc", "partner", PIN, agency="Thanet District Council")
    users.add_user(store, "orbit", "partner", PIN, agency="Orbit Housing")
    users.sign_out(store)
    return store


def as_user(store, name: str):
    users.sign_out(store)
    return users.sign_in(store, name, PIN)


def new_case(store, owner="PC 101", now=AS_OF, **extra) -> str:
    return cases.create_case(store, cases.NewCase(
        district="THA", category="personal", summary="Harassment by a neighbour",
        owner_collar=owner, **extra), now=now)


def victim_id(store, ref: str) -> str:
    return next(p.id for p in cases.case_detail(store, ref).parties if p.role.value == "victim")


def test_a_victim_gets_updates_at_the_default_frequency_for_the_risk(world) -> None:
    as_user(world, "pc.thanet")
    ref = new_case(world, risk="medium",
                   people=[cases.PersonInput(name="Ann Example", role="victim")])
    [plan] = victims.victim_plans(world, ref)
    assert plan.frequency_days == 14
    assert plan.next_due == TODAY + timedelta(days=14)  # from the day the case was opened


def test_recording_a_victim_contact_moves_the_next_update(world) -> None:
    as_user(world, "pc.thanet")
    ref = new_case(world, people=[cases.PersonInput(name="Ann Example", role="victim",
                                                    vulnerable=True)])
    party = victim_id(world, ref)
    [plan] = victims.victim_plans(world, ref)
    assert plan.frequency_days == 7  # vulnerable: as for high risk
    when = datetime.now(UTC) - timedelta(days=1)
    next_due = victims.record_contact(world, ref, party, "phone", "Told her a CPW was served",
                                      "Relieved but still worried", at=when)
    assert next_due == london_today(when) + timedelta(days=7)
    [plan] = victims.victim_plans(world, ref)
    assert plan.contacts[0].victim_view == "Relieved but still worried"
    assert plan.contacts[0].by_user == "pc.thanet"


def test_a_frequency_changes_only_with_what_the_victim_agreed(world) -> None:
    as_user(world, "pc.thanet")
    ref = new_case(world, people=[cases.PersonInput(name="Ann Example", role="victim")])
    party = victim_id(world, ref)
    with pytest.raises(InvalidInput, match="what the victim agreed"):
        victims.set_frequency(world, ref, party, 21, "")
    victims.set_frequency(world, ref, party, 21, "Prefers a call every three weeks")
    [plan] = victims.victim_plans(world, ref)
    assert (plan.frequency_days, plan.agreed) == (21, "Prefers a call every three weeks")


def test_tasks_for_officers_and_agencies_and_a_partner_completes_its_own(world) -> None:
    as_user(world, "pc.thanet")
    ref = new_case(world)
    today = date.today()
    mine = tasks.add_task(world, ref, "Visit the neighbours", today, officer="PC 101")
    council = tasks.add_task(world, ref, "Noise monitoring kit", today + timedelta(days=3),
                             agency="Thanet District Council")
    orbit = tasks.add_task(world, ref, "Tenancy warning", today, agency="Orbit")
    partners.share_case(world, ref, "Thanet District Council", "Working this case")
    with pytest.raises(InvalidInput, match="officer or to a partner agency"):
        tasks.add_task(world, ref, "Nobody's", today)

    as_user(world, "tdc")
    assert [t.id for t in tasks.case_tasks(world, ref)] == [council]  # only its own
    with pytest.raises(NotFound):
        tasks.complete_task(world, orbit, "Not ours")
    with pytest.raises(NotFound):
        tasks.complete_task(world, mine, "Not ours")
    done = tasks.complete_task(world, council, "Kit installed for two weeks")
    assert done.done_on == today and done.outcome == "Kit installed for two weeks"
    # Orbit's case is not shared with it: it sees nothing and completes nothing.
    as_user(world, "orbit")
    with pytest.raises(NotFound):
        tasks.complete_task(world, orbit, "Done")
    assert tasks.agency_tasks(world) == []


def test_my_day_lists_an_officers_items_overdue_today_and_this_week(world) -> None:
    as_user(world, "pc.thanet")
    now = datetime.now(UTC)
    late = new_case(world, now=now - timedelta(days=20), factors=("threat",),
                    people=[cases.PersonInput(name="Ann Example", role="victim")])
    soon = new_case(world, now=now - timedelta(hours=1), factors=())
    tasks.add_task(world, soon, "Check the CCTV", date.today(), officer="PC 101")
    as_user(world, "pc.other")
    new_case(world, owner="PC 102", factors=("hate",))  # someone else's

    as_user(world, "pc.thanet")
    mine = day.my_day(world)
    kinds = {(i.kind, i.case_ref) for i in mine.items}
    assert (ItemKind.FIRST_CONTACT, late) in kinds
    assert (ItemKind.VICTIM_UPDATE, late) in kinds  # 28 days from opening... or high: 7
    assert (ItemKind.REVIEW, late) in kinds
    assert (ItemKind.TASK, soon) in kinds
    assert (ItemKind.FIRST_CONTACT, soon) not in kinds  # 10 working days away
    assert all(i.officer.startswith("PC 101") for i in mine.items)
    first = next(i for i in mine.items if i.kind is ItemKind.FIRST_CONTACT)
    assert first.when(now) is When.OVERDUE
    assert mine.items == sorted(mine.items, key=lambda i: i.due_at)  # soonest first

    triage.record_first_contact(world, late, "visit")
    assert (ItemKind.FIRST_CONTACT, late) not in {(i.kind, i.case_ref)
                                                  for i in day.my_day(world).items}


def test_a_supervisor_sees_the_district_by_officer_and_may_pick_one(world) -> None:
    as_user(world, "pc.thanet")
    new_case(world, now=datetime.now(UTC) - timedelta(days=30))
    as_user(world, "pc.other")
    new_case(world, owner="PC 102", now=datetime.now(UTC) - timedelta(days=30))
    as_user(world, "sup.thanet")
    view = day.my_day(world)
    assert view.by_officer
    assert {i.officer.split(" ")[1] for i in view.items} == {"101", "102"}
    only = day.my_day(world, officer="pc.other")
    assert {i.officer for i in only.items} == {"PC 102 Olly Other"}
    as_user(world, "pc.thanet")
    with pytest.raises(Forbidden):
        day.my_day(world, officer="PC 102")


def test_a_partners_day_is_its_agencys_open_tasks(world) -> None:
    as_user(world, "pc.thanet")
    ref = new_case(world)
    tasks.add_task(world, ref, "Noise monitoring kit", date.today(),
                   agency="Thanet District Council")
    partners.share_case(world, ref, "Thanet District Council", "Working this case")
    as_user(world, "tdc")
    items = day.my_day(world).items
    assert [(i.kind, i.case_ref, i.what) for i in items] == [
        (ItemKind.TASK, ref, "Noise monitoring kit")]


def test_a_conference_records_minutes_on_each_case_and_its_actions_become_tasks(world) -> None:
    from asbtui.services import conferences
    from asbtui.services.conferences import Attendee

    as_user(world, "pc.thanet")
    one, two = new_case(world), new_case(world)
    partners.share_case(world, one, "Thanet District Council", "Working this case")
    with pytest.raises(InvalidInput, match="at least one case"):
        conferences.schedule(world, "Empty", AS_OF, [])
    conference_id = conferences.schedule(
        world, "Invicta Road problem-solving meeting", AS_OF + timedelta(days=2), [one, two],
        place="Margate police station",
        attendees=[Attendee("police", "PC 101"), Attendee("Thanet District", "ASB officer")])
    view = conferences.conference(world, conference_id[:8])
    assert [a.agency for a in view.attendees] == ["Kent Police", "Thanet District Council"]
    # Named visibility needs every case shared with the agency: nothing is written else.
    with pytest.raises(InvalidInput, match="is not shared with"):
        conferences.record_minutes(world, conference_id, "Agreed a joint visit", "",
                                   visibility="named", audience=["Thanet District Council"],
                                   reason="Working this case")
    assert not any("conference" in n.text for n in partners.case_notes(world, one))
    noted = conferences.record_minutes(world, conference_id, "Agreed a joint visit",
                                       "CPW to be served")
    assert noted == 2
    assert any("Decisions: CPW to be served" in n.text for n in partners.case_notes(world, two))
    task_id = conferences.add_action(world, conference_id, one, "Joint visit with the council",
                                     date.today(), agency="Thanet District Council")
    assert [t.id for t in conferences.conference(world, conference_id).actions] == [task_id]
    assert any(t.id == task_id for t in tasks.case_tasks(world, one))
    agenda = conferences.agenda_markdown(world, conference_id)
    assert f"### 1. {min(one, two)}" in agenda and "Joint visit with the council" in agenda
    assert "Kent Police: PC 101" in agenda


def _reports(store, ref: str, count: int, now: datetime) -> None:
    for back in range(count):
        when = now - timedelta(days=back + 1)
        cases.add_incident(store, ref, cases.NewIncident(
            occurred_at=when, channel="101", incident_type="noise", description="Loud music"),
            now=when)


def test_my_day_prompts_a_case_review_then_lists_the_decision_awaited(world) -> None:
    now = datetime.now(UTC)
    as_user(world, "pc.thanet")
    ref = new_case(world, now=now - timedelta(days=5))
    below = new_case(world, now=now - timedelta(days=5))
    _reports(world, ref, 3, now)
    _reports(world, below, 1, now)
    as_user(world, "pc.other")
    theirs = new_case(world, owner="PC 102", now=now - timedelta(days=5))
    _reports(world, theirs, 3, now)

    def prompts(**options) -> list[day.DayItem]:
        return [i for i in day.my_day(world, **options).items
                if i.kind is ItemKind.CASE_REVIEW]

    as_user(world, "pc.thanet")
    [prompt] = prompts()
    assert prompt.case_ref == ref and prompt.due == london_today(now)
    assert prompt.what.startswith("Consider an ASB Case Review: ")
    assert prompt.what.endswith(" qualifying reports")
    assert prompt.when(now) is When.TODAY
    assert prompt.as_json(now)["kind"] == "case_review"
    assert {i.case_ref for i in prompts(threshold=1)} == {ref, below}  # a local threshold

    as_user(world, "sup.thanet")
    assert {i.case_ref for i in prompts()} == {ref, theirs}  # the district's, by officer
    review_id = case_review.request_review(world, ref, london_today(now), "Ann Example")
    as_user(world, "pc.thanet")
    [awaiting] = prompts()
    assert awaiting.case_ref == ref and awaiting.record_id == review_id
    assert awaiting.what.startswith("Decide on the ASB Case Review")
    assert awaiting.due == london_today(now)

    as_user(world, "sup.thanet")
    case_review.decide(world, review_id, "review", london_today(now))
    assert {i.case_ref for i in prompts()} == {theirs}  # applied for: no prompt again



# ---------------------------------------------------------------- a change of risk later


def test_a_default_update_frequency_follows_the_cases_risk_when_it_changes(world) -> None:
    as_user(world, "pc.thanet")
    now = datetime.now(UTC)
    today = london_today(now)
    ref = new_case(world, now=now, risk="standard",
                   people=[cases.PersonInput(name="Ann Example", role="victim")])
    [plan] = victims.victim_plans(world, ref)
    assert (plan.frequency_days, plan.next_due) == (28, today + timedelta(days=28))

    change = cases.change_risk(world, ref, "high", today=today)
    assert [(c.before, c.after, c.kept_agreed) for c in change.victim_updates] == [(28, 7, False)]
    [plan] = victims.victim_plans(world, ref)
    assert (plan.frequency_days, plan.next_due) == (7, today + timedelta(days=7))
    assert plan.frequency_text() == "every 7 days"
    assert "every 7 days" in change.describe()
    item = next(i for i in day.my_day(world, now=now, days=14).items
                if i.kind is ItemKind.VICTIM_UPDATE and i.case_ref == ref)
    assert item.due == today + timedelta(days=7)
    assert "every 7 days" in item.what
    [entry] = [e for e in history_of(world, ref) if e.field == "update frequency"]
    assert (entry.old, entry.new, entry.reason) == ("every 28 days", "every 7 days",
                                                    "Risk changed to high")

    cases.set_risk(world, ref, "medium", today=today)  # lower: later, from the same start
    [plan] = victims.victim_plans(world, ref)
    assert (plan.frequency_days, plan.next_due) == (14, today + timedelta(days=14))


def test_an_agreed_update_frequency_is_kept_when_the_risk_changes_and_says_so(world) -> None:
    as_user(world, "pc.thanet")
    now = datetime.now(UTC)
    today = london_today(now)
    ref = new_case(world, now=now, risk="standard",
                   people=[cases.PersonInput(name="Ann Example", role="victim")])
    party = victim_id(world, ref)
    due = victims.set_frequency(world, ref, party, 21, "Prefers a call every three weeks")

    change = cases.change_risk(world, ref, "high", today=today)
    [kept] = change.victim_updates
    assert (kept.before, kept.after, kept.default, kept.kept_agreed) == (21, 21, 7, True)
    assert "as agreed" in change.describe() and "default is now 7 days" in change.describe()
    [plan] = victims.victim_plans(world, ref)
    assert (plan.frequency_days, plan.next_due, plan.default_days) == (21, due, 7)
    assert plan.kept_agreed
    assert "kept: the default for the case's risk is 7 days" in plan.frequency_text()
    assert not [e for e in history_of(world, ref) if e.field == "update frequency"]


def test_a_higher_risk_brings_an_update_due_today_never_overdue_at_once(world) -> None:
    as_user(world, "pc.thanet")
    now = datetime.now(UTC)
    today = london_today(now)
    ref = new_case(world, now=now - timedelta(days=30), risk="standard",
                   people=[cases.PersonInput(name="Ann Example", role="victim")])
    party = victim_id(world, ref)
    contacted = now - timedelta(days=20)
    assert victims.record_contact(world, ref, party, "phone", "Told her the plan",
                                  at=contacted) == london_today(contacted) + timedelta(days=28)
    cases.set_risk(world, ref, "high", today=today)  # 7 days from the contact: 13 days ago
    [plan] = victims.victim_plans(world, ref)
    assert (plan.frequency_days, plan.next_due) == (7, today)
    assert not plan.overdue(today)


def test_a_victim_corrected_to_vulnerable_or_a_triage_raising_risk_moves_the_updates(
        world) -> None:
    from asbtui.services import corrections

    as_user(world, "pc.thanet")
    now = datetime.now(UTC)
    today = london_today(now)
    ref = new_case(world, now=now, risk="standard",
                   people=[cases.PersonInput(name="Ann Example", role="victim")])
    corrections.correct_person(world, victim_id(world, ref),
                               corrections.PersonCorrection(vulnerable=True),
                               "She told us of her illness", now=now)
    [plan] = victims.victim_plans(world, ref)
    assert (plan.frequency_days, plan.next_due) == (7, today + timedelta(days=7))

    other = new_case(world, now=now, risk="standard",
                     people=[cases.PersonInput(name="Bob Example", role="victim")])
    triage.triage(world, other, ["threat"])  # a threat makes it high priority, high risk
    [plan] = victims.victim_plans(world, other)
    assert plan.frequency_days == 7


def history_of(store, ref: str):
    from asbtui.services import history

    return history.case_history(store, ref)


# ---------------------------------------------------------------- a day of many items


def test_my_day_stops_at_its_limit_with_the_soonest_items_and_says_there_are_more(
        world) -> None:
    as_user(world, "pc.thanet")
    now = datetime.now(UTC)
    today = london_today(now)
    refs = [new_case(world, now=now) for _ in range(3)]
    for n, ref in enumerate(refs):  # tasks due 5, 3 and 1 days ago, then today
        tasks.add_task(world, ref, f"Task {n}", today - timedelta(days=5 - 2 * n),
                       officer="PC 101", today=today - timedelta(days=10))
    tasks.add_task(world, refs[0], "Task today", today, officer="PC 101")
    everything = day.my_day(world, now=now)
    assert not everything.truncated and len(everything.items) > 3
    soonest = day.my_day(world, now=now, limit=3)
    assert soonest.truncated
    assert soonest.items == everything.items[:3]
    assert [i.what for i in soonest.items] == ["Task 0", "Task 1", "Task 2"]

    as_user(world, "pc.other")
    late = new_case(world, owner="PC 102", now=now)
    tasks.add_task(world, late, "Oldest of all", today - timedelta(days=9), officer="PC 102",
                   today=today - timedelta(days=10))
    as_user(world, "sup.thanet")
    # A supervisor's limit keeps the soonest of the districts, then groups them by officer.
    grouped = day.my_day(world, now=now, limit=2)
    assert grouped.truncated
    assert [i.what for i in grouped.items] == ["Task 0", "Oldest of all"]


def test_my_day_without_prompts_leaves_out_only_the_case_review_prompts(world) -> None:
    as_user(world, "pc.thanet")
    now = datetime.now(UTC)
    ref = new_case(world, now=now - timedelta(days=40),
                   people=[cases.PersonInput(name="Ann Example", role="victim")])
    _reports(world, ref, case_review.DEFAULT_THRESHOLD, now)
    full = day.my_day(world, now=now)
    assert ItemKind.CASE_REVIEW in {i.kind for i in full.items}
    quick = day.my_day(world, now=now, prompts=False)
    assert quick.items == [i for i in full.items if i.kind is not ItemKind.CASE_REVIEW]
