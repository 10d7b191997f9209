"""Putting records right on the case screen, with the keys: correct a person, an incident
and the case, remove a wrong entry, read the history; close and reopen properly."""

from __future__ import annotations

from conftest import AS_OF
from pilot_wait import workers_done
from textual.widgets import DataTable, Static

from asbtui.app import HOME, AsbApp
from asbtui.config import Settings
from asbtui.models import District
from asbtui.screens.case import CaseScreen
from asbtui.screens.correct import (
    CaseCorrectForm,
    IncidentCorrectForm,
    PersonCorrectForm,
    RemoveForm,
)
from asbtui.screens.history import HistoryScreen
from asbtui.services import cases, history, queue
from asbtui.services.matches import MatchQuery, intake_matches


def make_app(store) -> AsbApp:
    return AsbApp(store, settings=Settings(db=store.path), clock=lambda: AS_OF,
                  start_view=HOME)


async def settle(pilot) -> None:
    await workers_done(pilot.app)
    await pilot.pause()
    await workers_done(pilot.app)
    await pilot.pause()


def case_with_people_and_incidents(store) -> str:
    rows = queue.queue_page(store, queue.QueueQuery(district=District.THA), limit=50).rows
    for row in rows:
        detail = cases.case_detail(store, row.ref)
        if len(detail.parties) >= 1 and len(detail.incidents) >= 2:
            return row.ref
    raise AssertionError("no Thanet case with people and incidents")


def error(screen, name: str) -> str:
    return str(screen.query_one(f"#{name}-error", Static).render())


async def open_case(pilot, ref: str) -> CaseScreen:
    pilot.app.open_case(ref)
    await settle(pilot)
    assert isinstance(pilot.app.screen, CaseScreen)
    return pilot.app.screen


async def test_a_person_ticked_vulnerable_by_a_slip_is_corrected_with_a_reason(
        demo_store) -> None:
    ref = case_with_people_and_incidents(demo_store)
    person = cases.case_detail(demo_store, ref).parties[0]
    app = make_app(demo_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await open_case(pilot, ref)
        await pilot.press("1", "E")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, PersonCorrectForm)
        assert form.query_one("#name").value == person.name
        assert form.query_one("#address").disabled  # details hidden until v, for a reason
        form.query_one("#vulnerable").value = not person.vulnerable
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "reason" in error(form, "reason")
        form.query_one("#reason").value = "Ticked by a slip of the space bar"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert cases.case_detail(demo_store, ref).parties[0].vulnerable is not person.vulnerable
        await pilot.press("H")
        await settle(pilot)
        assert isinstance(app.screen, HistoryScreen)
        table = app.screen.query_one("#records", DataTable)
        assert table.row_count == 1
        assert "Ticked by a slip" in str(app.screen.query_one("#row-detail", Static).render())


async def test_a_wrong_incident_date_is_corrected_and_a_wrong_incident_removed(
        demo_store) -> None:
    ref = case_with_people_and_incidents(demo_store)
    before = cases.case_detail(demo_store, ref).incidents
    app = make_app(demo_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_case(pilot, ref)
        await pilot.press("2", "E")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, IncidentCorrectForm)
        form.query_one("#occurred_at").value = "01/11/2026 21:30"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "reason" in error(form, "reason")
        form.query_one("#reason").value = "Wrong day typed"
        await pilot.press("ctrl+s")
        await settle(pilot)
        corrected = next(i for i in cases.case_detail(demo_store, ref).incidents
                         if i.id == before[0].id)
        assert corrected.occurred_at.isoformat().startswith("2026-11-01T21:30")
        await pilot.press("2", "D")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, RemoveForm)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "reason" in error(form, "reason")
        await pilot.press(*"Entered on the wrong case")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert len(cases.case_detail(demo_store, ref).incidents) == len(before) - 1
        kinds = [(e.record_type, e.field) for e in history.case_history(demo_store, ref)]
        assert ("incident", "date and time") in kinds and ("incident", "removed") in kinds


async def test_correcting_the_case_district_moves_it_and_keeps_its_ref(demo_store) -> None:
    ref = case_with_people_and_incidents(demo_store)
    app = make_app(demo_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await open_case(pilot, ref)
        await pilot.press("d")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, CaseCorrectForm)
        form.query_one("#district").value = District.DOV
        form.query_one("#category").value = "environmental"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        detail = cases.case_detail(demo_store, ref)
        assert detail.ref == ref and detail.district is District.DOV
        assert "Dover" in str(screen.query_one("#case-header", Static).render())


async def test_intake_shows_the_open_case_at_the_address_and_adds_the_report_to_it(
        demo_store) -> None:
    from asbtui.screens.intake import IntakeForm
    from asbtui.widgets.choice import ChoiceScreen

    ref = case_with_people_and_incidents(demo_store)
    existing = cases.case_detail(demo_store, ref)
    app = make_app(demo_store)
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, IntakeForm)
        form.query_one("#category").value = "nuisance"
        form.query_one("#location").focus()
        await pilot.press(*existing.location.upper().replace(",", " "), "tab")
        await settle(pilot)
        assert ref in str(form.query_one("#intake-matches", Static).render())
        form.query_one("#summary_line").text = "Music again last night"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen)
        labels = [str(label) for label, _ in app.screen.choices]
        assert any(ref in label for label in labels)
        assert app.screen.choices[0][1] == ref
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen) and app.screen.ref == ref
        after = cases.case_detail(demo_store, ref)
        assert len(after.incidents) == len(existing.incidents) + 1
        assert any(i.description == "Music again last night" for i in after.incidents)


async def test_intake_shows_a_case_near_the_point_typed_and_refuses_a_wrong_point(
        demo_store) -> None:
    from asbtui.screens.intake import IntakeForm
    from asbtui.widgets.choice import ChoiceScreen

    invicta = [m.ref for m in intake_matches(demo_store, MatchQuery(
        location="14 Invicta Road, Margate"))]
    ref = invicta[0]
    assert cases.case_detail(demo_store, ref).point is not None  # the demo's story case
    app = make_app(demo_store)
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, IntakeForm)
        form.query_one("#category").value = "nuisance"
        form.query_one("#summary_line").text = "Gathering outside the shop again"
        form.query_one("#coordinates").focus()
        await pilot.press(*"1.3830, 51.3893")  # swapped: refused on saving
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert "look swapped" in str(form.query_one("#coordinates-error", Static).render())
        form.query_one("#coordinates").value = ""
        form.query_one("#coordinates").focus()
        await pilot.press(*"51.3893, 1.3830", "tab")
        await settle(pilot)
        shown = str(form.query_one("#intake-matches", Static).render())
        assert ref in shown and " m away" in shown
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen)
        assert any(ref in str(label) for label, _ in app.screen.choices)


async def test_intake_saves_a_new_case_linked_to_the_matches_when_asked(
        demo_store) -> None:
    from asbtui.screens.intake import IntakeForm

    ref = case_with_people_and_incidents(demo_store)
    location = cases.case_detail(demo_store, ref).location
    before = queue.queue_count(demo_store, queue.QueueQuery(district=District.THA))
    app = make_app(demo_store)
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, IntakeForm)
        form.query_one("#category").value = "environmental"
        form.query_one("#location").value = location
        form.query_one("#summary_line").text = "Fly-tipping in the alley behind"
        await pilot.press("ctrl+s")
        await pilot.pause()
        from textual.widgets import OptionList

        from asbtui.screens.intake import LINKED_CASE

        choice = app.screen
        wanted = [value for _, value in choice.choices].index(LINKED_CASE)
        choice.query_one(OptionList).highlighted = wanted
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen) and app.screen.ref != ref
        new = app.screen.ref
    assert queue.queue_count(demo_store, queue.QueueQuery(district=District.THA)) == before + 1
    assert ref in [v.ref for v in cases.case_detail(demo_store, new).links]


async def test_ctrl_f_finds_a_person_across_the_force_and_opens_their_case(demo_store) -> None:
    from asbtui.screens.people import PeopleScreen, PersonSearchForm

    ref = queue.queue_page(demo_store, queue.QueueQuery(district=District.MED)).rows[0].ref
    person = next(p for p in cases.case_detail(demo_store, ref).parties)
    app = make_app(demo_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+f")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, PersonSearchForm)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "name, an address or a phone" in error(form, "name")
        await pilot.press(*person.name.lower(), "ctrl+s")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PeopleScreen)
        assert ref in {h.ref for h in screen.records.values()}
        table = screen.query_one("#records", DataTable)
        table.move_cursor(row=table.get_row_index(person.id))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen) and app.screen.ref == ref


async def test_linking_then_merging_from_the_case_screen(demo_store) -> None:
    from asbtui.screens.correct import LinkForm, MergeForm

    rows = queue.queue_page(demo_store, queue.QueueQuery(district=District.THA)).rows
    first, second, third = (r.ref for r in rows[:3])
    app = make_app(demo_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await open_case(pilot, first)
        await pilot.press("L")
        await pilot.pause()
        assert isinstance(app.screen, LinkForm)
        await pilot.press(*second.lower(), "ctrl+s")
        await settle(pilot)
        assert [v.ref for v in screen.detail.links] == [second]
        await pilot.press("g")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen) and app.screen.ref == second
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("M")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, MergeForm)
        await pilot.press(*third, "ctrl+s")
        await pilot.pause()
        assert "reason" in error(form, "reason")
        form.query_one("#reason").value = "Same problem reported twice"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.detail.ref == third and first in screen.detail.merged_refs


async def test_a_supervisor_reopens_a_closed_case_for_a_reason(demo_store) -> None:
    from asbtui.screens.status import StatusForm

    ref = case_with_people_and_incidents(demo_store)
    cases.close_case(demo_store, ref, "resolved", "Music stopped", False)
    app = make_app(demo_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await open_case(pilot, ref)
        assert "Next review: none" in str(screen.query_one("#case-header", Static).render())
        await pilot.press("s")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, StatusForm) and form.reopening
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "reason" in error(form, "reason")
        form.query_one("#reason").value = "Two new reports this week"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert cases.case_detail(demo_store, ref).status.value == "open"
    reopened = [e for e in history.case_history(demo_store, ref) if e.field == "status"][-1]
    assert reopened.reason == "Two new reports this week"


async def test_the_incident_form_shows_other_cases_at_the_place_typed(demo_store) -> None:
    from asbtui.screens.incident import IncidentForm

    rows = queue.queue_page(demo_store, queue.QueueQuery(district=District.THA)).rows
    here, other = rows[0].ref, next(r for r in rows[1:] if r.location)
    app = make_app(demo_store)
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        await open_case(pilot, here)
        await pilot.press("i")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, IncidentForm)
        form.query_one("#location").focus()
        await pilot.press(*other.location.lower(), "tab")
        await settle(pilot)
        panel = form.query_one("#incident-matches", Static)
        assert panel.display and other.ref in str(panel.render())
