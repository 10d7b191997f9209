"""Top-level views are places to switch between, not a stack; drill-downs still stack."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import supervisor_everywhere
from pilot_wait import workers_done

from asbtui.app import HOME, AsbApp
from asbtui.config import Settings
from asbtui.db import open_store
from asbtui.models import District, Role
from asbtui.screens.case import CaseScreen
from asbtui.screens.dashboard import DashboardScreen
from asbtui.screens.patterns import PatternsScreen
from asbtui.screens.queue import QueueScreen
from asbtui.screens.trends import TrendsScreen
from asbtui.services import demo
from asbtui.services.access import Actor
from asbtui.widgets.case_table import CaseTable

AS_OF = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    with open_store(path, create=True) as store:
        demo.build_demo(store, cases=200, seed=5, as_of=AS_OF)
    return path


@pytest.fixture
def store(demo_file: Path, tmp_path: Path):
    path = tmp_path / "store.db"
    shutil.copy(demo_file, path)
    with open_store(path) as opened:
        opened.actor = supervisor_everywhere(opened)
        yield opened


def make_app(store, start_view: str | None = HOME) -> AsbApp:
    return AsbApp(store, settings=Settings(db=store.path), clock=lambda: AS_OF,
                  start_view=start_view)


async def settle(pilot) -> None:
    await workers_done(pilot.app)
    await pilot.pause()
    await workers_done(pilot.app)
    await pilot.pause()


async def test_switching_views_never_piles_up_and_escape_goes_to_the_queue(store) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        await pilot.press("right_square_bracket")  # Thanet -> the next district
        await settle(pilot)
        district = queue.query_now.district
        assert district is not None and district is not District.THA
        await pilot.press("down", "down", "down")
        highlighted = queue.query_one(CaseTable).highlighted_ref()

        await pilot.press("f3")
        await settle(pilot)
        patterns = app.screen
        assert isinstance(patterns, PatternsScreen)
        assert patterns.district is district  # opened for the district in view
        for key, kind in (("f7", TrendsScreen), ("f3", PatternsScreen), ("f7", TrendsScreen),
                          ("f3", PatternsScreen)):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, kind)
            assert len(app.screen_stack) == 1  # a view, never a pile
        assert app.screen is patterns
        assert patterns.district is district  # not silently all districts

        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is queue  # one escape, and the queue as it was left
        assert queue.query_now.district is district
        assert queue.query_one(CaseTable).highlighted_ref() == highlighted


async def test_a_view_returns_as_left_and_drill_downs_still_stack(store) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        queue = app.screen
        await pilot.press("f3")
        await settle(pilot)
        patterns = app.screen
        await pilot.press("a")  # this district -> all districts
        await settle(pilot)
        assert patterns.district is None
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is queue

        # Open a case from the queue (a drill-down), then switch away and back.
        ref = queue.query_one(CaseTable).highlighted_ref()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        await pilot.press("f3")
        await settle(pilot)
        assert app.screen is patterns and patterns.district is None  # still all districts
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen) and app.screen.ref == ref
        await pilot.press("escape")  # the drill-down pops back to the queue
        await settle(pilot)
        assert app.screen is queue


async def test_queue_keys_switch_to_the_dashboard_deadlines_and_pspos(store) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        queue = app.screen
        for key in ("D", "u", "P", "D"):
            await pilot.press(key)
            await settle(pilot)
            assert len(app.screen_stack) == 1
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen is queue
        assert app.current_mode == HOME


async def test_a_supervisor_lands_on_the_dashboard_on_their_own_district(store) -> None:
    officer = supervisor_everywhere(store)
    store.actor = Actor("sup.thanet", Role.SUPERVISOR, frozenset({District.THA, District.DOV}),
                        officer_id=officer.officer_id, full_name="Test Supervisor")
    app = make_app(store, start_view=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        dashboard = app.screen
        assert isinstance(dashboard, DashboardScreen)
        assert dashboard.districts == (District.DOV, District.THA)
        assert dashboard.workload_district is District.THA
        footer_keys = {b.binding.key for b in dashboard.active_bindings.values()
                       if b.binding.show}
        assert "escape" in footer_keys
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert app.screen.query_now.district is District.THA
        assert "D" in {b.binding.key for b in app.screen.active_bindings.values()
                       if b.binding.show}


async def test_chosen_queue_columns_are_kept_for_the_user(store, tmp_path) -> None:
    from textual.widgets import SelectionList

    from asbtui.preferences import Preferences
    from asbtui.screens.columns import ColumnPicker

    prefs = Preferences(tmp_path / "preferences.json")
    app = AsbApp(store, settings=Settings(db=store.path), clock=lambda: AS_OF,
                 start_view=HOME, preferences=prefs)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(CaseTable)
        assert "summary" in table.widths and "category" not in table.widths
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ColumnPicker)
        choices = app.screen.query_one(SelectionList)
        choices.deselect("summary")
        choices.deselect("owner")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "summary" not in table.widths
        assert {"category", "opened"} <= set(table.widths)  # room for them now
    assert prefs.get("test.supervisor", "queue_columns") == [
        "ref", "risk", "due", "status", "location", "category", "opened"]

    again = AsbApp(store, settings=Settings(db=store.path), clock=lambda: AS_OF,
                   start_view=HOME, preferences=prefs)
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "summary" not in again.screen.query_one(CaseTable).widths


async def test_the_sign_in_screen_of_a_demo_store_lists_its_users(demo_file, tmp_path) -> None:
    import sqlite3

    from textual.widgets import Static

    from asbtui.screens.login import LoginScreen

    path = tmp_path / "demo.db"
    shutil.copy(demo_file, path)
    with open_store(path) as demo_store:
        app = make_app(demo_store)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, LoginScreen)
            listed = str(app.screen.query_one(".demo-users", Static).render())
            assert "sup.thanet" in listed and "314159" in listed

    raw = sqlite3.connect(path)
    raw.execute("DELETE FROM store_meta WHERE key = 'demo'")  # a store not marked as a demo
    raw.commit()
    raw.close()
    with open_store(path) as real_store:
        app = make_app(real_store)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, LoginScreen)
            assert not app.screen.query(".demo-users")


async def test_a_patterns_cases_are_offered_with_status_location_and_summary(store) -> None:
    from textual.widgets import DataTable

    from asbtui.services import cases
    from asbtui.widgets.choice import ChoiceScreen

    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        patterns = app.screen
        await pilot.press("a")  # every district
        await settle(pilot)
        index = next((i for i, p in enumerate(patterns.rows) if len(p.case_refs) >= 2), None)
        assert index is not None, "the demo store has a pattern across cases"
        table = patterns.query_one(DataTable)
        table.move_cursor(row=table.get_row_index(str(index)))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceScreen)
        first_ref = patterns.rows[index].case_refs[0]
        detail = cases.case_detail(store, first_ref)
        label = app.screen.choices[0][0].plain
        assert label.startswith(first_ref) and detail.status.label in label
        assert detail.summary[:20] in label


async def test_the_footer_at_80_columns_keeps_help_the_palette_and_the_dashboard(store) -> None:
    from asbtui.widgets.footer import Footer

    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(Footer)
        keys = [getattr(w, "key", None) for w in footer.children]
        assert keys[0] == "f1"  # help first
        assert "ctrl+p" in keys and "D" in keys
        # Only whole keys: what is shown fits in the width.
        assert sum(w.outer_size.width for w in footer.children) <= 80
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        wider = [getattr(w, "key", None) for w in app.screen.query_one(Footer).children]
        assert len(wider) > len(keys)


async def test_patterns_say_what_is_being_found_at_once_and_fill_the_table_as_needed(
        store, monkeypatch) -> None:
    from textual.widgets import DataTable, Static

    from asbtui.screens import patterns as screen_module

    monkeypatch.setattr(screen_module, "SHOWN_AT_ONCE", 3)
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        patterns = app.screen
        assert isinstance(patterns, PatternsScreen)
        patterns.action_all_districts()  # the worker starts; nothing awaited yet
        title = patterns.query_one("#patterns-title", Static)
        assert "finding patterns" in str(title.render())
        await settle(pilot)
        assert "finding patterns" not in str(title.render())
        table = patterns.query_one(DataTable)
        assert len(patterns.rows) > 6, "the demo store has more patterns than two fills"
        assert table.row_count == 3
        table.move_cursor(row=2)
        await pilot.pause()
        assert table.row_count == 6
        for _ in range(len(patterns.rows) // 3 + 1):
            table.move_cursor(row=table.row_count - 1)
            await pilot.pause()
        assert table.row_count == len(patterns.rows)
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        assert patterns.rows[int(key)] is patterns.rows[-1]


async def test_every_view_is_read_again_when_returned_to(store) -> None:
    """A view is returned to as it was left (district, cursor), but read again as of now:
    a deadline that fell due while the officer was elsewhere shows as overdue, and what
    was written meanwhile (here, a report on a pattern's street from another window or
    device) shows without a key pressed."""
    from asbtui.app import VIEWS
    from asbtui.screens.deadlines import DeadlinesScreen
    from asbtui.services import cases, enforcement
    from asbtui.services.cases import NewIncident
    from asbtui.services.patterns import PatternKind

    now = [AS_OF]
    app = AsbApp(store, settings=Settings(db=store.path), clock=lambda: now[0],
                 start_view=HOME)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        deadlines = app.screen
        assert isinstance(deadlines, DeadlinesScreen)
        from textual.widgets import DataTable

        def time_left() -> list[str]:
            table = deadlines.query_one(DataTable)
            return [str(table.get_cell_at((row, 1))) for row in range(table.row_count)]

        before = (deadlines.overdue, time_left())
        await pilot.press("escape")
        await settle(pilot)
        now[0] = AS_OF + timedelta(days=10)  # ten days on, the app left open on the queue
        await pilot.press("u")
        await settle(pilot)
        assert app.screen is deadlines
        fresh = enforcement.deadlines_page(store, district=deadlines.district,
                                           days=deadlines.days, now=now[0], limit=200)
        assert [d.id for d in deadlines.rows] == [d.id for d in fresh.rows]
        assert deadlines.overdue == fresh.overdue > before[0]  # fell due while away
        assert time_left() != before[1]

        await pilot.press("f3")
        await settle(pilot)
        patterns = app.screen
        assert isinstance(patterns, PatternsScreen)
        await pilot.press("a")  # every district: a small store's district may have none
        await settle(pilot)
        street = next(p for p in patterns.rows if p.kind is PatternKind.STREET)
        await pilot.press("escape")
        await settle(pilot)
        with store.engine.connect() as connection:
            place = connection.exec_driver_sql(
                "SELECT location FROM incident WHERE case_ref = ? AND street_key = ? LIMIT 1",
                (street.case_refs[0], street.key)).scalar_one()
        cases.add_incident(store, street.case_refs[0], NewIncident(
            occurred_at=now[0] - timedelta(hours=2), channel="101", incident_type="noise",
            description="Shouting in the street", location=place), now=now[0])
        await pilot.press("f3")
        await settle(pilot)
        assert app.screen is patterns
        again = next(p for p in patterns.rows
                     if (p.kind, p.district, p.key) == (street.kind, street.district, street.key))
        assert again.reports == street.reports + 1

        # Every view's screen reads itself again when returned to (a new view must too).
        visited = []
        for name in VIEWS:
            app.show_view(name)
            await settle(pilot)
            if app.current_mode == name:  # those this user may open
                visited.append(name)
                assert hasattr(app.screen_stack[0], "view_returned"), name
        assert {"my_day", "deadlines", "patterns", "pspos", "trends"} <= set(visited)
