"""A closure walked from notice to order on the case screen, and the deadlines screen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fresh import new_store
from pilot_wait import workers_done
from textual.widgets import DataTable, TextArea

from asbtui.app import AsbApp
from asbtui.config import Settings
from asbtui.dates import format_datetime
from asbtui.models import DeadlineStatus, Power
from asbtui.screens.case import CaseScreen
from asbtui.screens.deadlines import DeadlinesScreen
from asbtui.services import cases, enforcement
from asbtui.widgets.choice import ChoiceScreen

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    with new_store(tmp_path / "s.db") as opened:
        yield opened


@pytest.fixture
def ref(store) -> str:
    return cases.create_case(
        store,
        cases.NewCase(
            district="THA",
            category="nuisance",
            risk="high",
            location="14 Invicta Road, Margate",
            summary="Drug dealing and gatherings",
            people=[cases.PersonInput(name="Ann Example")],
        ),
        now=NOW - timedelta(days=30),
    )


async def settle(pilot) -> None:
    await workers_done(pilot.app)
    await pilot.pause()
    await workers_done(pilot.app)
    await pilot.pause()


def fill(screen, **values) -> None:
    for name, value in values.items():
        widget = screen.query_one(f"#{name}")
        if isinstance(widget, TextArea):
            widget.text = value
        else:
            widget.value = value


async def test_closure_from_notice_to_order_on_the_case_screen(store, ref) -> None:
    app = AsbApp(store, settings=Settings(db=store.path), clock=lambda: NOW)
    served = NOW - timedelta(hours=30)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_case(ref)
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)

        # e: start a closure notice, first with too long a period for an inspector.
        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        fill(
            form,
            power=Power.CLOSURE.value,
            concerns="14 Invicta Road, Margate",
            occurred_at=format_datetime(served),
            authority="inspector",
            authorised_by="Insp Example",
            ends_at=format_datetime(served + timedelta(hours=30)),
            documents="CN-1",
        )
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form  # refused, with the reason beside the field
        assert "at most 24 hours" in str(form.query_one("#ends_at-error").render())
        fill(form, ends_at=format_datetime(served + timedelta(hours=24)))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        detail = cases.case_detail(store, ref)
        hearing = served + timedelta(hours=48)
        assert detail.next_deadline_at == served + timedelta(hours=24)
        kinds = {d.kind: d for d in enforcement.case_deadlines(store, detail.id)}
        assert kinds["closure_hearing"].due_at == hearing

        # t: extend the notice by a superintendent (before it ends) to 48 hours in all.
        app.screen.query_one("#actions", DataTable).focus()
        await pilot.press("t")
        await pilot.pause()
        step = app.screen
        fill(
            step,
            stage="notice_extended",
            occurred_at=format_datetime(served + timedelta(hours=20)),
            authority="superintendent",
            ends_at=format_datetime(served + timedelta(hours=48)),
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
        # What the law allows next is offered at once; escape leaves it for later.
        assert isinstance(app.screen, ChoiceScreen)
        assert any("Order granted" in str(label) or "order" in str(label).lower()
                   for label, _ in app.screen.choices)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)

        # t: the court grants a closure order; 4 months is refused, 3 months accepted.
        await pilot.press("t")
        await pilot.pause()
        step = app.screen
        granted = served + timedelta(hours=29)
        fill(
            step,
            stage="order_granted",
            occurred_at=format_datetime(granted),
            authority="court",
            ends_at=format_datetime(granted + timedelta(days=122)),
        )
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is step
        assert "at most 3 months" in str(step.query_one("#ends_at-error").render())
        fill(step, ends_at=format_datetime(granted + timedelta(days=89)))
        await pilot.press("ctrl+s")
        await settle(pilot)
        if isinstance(app.screen, ChoiceScreen):
            await pilot.press("escape")
            await settle(pilot)
        assert isinstance(app.screen, CaseScreen)

        actions = enforcement.case_actions(store, detail.id)
        assert [s.stage for s in actions[0].steps] == [
            "notice_issued",
            "notice_extended",
            "order_granted",
        ]
        deadlines = {d.kind: d for d in enforcement.case_deadlines(store, detail.id)}
        assert deadlines["closure_hearing"].status is DeadlineStatus.COMPLETED
        assert deadlines["closure_order_expiry"].status is DeadlineStatus.OPEN
        table = app.screen.query_one("#actions", DataTable)
        assert "Closure order granted" in table.get_row_at(0)[1].plain


async def test_deadlines_screen_lists_overdue_first_and_marks_missed_with_a_reason(
    store, ref
) -> None:
    given = NOW - timedelta(days=20)
    enforcement.start_action(
        store,
        ref,
        enforcement.NewAction(power="cpw", concerns="Tenant", conduct="Loud music"),
        enforcement.StepInput(
            occurred_at=given, authority="constable", ends_at=given + timedelta(days=14)
        ),
        now=NOW,
    )
    app = AsbApp(store, settings=Settings(db=store.path), clock=lambda: NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, DeadlinesScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 1
        assert table.get_row_at(0)[1].plain.startswith("overdue")
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("ctrl+s")  # no reason: refused
        await pilot.pause()
        assert "Say why" in str(app.screen.query_one("#note-error").render())
        app.screen.query_one("#note", TextArea).text = "Officer on leave; follow-up booked"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, DeadlinesScreen)
        assert app.screen.query_one(DataTable).row_count == 0
    assert enforcement.upcoming_deadlines(store, now=NOW) == []


async def test_a_cpn_after_a_cpw_not_complied_with_carries_the_person_and_conduct(
    store, ref
) -> None:
    given = NOW - timedelta(days=20)
    detail = cases.case_detail(store, ref)
    person = detail.parties[0]
    enforcement.start_action(
        store,
        ref,
        enforcement.NewAction(power="cpw", subject_party_id=person.id,
                              conduct="Loud music after 11pm\nand shouting in the street"),
        enforcement.StepInput(
            occurred_at=given, authority="constable", ends_at=given + timedelta(days=14)
        ),
        now=NOW,
    )
    app = AsbApp(store, settings=Settings(db=store.path), clock=lambda: NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_case(ref)
        await settle(pilot)
        app.screen.query_one("#actions", DataTable).focus()
        await pilot.press("t")
        await pilot.pause()
        fill(app.screen, stage="not_complied", occurred_at=format_datetime(NOW))
        await pilot.press("ctrl+s")
        await settle(pilot)

        # Offered at once: a CPN on the same person; Nothing now is highlighted.
        choice = app.screen
        assert isinstance(choice, ChoiceScreen)
        values = [value for _, value in choice.choices]
        assert values == [f"power:{Power.CPN.value}", "later"]
        await pilot.press("up", "enter")
        await settle(pilot)
        form = app.screen
        assert form.value("power") == Power.CPN.value
        assert form.value("subject_party_id") == person.id
        assert form.value("conduct") == "Loud music after 11pm\nand shouting in the street"
        assert isinstance(form.query_one("#conduct"), TextArea)  # long text: several lines
        fill(form, occurred_at=format_datetime(NOW), authority="constable")
        await pilot.press("ctrl+s")
        await settle(pilot)
        if isinstance(app.screen, ChoiceScreen):
            await pilot.press("escape")
            await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
    actions = enforcement.case_actions(store, detail.id)
    cpn = next(a for a in actions if a.power is Power.CPN)
    assert cpn.concerns == person.name
    assert cpn.conduct.startswith("Loud music after 11pm")
