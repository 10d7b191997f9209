"""The officer's working loop, driven with the keys through Textual's pilot."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import supervisor_everywhere
from pilot_wait import workers_done
from textual.geometry import Region
from textual.widgets import DataTable, Input, Static, TextArea

from asbtui.app import HOME, AsbApp
from asbtui.config import Settings
from asbtui.db import open_store
from asbtui.models import District
from asbtui.screens.case import CaseScreen
from asbtui.screens.queue import QueueScreen
from asbtui.services import cases, demo
from asbtui.widgets.case_table import CaseTable

AS_OF = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
MARKUP = "[bold]x[/] [@click=app.quit]q[/] \x1b[31mred"


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    with open_store(path, create=True) as store:
        demo.build_demo(store, cases=400, seed=3, as_of=AS_OF)
    return path


@pytest.fixture
def store(demo_file: Path, tmp_path: Path):
    path = tmp_path / "store.db"
    shutil.copy(demo_file, path)
    with open_store(path) as opened:
        opened.actor = supervisor_everywhere(opened)
        yield opened


def make_app(store) -> AsbApp:
    return AsbApp(store, settings=Settings(db=store.path), clock=lambda: AS_OF,
                  start_view=HOME)


async def settle(pilot) -> None:
    await workers_done(pilot.app)
    await pilot.pause()
    await workers_done(pilot.app)
    await pilot.pause()


def widget_text(widget) -> str:
    """What a widget shows on screen, as plain text."""
    lines = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return "\n".join(line.text for line in lines)


def table_refs(app: AsbApp) -> list[str]:
    table = app.screen.query_one(CaseTable)
    return [str(key.value) for key in table.rows]


async def test_queue_opens_on_the_device_officers_district_most_urgent_first(store) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        refs = table_refs(app)
        assert refs and all(ref.startswith("THA-") for ref in refs)

        # High-risk cases, and cases with a vulnerable victim, come first.
        def top(ref: str) -> bool:
            detail = cases.case_detail(store, ref)
            return detail.risk.value == "high" or any(
                p.vulnerable and p.role.value == "victim" for p in detail.parties
            )

        flags = [top(ref) for ref in refs]
        assert flags[0] and flags == sorted(flags, reverse=True)
        status = str(app.screen.query_one("#queue-status", Static).render())
        assert f"{len(refs)} of" in status


async def test_filter_open_case_add_incident_and_back(store) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        # Filter to high risk with the filter form: tab to Risk, choose High, save.
        await pilot.press("f")
        await pilot.pause()
        await pilot.press("tab", "tab", "enter")  # status, category, then open Risk
        await pilot.pause()
        await pilot.press("down", "down", "down", "enter")  # Any, Standard, Medium, High
        await pilot.pause()
        assert app.screen.query_one("#risk").value == "high"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        table = app.screen.query_one(CaseTable)
        assert table.row_count > 0
        assert {table.get_row(key)[1].plain.split()[0] for key in table.rows} == {"High"}
        first = table_refs(app)[0]

        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        assert app.screen.ref == first
        before = len(cases.case_detail(store, first).incidents)

        await pilot.press("i")
        await pilot.pause()
        incident_form = app.screen
        incident_form.query_one("#occurred_at", Input).value = "24/11/2026 23:30"
        incident_form.query_one("#incident_type").value = "noise"
        incident_form.query_one("#description").text = f"Music until 2am {MARKUP}"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        detail = cases.case_detail(store, first)
        assert len(detail.incidents) == before + 1
        incidents = app.screen.query_one("#incidents", DataTable)
        assert incidents.row_count == before + 1

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert table_refs(app)[0] == first


async def test_intake_form_refuses_bad_input_field_by_field_then_opens_the_case(store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        form = app.screen
        error = str(form.query_one("#category-error", Static).render())
        assert "Choose a category" in error
        form.query_one("#category").value = "nuisance"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Summary is required." in str(form.query_one("#summary_line-error", Static).render())
        form.query_one("#summary_line", TextArea).text = f"Loud parties {MARKUP}"
        form.query_one("#location", Input).value = f"7 Harbour Street {MARKUP}"
        form.query_one("#name", Input).value = "Ann Example"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        ref = app.screen.ref
        detail = cases.case_detail(store, ref)
        assert detail.summary == f"Loud parties {MARKUP}"
        assert detail.parties[0].name == "Ann Example"
        assert detail.district is District.THA


async def test_markup_typed_in_a_form_shows_literally_in_queue_and_case(store) -> None:
    ref = cases.create_case(
        store,
        cases.NewCase(
            district="THA",
            category="nuisance",
            risk="high",
            summary=f"Summary {MARKUP}",
            location=f"Loc {MARKUP}",
            people=[cases.PersonInput(name=f"Name {MARKUP}")],
        ),
    )
    app = make_app(store)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await pilot.press(*"Loc")
        await pilot.pause(0.4)
        await settle(pilot)
        table = app.screen.query_one(CaseTable)
        assert ref in table_refs(app)
        location = table.get_cell(ref, "location")
        typed = "Loc [bold]x[/] [@click=app.quit]q[/] \u241b[31mred"
        # Cut with "…" to the column's width; in full in the detail line.
        assert location.plain.endswith("…") and typed.startswith(location.plain[:-1])
        assert not location.spans  # nothing was parsed as markup
        await pilot.press("enter")  # from the search box back to the table
        table.move_cursor(row=table.get_row_index(ref))
        await pilot.pause()
        detail = app.screen.query_one("#queue-detail", Static).render()
        assert typed in str(detail) and not any("link" in str(s.style) for s in detail.spans)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        summary = widget_text(app.screen.query_one("#case-summary", Static))
        assert "Summary [bold]x[/] [@click=app.quit]q[/] \u241b[31mred" in summary
        assert "Loc [bold]x[/]" in summary
        people = app.screen.query_one("#people", DataTable)
        name_cell = people.get_row_at(0)[1]
        assert name_cell.plain == "Name [bold]x[/] [@click=app.quit]q[/] \u241b[31mred"
        assert "\x1b" not in name_cell.plain
        assert app.is_running  # the [@click=app.quit] text did not quit the app


async def test_switch_district_and_my_cases(store) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await pilot.pause()
        # The choice list starts on the current district (THA); move to TON.
        await pilot.press("down", "enter")
        await settle(pilot)
        assert all(ref.startswith("TON-") for ref in table_refs(app))
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert all(ref.startswith("THA-") for ref in table_refs(app))
        await pilot.press("m")
        await settle(pilot)
        officer = cases.device_officer(store)
        assert officer is not None
        table = app.screen.query_one(CaseTable)
        assert table.row_count > 0
        assert {table.get_cell(key, "owner").plain for key in table.rows} == {officer.name}


async def test_sort_by_column_and_reverse(store) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await pilot.pause()
        app.screen.query_one("OptionList").highlighted = 1  # Reference
        await pilot.press("enter")
        await settle(pilot)
        refs = table_refs(app)
        assert refs == sorted(refs)
        await pilot.press("r")
        await settle(pilot)
        assert table_refs(app) == sorted(refs, reverse=True)


async def test_change_status_to_closed_needs_a_reason(store) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        ref = table_refs(app)[0]
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("s")
        await pilot.pause()
        form = app.screen
        form.query_one("#status").value = "closed"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "reason" in str(form.query_one("#closure_reason-error", Static).render())
        form.query_one("#closure_reason").value = "resolved"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "summary" in str(form.query_one("#closing_summary-error", Static).render())
        form.query_one("#closing_summary").text = "Music stopped after a warning letter"
        form.query_one("#victim_asked").value = True
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "answer" in str(form.query_one("#victim_satisfaction-error", Static).render())
        form.query_one("#victim_satisfaction").value = "satisfied"
        await pilot.press("ctrl+s")
        await settle(pilot)
        closed = cases.case_detail(store, ref)
        assert closed.status.value == "closed" and closed.next_review is None
        assert closed.victim_satisfaction.value == "satisfied"
        await pilot.press("escape")
        await settle(pilot)
        assert ref not in table_refs(app)  # closed cases leave the open queue


async def test_help_and_palette_list_the_screens_actions(store) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for action in ("Search", "District", "Filter", "My cases", "Sort", "New case"):
            assert action in titles
        await pilot.press("f1")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        await pilot.press("enter")
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for action in (
            "Add incident",
            "Add person",
            "Change status",
            "Give the case to an officer",
            "Set the next review date",
            "Set the risk to the victim",
            "Start an enforcement action",
            "Record the next step of an action",
        ):
            assert action in titles


@pytest.mark.parametrize("slow", [False, True], ids=["quick", "slow machine"])
async def test_keys_typed_as_a_form_opens_go_into_its_first_field(
        store, slow, monkeypatch) -> None:
    from textual import events

    from asbtui.screens.party import PartyForm
    from asbtui.widgets import form as forms

    if slow:  # the keys arrive after the moment of opening has passed, focus still moving
        monkeypatch.setattr(forms, "EARLY_KEYS_SECONDS", 0.0)

    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        ref = app.screen.query_one(CaseTable).highlighted_ref()
        form = PartyForm(store, ref)
        app.push_screen(form)
        # Typed before the form has focused its first field: the keys reach the form.
        for character in "Rang":
            form.post_message(events.Key(character, character))
        for _ in range(40):  # a loaded machine may take a few frames to mount the form
            await pilot.pause(0.05)
            if form.query_one("#name", Input).value == "Rang":
                break
        assert form.query_one("#name", Input).value == "Rang"


async def test_the_case_screen_cuts_typed_text_with_a_sign_and_says_it_in_full(store) -> None:
    # Issue 21 (5): at 80 columns a long description is cut with "…" inside the screen,
    # never by its edge, and the detail line has it in full; one report is "1 report".
    said = ("Shouting and banging on the shared wall every night this week, the neighbour "
            "says the children cannot sleep and she is afraid to complain again")
    name = "Bartholomew Fitzwilliam-Montgomery-Harrington"
    ref = cases.create_case(store, cases.NewCase(
        district="THA", category="nuisance", risk="high", summary="Noise", location="Flat 2",
        people=[cases.PersonInput(name=name)]))
    cases.add_incident(store, ref, cases.NewIncident(
        AS_OF - timedelta(days=1), "101", "noise", said, crime_ref="46/12345/26"), now=AS_OF)
    app = AsbApp(store, settings=Settings(db=store.path, case_review_threshold=1),
                 clock=lambda: AS_OF, start_view=HOME)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(CaseScreen(ref))
        await settle(pilot)
        header = widget_text(app.screen.query_one("#case-header", Static))
        assert "CASE REVIEW THRESHOLD MET (1 report in 6 months)" in header
        for section in ("people", "incidents"):
            table = app.screen.query_one(f"#{section}", DataTable)
            assert table.virtual_size.width <= table.size.width, section  # nothing off screen
        incidents = app.screen.query_one("#incidents", DataTable)
        cell = incidents.get_row_at(0)[3].plain
        assert cell.endswith("…") and said.startswith(cell[:-1])
        person = app.screen.query_one("#people", DataTable).get_row_at(0)[1].plain
        assert person == name or (person.endswith("…") and name.startswith(person[:-1]))
        incidents.focus()
        await pilot.pause()
        assert said in str(app.screen.query_one("#row-detail", Static).render())

        await pilot.resize_terminal(160, 40)
        await settle(pilot)
        cell = app.screen.query_one("#incidents", DataTable).get_row_at(0)[3].plain
        assert len(cell) == 50 and said.startswith(cell[:-1])  # cut again to the new width


async def test_the_case_screen_is_composed_once_and_refilled_for_the_next_case(store) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        first, second = table_refs(app)[:2]
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CaseScreen) and screen.ref == first
        focused_at_first = screen.focused.id if screen.focused else None
        tables = {section: screen.query_one(f"#{section}", DataTable)
                  for section in ("people", "incidents")}
        # What a visit leaves behind: a section chosen, details shown for a reason.
        await pilot.press("2")
        await settle(pilot)
        screen.people_shown = {"someone": cases.case_detail(store, first).parties[0]}
        screen.changed = True

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.screen is screen  # the same screen, its widgets kept
        assert {s: screen.query_one(f"#{s}", DataTable) for s in tables} == tables
        assert screen.ref == second and screen.detail and screen.detail.ref == second
        assert screen.people_shown == {} and not screen.changed
        assert (screen.focused.id if screen.focused else None) == focused_at_first
        header = widget_text(screen.query_one("#case-header", Static))
        assert second in header and first not in header
        incidents = cases.case_detail(store, second).incidents
        assert tables["incidents"].row_count == max(len(incidents), 1)
        assert {str(k.value) for k in tables["incidents"].rows} <= (
            {i.id for i in incidents} | {"none"})

        # A case opened while the kept screen is in use gets a screen of its own.
        app.open_case(first)
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen) and app.screen is not screen
        assert app.screen.ref == first
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and screen.ref == second


async def test_a_next_page_comes_with_the_marks_of_the_officers_day(store) -> None:
    # A next page's first contacts and victim updates are fetched with it and drawn with
    # its rows: the marks shown are the same as the service gives for every loaded row.
    from asbtui.services import day

    app = AsbApp(store, settings=Settings(db=store.path, page_size=20), clock=lambda: AS_OF,
                 start_view=HOME)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        screen._set_district(None)  # all districts: pages enough to go on to
        await settle(pilot)
        table = screen.query_one(CaseTable)
        for _ in range(3):
            table.move_cursor(row=table.row_count - 1)
            await settle(pilot)
        refs = [str(key.value) for key in table.rows]
        assert len(refs) > 40
        today = AS_OF.date()
        expected = day.queue_marks(store, refs, today=today)
        assert expected, "the demo has first contacts or victim updates to mark"
        assert {ref: table.day_marks[ref] for ref in expected} == expected
        assert set(table.day_marks) <= set(expected)


async def test_the_queue_composes_its_footer_keys_once_as_it_starts(store, monkeypatch) -> None:
    # Each compose makes and styles some fifteen key widgets: the focus went to the search
    # box first, then the table, and each bindings update while a compose was pending asked
    # for another (four as the queue started).
    from asbtui.widgets.footer import Footer

    composed: list[str] = []
    compose = Footer.compose

    def counted(self):  # noqa: ANN001, ANN202
        composed.append(type(self.screen).__name__)
        return compose(self)

    monkeypatch.setattr(Footer, "compose", counted)
    async with make_app(store).run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.pause(0.2)
        assert isinstance(pilot.app.screen, QueueScreen)
        assert pilot.app.screen.query_one(CaseTable).has_focus
    assert composed.count("QueueScreen") <= 2, composed


async def test_what_follows_the_first_page_waits_for_its_frame_to_reach_the_terminal(
        store) -> None:
    # In a terminal, the count, the review and day marks and the header's sync state start
    # a grace period after the first page's frame (a slow terminal is still reading it);
    # headless, right after the refresh. Later pages and reloads do not wait.
    app = make_app(store)
    assert app.first_frame_grace is None  # FIRST_FRAME_GRACE in a terminal, 0 headless
    app.first_frame_grace = 2.0
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        table = screen.query_one(CaseTable)
        for _ in range(50):
            await pilot.pause(0.02)
            if table.row_count:
                break
        await pilot.pause(0.05)
        assert table.row_count > 0
        status = widget_text(screen.query_one("#queue-status", Static))
        assert " of … cases" in status  # not counted yet
        assert not [w for w in app.workers if w.group in ("count", "flags", "day-marks")]
        await pilot.pause(2.2)
        await settle(pilot)
        counted = widget_text(screen.query_one("#queue-status", Static))
        assert " of … " not in counted and "cases · sorted by" in counted
        # A reload is counted straight after its frame, as before.
        screen.reload()
        await settle(pilot)
        assert " of … " not in widget_text(screen.query_one("#queue-status", Static))
