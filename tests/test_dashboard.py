"""The supervisor dashboard: figures with known answers, drilling into queues, bulk reassign.

``board`` is a small store built by hand so that every figure has one right answer, written
out in the tests. The pilot tests drive a demo store with the keys, as a supervisor would.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import TODAY, supervisor_everywhere
from pilot_wait import workers_done
from textual.widgets import DataTable, Input

from asbtui.app import HOME, AsbApp
from asbtui.config import Settings
from asbtui.db import Store, open_store
from asbtui.errors import InvalidInput, NotFound
from asbtui.models import OPEN_STATUSES, CaseStatus, District, RiskLevel
from asbtui.screens.dashboard import (
    FIGURE_BY_KEY,
    DashboardScreen,
    DistrictPicker,
    DrillDownQueue,
    drill_query,
)
from asbtui.screens.queue import QueueScreen
from asbtui.services import cases, dashboard, demo, enforcement
from asbtui.services.enforcement import NewAction, StepInput
from asbtui.services.queue import QueueQuery, SortKey
from asbtui.widgets.case_table import CaseTable
from asbtui.widgets.choice import ChoiceScreen

AS_OF = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
DAY = timedelta(days=1)

# ---------------------------------------------------------------------------- the board


@dataclass(frozen=True)
class Board:
    store: Store
    high_anne: str  # THA high, Anne's, review overdue, opened 10 days ago
    medium_unallocated: str  # THA medium, unallocated, under investigation, deadline overdue
    standard_zoe: str  # THA standard, Zoe's, monitoring, deadline not yet due, 5 days old
    closed_anne: str  # THA high, Anne's, closed: counts nowhere
    medway: str  # MED standard, unallocated, 3 days old


def _case(store: Store, district: str, risk: str, days_ago: int, owner: str | None) -> str:
    return cases.create_case(
        store,
        cases.NewCase(
            district=district,
            category="nuisance",
            summary="Loud music late at night",
            risk=risk,
            owner_collar=owner,
        ),
        now=AS_OF - days_ago * DAY,
    )


def _warning_letter(store: Store, ref: str, days_ago: int) -> None:
    """A warning letter sets a review deadline 28 days after it is sent."""
    sent = AS_OF - days_ago * DAY
    enforcement.start_action(
        store,
        ref,
        NewAction(power="warning_letter", concerns="The occupier of the flat"),
        StepInput(occurred_at=sent),
        now=sent,
    )


@pytest.fixture
def board(store: Store) -> Board:
    cases.add_officer(store, "PC 1001", "Anne Archer", "THA")
    cases.add_officer(store, "PC 1002", "Zoe Zimmer", "THA")
    cases.add_officer(store, "PC 2001", "Mike Medway", "MED")

    high_anne = _case(store, "THA", "high", 10, None)
    cases.assign_owner(store, high_anne, "PC 1001")
    cases.set_next_review(store, high_anne, TODAY - DAY, today=TODAY - 10 * DAY)

    medium = _case(store, "THA", "medium", 40, None)
    cases.set_next_review(store, medium, TODAY + 7 * DAY, today=TODAY)
    cases.change_status(store, medium, "under_investigation", now=AS_OF)
    _warning_letter(store, medium, 40)  # due 12 days ago

    standard = _case(store, "THA", "standard", 5, "PC 1002")
    cases.change_status(store, standard, "monitoring", now=AS_OF)
    _warning_letter(store, standard, 1)  # due in 27 days

    closed = _case(store, "THA", "high", 100, "PC 1001")
    cases.change_status(store, closed, "closed", "resolved", now=AS_OF - 50 * DAY)

    medway = _case(store, "MED", "standard", 3, None)
    return Board(store, high_anne, medium, standard, closed, medway)


def _by_district(summaries: list[dashboard.DistrictSummary]) -> dict:
    return {s.district: s for s in summaries}


# ---------------------------------------------------------------------------- figures


def test_each_district_counts_its_open_cases_by_risk_and_status(board: Board) -> None:
    summaries = dashboard.district_summaries(board.store, now=AS_OF)
    assert [s.district for s in summaries] == list(District)
    thanet = _by_district(summaries)[District.THA]
    assert thanet.open == 3  # the closed case is not counted
    assert {r: thanet.risk(r) for r in RiskLevel} == {
        RiskLevel.HIGH: 1,
        RiskLevel.MEDIUM: 1,
        RiskLevel.STANDARD: 1,
    }
    assert {s: thanet.status(s) for s in CaseStatus} == {
        CaseStatus.OPEN: 1,
        CaseStatus.UNDER_INVESTIGATION: 1,
        CaseStatus.ACTION_IN_PROGRESS: 0,
        CaseStatus.MONITORING: 1,
        CaseStatus.CLOSED: 0,
    }


def test_overdue_reviews_deadlines_unallocated_and_oldest_case(board: Board) -> None:
    figures = _by_district(dashboard.district_summaries(board.store, now=AS_OF))
    thanet, medway, dover = figures[District.THA], figures[District.MED], figures[District.DOV]
    assert thanet.overdue_reviews == 1  # Anne's high-risk case; not the closed one
    assert thanet.overdue_deadlines == 1  # the warning letter sent 40 days ago
    assert thanet.unallocated == 1
    assert thanet.oldest_days == 40  # the closed case, 100 days old, is not counted
    assert (medway.open, medway.unallocated, medway.oldest_days) == (1, 1, 3)
    assert (medway.overdue_reviews, medway.overdue_deadlines) == (0, 0)
    assert (dover.open, dover.oldest_days, dover.oldest_opened_at) == (0, None, None)


def test_overdue_is_measured_at_the_time_given(board: Board) -> None:
    earlier = dashboard.district_summaries(board.store, [District.THA], now=AS_OF - 20 * DAY)
    # Twenty days earlier no review was overdue and the warning letter's review not yet due.
    assert (earlier[0].overdue_reviews, earlier[0].overdue_deadlines) == (0, 0)


def test_a_chosen_set_of_districts_and_their_total(board: Board) -> None:
    summaries = dashboard.district_summaries(board.store, [District.MED, District.THA], now=AS_OF)
    assert [s.district for s in summaries] == [District.MED, District.THA]  # District order
    both = dashboard.total(summaries)
    assert both.district is None
    assert (both.open, both.unallocated, both.overdue_reviews, both.overdue_deadlines) == (
        4,
        2,
        1,
        1,
    )
    assert both.risk(RiskLevel.STANDARD) == 2
    assert both.oldest_days == 40


def test_officer_workloads_count_open_high_risk_and_overdue_cases(board: Board) -> None:
    # A second overdue case for Anne: a standard one whose warning letter review has passed.
    late = _case(board.store, "THA", "standard", 2, "PC 1001")
    _warning_letter(board.store, late, 30)
    workloads = dashboard.officer_workloads(board.store, District.THA, now=AS_OF)
    assert [(w.collar, w.name, w.open, w.high, w.overdue) for w in workloads] == [
        ("PC 1001", "Anne Archer", 2, 1, 2),  # the closed case is not counted
        ("PC 1002", "Zoe Zimmer", 1, 0, 0),
    ]
    medway = dashboard.officer_workloads(board.store, District.MED, now=AS_OF)
    assert [(w.collar, w.open, w.high, w.overdue) for w in medway] == [("PC 2001", 0, 0, 0)]
    assert dashboard.officer_workloads(board.store, District.DOV, now=AS_OF) == []


# ---------------------------------------------------------------------------- bulk reassign


def _owners(store: Store, *refs: str) -> list[str | None]:
    return [cases.case_detail(store, ref).owner_collar for ref in refs]


def test_bulk_reassign_gives_every_case_to_the_officer(board: Board) -> None:
    refs = [board.high_anne, board.medium_unallocated, board.standard_zoe]
    assert dashboard.assign_owner_bulk(board.store, refs, "pc 1002") == 3
    assert _owners(board.store, *refs) == ["PC 1002"] * 3


def test_bulk_reassign_with_no_officer_unallocates(board: Board) -> None:
    assert dashboard.assign_owner_bulk(board.store, [board.high_anne], None) == 1
    assert dashboard.assign_owner_bulk(board.store, [board.standard_zoe], "") == 1
    assert _owners(board.store, board.high_anne, board.standard_zoe) == [None, None]


def test_bulk_reassign_refuses_the_whole_batch_for_a_case_of_another_district(
    board: Board,
) -> None:
    refs = [board.high_anne, board.medway, board.standard_zoe]
    before = _owners(board.store, *refs)
    with pytest.raises(InvalidInput) as refused:
        dashboard.assign_owner_bulk(board.store, refs, "PC 1002")
    assert board.medway in str(refused.value)
    assert "Medway" in str(refused.value) and "Thanet" in str(refused.value)
    assert refused.value.field == "owner"
    assert _owners(board.store, *refs) == before == ["PC 1001", None, "PC 1002"]


def test_bulk_reassign_refuses_unknown_cases_officers_and_empty_batches(board: Board) -> None:
    with pytest.raises(NotFound, match="THA-26-ZZZZZ"):
        dashboard.assign_owner_bulk(board.store, [board.medium_unallocated, "THA-26-ZZZZZ"], None)
    with pytest.raises(InvalidInput, match="PC 9999"):
        dashboard.assign_owner_bulk(board.store, [board.medium_unallocated], "PC 9999")
    with pytest.raises(InvalidInput):
        dashboard.assign_owner_bulk(board.store, [], "PC 1001")
    assert _owners(board.store, board.medium_unallocated) == [None]


def test_each_figure_opens_the_queue_that_matches_it() -> None:
    def drill(column: str, district: District | None = District.THA) -> QueueQuery:
        return drill_query(district, column)

    assert drill("open") == QueueQuery(district=District.THA)
    assert drill("high").risks == (RiskLevel.HIGH,)
    assert drill("standard", None) == QueueQuery(risks=(RiskLevel.STANDARD,))
    assert drill("unallocated").unallocated
    # Urgency order (the default) puts overdue reviews and deadlines first.
    assert drill("overdue_reviews") == drill("overdue_deadlines") == drill("open")
    assert drill("oldest").sort is SortKey.OPENED
    by_status = [drill(key).statuses for key in FIGURE_BY_KEY if key.startswith("status_")]
    assert sorted(s for (s,) in by_status) == sorted(OPEN_STATUSES)


# ---------------------------------------------------------------------------- the app


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dashboard") / "demo.db"
    with open_store(path, create=True) as built:
        demo.build_demo(built, cases=300, seed=11, as_of=AS_OF)
    return path


@pytest.fixture
def demo_copy(demo_file: Path, tmp_path: Path) -> Iterator[Store]:
    path = tmp_path / "store.db"
    shutil.copy(demo_file, path)
    with open_store(path) as opened:
        opened.actor = supervisor_everywhere(opened)
        yield opened


def make_app(store: Store) -> AsbApp:
    return AsbApp(store, settings=Settings(db=store.path), clock=lambda: AS_OF,
                  start_view=HOME)


async def settle(pilot) -> None:
    await workers_done(pilot.app)
    await pilot.pause()
    await workers_done(pilot.app)
    await pilot.pause()


def notifications(app: AsbApp) -> list[str]:
    """Every notification the app shows from now on, as its message text."""
    shown: list[str] = []
    notify = app.notify

    def recording(message: str, *args, **kwargs) -> None:
        shown.append(message)
        notify(message, *args, **kwargs)

    app.notify = recording  # type: ignore[method-assign]
    return shown


def figure(table: DataTable, row_key: str, column_key: str) -> int:
    return int(table.get_cell(row_key, column_key).plain.replace(",", ""))


async def test_drill_from_a_districts_high_figure_into_its_high_risk_queue(demo_copy) -> None:
    app = make_app(demo_copy)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("D")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        table = app.screen.query_one("#districts", DataTable)
        assert table.row_count == len(District) + 1  # and the totals row
        expected = dashboard.district_summaries(demo_copy, now=AS_OF)
        assert figure(table, "TOTAL", "open") == sum(s.open for s in expected)
        high_in_thanet = figure(table, "THA", "high")
        assert high_in_thanet > 0

        # The cursor starts on the supervisor's own district (Thanet), on its Open figure.
        assert table.cursor_row == list(District).index(District.THA)
        await pilot.press("right")
        await settle(pilot)
        workload = app.screen.query_one("#workload", DataTable)
        thanet_officers = cases.officers(demo_copy, District.THA)
        assert workload.row_count == len(thanet_officers)
        await pilot.press("enter")
        await settle(pilot)

        assert isinstance(app.screen, QueueScreen)
        queue_table = app.screen.query_one(CaseTable)
        refs = [str(key.value) for key in queue_table.rows]
        assert len(refs) == high_in_thanet
        assert all(ref.startswith("THA-") for ref in refs)
        for ref in refs:
            assert cases.case_detail(demo_copy, ref).risk is RiskLevel.HIGH

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert not isinstance(app.screen, DrillDownQueue)


async def test_drill_from_unallocated_and_escape_clears_a_search_first(demo_copy) -> None:
    app = make_app(demo_copy)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("D")
        await settle(pilot)
        table = app.screen.query_one("#districts", DataTable)
        unallocated_col = table.get_column_index("unallocated")
        table.move_cursor(row=table.get_row_index("MED"), column=unallocated_col)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DrillDownQueue)
        assert app.screen.query_now.unallocated
        refs = [str(key.value) for key in app.screen.query_one(CaseTable).rows]
        assert len(refs) == figure(table, "MED", "unallocated")
        assert all(cases.case_detail(demo_copy, r).owner_collar is None for r in refs)

        await pilot.press("slash", *"road")
        await pilot.press("escape")  # clears the search box, stays in the queue
        await settle(pilot)
        assert isinstance(app.screen, DrillDownQueue)
        assert app.screen.query_one("#search", Input).value == ""
        await pilot.press("escape", "escape")  # leaves the search box, then the queue
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)


async def test_choose_which_districts_the_dashboard_shows(demo_copy) -> None:
    app = make_app(demo_copy)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("D")
        await settle(pilot)
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, DistrictPicker)
        # Untick all, then tick Dover (4th) and Thanet (11th), and show them.
        await pilot.press("a", "down", "down", "down", "space")
        await pilot.press(*["down"] * 7, "space", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        table = app.screen.query_one("#districts", DataTable)
        assert [str(key.value) for key in table.rows] == ["DOV", "THA", "TOTAL"]
        assert figure(table, "TOTAL", "open") == figure(table, "DOV", "open") + figure(
            table, "THA", "open"
        )
        # The totals of a chosen set have no single queue behind them: say so, stay here.
        shown = notifications(app)
        table.move_cursor(row=2, column=table.get_column_index("open"))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert any("chosen set" in text for text in shown)


async def test_bulk_reassign_three_cases_with_space_and_o(demo_copy) -> None:
    app = make_app(demo_copy)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(CaseTable)
        chosen = [str(key.value) for key in list(table.rows)[:3]]
        await pilot.press("space", "space", "space")
        await pilot.pause()
        assert table.selected == chosen
        assert table.get_cell(chosen[0], "ref").plain == f"● {chosen[0]}"
        assert "3 selected" in str(app.screen.query_one("#queue-status").render())

        shown = notifications(app)
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen)
        # Each officer with what they carry, the least loaded first after "Unallocated".
        loads = dashboard.officer_workloads(demo_copy, District.THA, now=AS_OF)
        least = min(loads, key=lambda w: (w.open, w.overdue, w.name))
        officer = next(o for o in cases.officers(demo_copy, District.THA)
                       if o.collar == least.collar)
        label = app.screen.choices[1][0].plain
        assert label.startswith(officer.collar) and officer.name in label
        assert f"{least.open} open case" in label and f"{least.overdue} overdue" in label
        await pilot.press("down", "enter")
        await settle(pilot)

        assert isinstance(app.screen, QueueScreen)
        assert _owners(demo_copy, *chosen) == [officer.collar] * 3
        assert f"3 cases given to {officer.collar} {officer.name}" in shown
        assert app.screen.query_one(CaseTable).selected == []  # cleared on reload


async def test_select_all_loaded_and_owner_needs_a_district(demo_copy) -> None:
    app = make_app(demo_copy)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(CaseTable)
        await pilot.press("A")
        assert len(table.selected) == table.row_count > 0
        await pilot.press("A")
        assert table.selected == []
        await pilot.press("right_square_bracket", "right_square_bracket", "right_square_bracket")
        await settle(pilot)
        assert app.screen.query_now.district is None  # All districts
        shown = notifications(app)
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)  # no officer list
        assert any("Choose a district first" in text for text in shown)


# ---------------------------------------------------------------------------- snapshot


def test_dashboard_screen(snap_compare, demo_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "snap.db"
    shutil.copy(demo_file, path)
    store = open_store(path)
    store.actor = supervisor_everywhere(store)

    async def dashboard_open(pilot) -> None:
        await settle(pilot)
        await pilot.press("D")
        await settle(pilot)

    try:
        assert snap_compare(make_app(store), terminal_size=(80, 24), run_before=dashboard_open)
    finally:
        store.close()


async def test_drill_from_overdue_deadlines_opens_the_districts_deadlines(demo_copy) -> None:
    from asbtui.screens.deadlines import DeadlinesScreen

    app = make_app(demo_copy)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("D")
        await settle(pilot)
        table = app.screen.query_one("#districts", DataTable)
        overdue = figure(table, "THA", "overdue_deadlines")
        keys = [str(c.value) for c in table.columns]
        column = keys.index("overdue_deadlines") - keys.index("open")  # the cursor is on Open
        await pilot.press(*["right"] * column)  # the cursor starts on Thanet, its home
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DeadlinesScreen)
        assert app.screen.district is District.THA
        listed = enforcement.upcoming_deadlines(demo_copy, district=District.THA, now=AS_OF)
        assert sum(d.overdue(AS_OF) for d in listed) == overdue
