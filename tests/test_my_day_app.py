"""The officer's day in the app, driven with the keys: My day, the case's plan, partners."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from conftest import AS_OF
from pilot_wait import workers_done
from textual.widgets import DataTable, Input, TextArea

from asbtui.app import AsbApp
from asbtui.config import Settings
from asbtui.db import open_store
from asbtui.screens.case import CaseScreen
from asbtui.screens.case_plan import CasePlanScreen
from asbtui.screens.login import LoginScreen
from asbtui.screens.my_day import MyDayScreen
from asbtui.services import day, tasks, users, victims
from asbtui.services.day import ItemKind

PINS = {"pc.thanet": "271828", "tdc.partner": "141421", "sup.thanet": "314159"}


@pytest.fixture
def demo(demo_path):
    with open_store(demo_path) as store:
        yield store


def make_app(store, **settings) -> AsbApp:
    return AsbApp(store, settings=Settings(db=store.path, **settings), clock=lambda: AS_OF)


async def settle(pilot) -> None:
    await workers_done(pilot.app)
    await pilot.pause()
    await workers_done(pilot.app)
    await pilot.pause()


async def sign_in(pilot, username: str) -> None:
    screen = pilot.app.screen
    screen.query_one("#username", Input).value = username
    screen.query_one("#pin", Input).value = PINS[username]
    screen.query_one("#pin", Input).focus()
    await pilot.press("enter")
    await settle(pilot)


def rows(app) -> list[str]:
    return [str(k.value) for k in app.screen.query_one("#records", DataTable).rows]


async def test_my_day_opens_after_sign_in_and_enter_opens_the_case(demo) -> None:
    app = make_app(demo, my_day_at_sign_in=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        await sign_in(pilot, "pc.thanet")
        assert isinstance(app.screen, MyDayScreen)
        items = list(app.screen.records.values())
        assert items and len({i.officer for i in items}) == 1  # their own day only
        first = items[0]
        assert first.due_at == min(i.due_at for i in items)  # soonest (most overdue) first
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen) and app.screen.ref == first.case_ref
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MyDayScreen)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("f2")  # from anywhere
        await settle(pilot)
        assert isinstance(app.screen, MyDayScreen)


async def test_a_case_review_prompt_is_listed_and_opens_its_case(demo) -> None:
    app = make_app(demo, my_day_at_sign_in=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await sign_in(pilot, "pc.thanet")
        assert isinstance(app.screen, MyDayScreen)
        keys = rows(app)
        prompt = next(i for i in app.screen.records.values()
                      if i.kind is ItemKind.CASE_REVIEW)
        assert prompt.what.startswith("Consider an ASB Case Review: ")
        table = app.screen.query_one("#records", DataTable)
        table.move_cursor(row=keys.index(f"case_review:{prompt.record_id}"))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen) and app.screen.ref == prompt.case_ref


async def test_recording_a_victim_contact_moves_the_next_update(demo) -> None:
    users.sign_in(demo, "pc.thanet", PINS["pc.thanet"])
    item = next(i for i in day.my_day(demo, now=AS_OF).items
                if i.kind is ItemKind.VICTIM_UPDATE)
    [before] = [p for p in victims.victim_plans(demo, item.case_ref)
                if p.next_due == item.due][:1]
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.push_screen(CasePlanScreen(item.case_ref))
        await settle(pilot)
        table = app.screen.query_one("#records", DataTable)
        table.move_cursor(row=rows(app).index(f"victim:{before.party_id}"))
        await pilot.press("u")
        await settle(pilot)
        app.screen.query_one("#said", Input).value = "Told her the warning letter went out"
        app.screen.query_one("#victim_view", Input).value = "Relieved"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CasePlanScreen)
    after = next(p for p in victims.victim_plans(demo, item.case_ref)
                 if p.party_id == before.party_id)
    assert after.contacts[0].said == "Told her the warning letter went out"
    assert after.next_due > before.next_due
    assert after.next_due >= AS_OF.date() + timedelta(days=before.frequency_days)


async def test_a_partner_completes_its_agencys_task(demo) -> None:
    users.sign_in(demo, "tdc.partner", PINS["tdc.partner"])
    [task] = tasks.agency_tasks(demo)[:1]
    users.sign_out(demo)
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await sign_in(pilot, "tdc.partner")
        app.push_screen(CasePlanScreen(task.case_ref))
        await settle(pilot)
        assert f"task:{task.id}" in rows(app)
        assert not any(r.startswith(("first", "victim:")) for r in rows(app))
        app.screen.query_one("#records", DataTable).move_cursor(
            row=rows(app).index(f"task:{task.id}"))
        await pilot.press("n")  # not a partner's key
        await settle(pilot)
        assert isinstance(app.screen, CasePlanScreen)
        await pilot.press("c")
        await settle(pilot)
        app.screen.query_one("#outcome", Input).value = "Alley gated"
        await pilot.press("ctrl+s")
        await settle(pilot)
    done = next(t for t in tasks.case_tasks(demo, task.case_ref) if t.id == task.id)
    assert done.outcome == "Alley gated" and done.done_on is not None


async def test_a_conference_allocates_an_action_that_becomes_a_task(demo) -> None:
    from asbtui.screens.conferences import ConferenceScreen, ConferencesScreen
    from asbtui.services import conferences

    users.sign_in(demo, "pc.thanet", PINS["pc.thanet"])
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("C")
        await settle(pilot)
        assert isinstance(app.screen, ConferencesScreen)
        [conference] = app.screen.records.values()  # the demo's Invicta Road conference
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConferenceScreen)
        before = len(conference.actions)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        form.query_one("#what", Input).value = "Serve the Community Protection Warning"
        form.query_one("#officer", Input).value = "nobody"
        # Due in a fortnight by both the test's clock and the real one (which the
        # service's "not in the past" check reads): a fixed date would fall behind.
        due = max(AS_OF.date(), date.today()) + timedelta(days=14)
        form.query_one("#due_on", Input).value = due.strftime("%d/%m/%Y")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form  # an unknown officer: said beside the field
        form.query_one("#officer", Input).value = ""
        form.query_one("#agency", Input).value = "Thanet District Council"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConferenceScreen)
        assert sum(k.startswith("task:") for k in rows(app)) == before + 1
    view = conferences.conference(demo, conference.id)
    [action] = [t for t in view.actions if t.what == "Serve the Community Protection Warning"]
    assert action.owner == "Thanet District Council"
    assert any(t.id == action.id for t in tasks.case_tasks(demo, action.case_ref))


async def test_intake_triage_sets_the_priority_and_the_first_contact_target(demo) -> None:
    from textual.widgets import SelectionList

    from asbtui.models import RiskLevel
    from asbtui.services import triage

    users.sign_in(demo, "pc.thanet", PINS["pc.thanet"])
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        form.query_one("#category").value = "personal"
        form.query_one("#summary_line", TextArea).text = "Threats shouted at the neighbour"
        form.query_one("#factors", SelectionList).select("threat")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        ref = app.screen.ref
    view = triage.first_contact(demo, ref)
    assert view is not None and view.priority is RiskLevel.HIGH
    assert view.factors == ("threat",)
    assert view.due_at - view.reported_at == timedelta(hours=24)
