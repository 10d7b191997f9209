"""Trends: weekly reports and the high-risk share on constructed data, then the f7 screen."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from conftest import AS_OF
from pilot_wait import workers_done
from textual.geometry import Region
from textual.widgets import Static

from asbtui.app import HOME, AsbApp
from asbtui.config import Settings
from asbtui.dates import LONDON
from asbtui.errors import InvalidInput
from asbtui.models import Category, District
from asbtui.screens.queue import QueueScreen
from asbtui.screens.trends import TrendsScreen
from asbtui.services import cases
from asbtui.services.trends import (
    OTHER,
    Series,
    TrendGroup,
    high_risk_share,
    last_weeks,
    weekly_reports,
)
from asbtui.widgets.choice import ChoiceScreen

RECORDED = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
"""When the test incidents are recorded: after all of them happened."""


def london(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def case_with_reports(
    store,
    *moments: datetime,
    district: str = "THA",
    category: str = "nuisance",
    risk: str = "standard",
    opened: datetime = datetime(2025, 1, 6, tzinfo=UTC),
) -> str:
    ref = cases.create_case(
        store,
        cases.NewCase(district=district, category=category, risk=risk, summary="Noise"),
        now=opened,
    )
    for moment in moments:
        cases.add_incident(
            store,
            ref,
            cases.NewIncident(
                occurred_at=moment, channel="101", incident_type="noise", description="Music"
            ),
            now=RECORDED,
        )
    return ref


def by_week(weeks: tuple[date, ...], counts: tuple[int, ...]) -> dict[date, int]:
    return {week: n for week, n in zip(weeks, counts, strict=True) if n}


# ------------------------------------------------------------------ reports per week


def test_reports_per_week_by_district_and_category_with_an_empty_week(store) -> None:
    # November 2026: weeks beginning 02/11, 09/11, 16/11 and 23/11 (the 9th: no reports).
    case_with_reports(store, london(2026, 11, 3), london(2026, 11, 4), london(2026, 11, 23))
    case_with_reports(
        store,
        london(2026, 11, 20),
        london(2026, 11, 24),
        london(2026, 11, 29, 23, 59),
        district="CAN",
        category="personal",
    )
    # Outside the period: the Sunday before, and the Monday after, it.
    case_with_reports(store, london(2026, 11, 1, 23, 59), london(2026, 11, 30, 0, 0))

    series = weekly_reports(store, date(2026, 11, 2), date(2026, 11, 30))

    assert series.weeks == (
        date(2026, 11, 2),
        date(2026, 11, 9),
        date(2026, 11, 16),
        date(2026, 11, 23),
    )
    assert series.lines["THA"] == (2, 0, 0, 1)
    assert series.lines["CAN"] == (0, 0, 1, 2)
    assert list(series.lines)[:2] == ["CAN", "THA"]  # as busy: district order breaks the tie
    assert len(series.lines) == len(District)
    assert all(series.total(d.value) == 0 for d in District if d.value not in ("THA", "CAN"))

    by_category = weekly_reports(store, date(2026, 11, 2), date(2026, 11, 30), by="category")
    assert by_category.by is TrendGroup.CATEGORY
    assert by_category.lines == {
        "nuisance": (2, 0, 0, 1),
        "personal": (0, 0, 1, 2),
        "environmental": (0, 0, 0, 0),
    }
    assert by_category.label("personal") == Category.PERSONAL.label


def test_a_period_starting_midweek_covers_whole_weeks_and_a_district_filter_keeps_its_own(
    store,
) -> None:
    case_with_reports(store, london(2026, 11, 2, 9), london(2026, 11, 13))
    case_with_reports(store, london(2026, 11, 3), district="CAN")
    # Wednesday 04/11 to Friday 13/11 (end exclusive): the weeks of 02/11 and 09/11.
    series = weekly_reports(store, date(2026, 11, 4), date(2026, 11, 13), districts=["THA"])
    assert series.weeks == (date(2026, 11, 2), date(2026, 11, 9))
    assert series.lines == {"THA": (1, 1)}


def test_sunday_2359_and_monday_0000_london_fall_in_their_own_weeks_across_clock_changes(
    store,
) -> None:
    """Clocks go forward on 29/03/2026 and back on 25/10/2026: one query, three offsets."""
    case_with_reports(
        store,
        london(2026, 3, 22, 23, 59),  # Sunday, GMT                     -> week of 16/03
        london(2026, 3, 23, 0, 0),  # Monday, GMT                       -> week of 23/03
        london(2026, 3, 29, 0, 30),  # Sunday, before the clocks go forward
        london(2026, 3, 29, 23, 59),  # Sunday, BST: 22:59 UTC          -> week of 23/03
        london(2026, 3, 30, 0, 0),  # Monday, BST: Sunday 23:00 UTC     -> week of 30/03
        london(2026, 10, 25, 23, 59),  # Sunday, GMT again              -> week of 19/10
        london(2026, 10, 26, 0, 0),  # Monday, GMT                      -> week of 26/10
    )
    series = weekly_reports(store, date(2026, 3, 16), date(2026, 11, 2))
    assert by_week(series.weeks, series.lines["THA"]) == {
        date(2026, 3, 16): 1,
        date(2026, 3, 23): 3,
        date(2026, 3, 30): 1,
        date(2026, 10, 19): 1,
        date(2026, 10, 26): 1,
    }
    assert len(series.weeks) == 33


def test_weekly_reports_is_one_grouped_query(store) -> None:
    case_with_reports(store, london(2026, 11, 3))
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    sa.event.listen(store.engine, "before_cursor_execute", seen)
    try:
        weekly_reports(store, date(2025, 12, 1), date(2026, 11, 30))
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", seen)
    # (the first statement asks whether the store has users: who may read it)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")
               and "app_user" not in s]
    assert len(selects) == 1 and "GROUP BY" in selects[0]


# ------------------------------------------------------------------ high-risk share


def test_high_risk_share_of_cases_opened_each_week_none_for_a_week_without_cases(store) -> None:
    for risk in ("high", "standard", "medium"):
        case_with_reports(store, opened=london(2026, 11, 3), risk=risk)
    for _ in range(2):
        case_with_reports(store, opened=london(2026, 11, 17), risk="high")
    case_with_reports(store, opened=london(2026, 11, 17), risk="standard", district="CAN")

    shares = high_risk_share(store, date(2026, 11, 2), date(2026, 11, 23), districts=["THA"])
    assert shares == [
        (date(2026, 11, 2), pytest.approx(1 / 3)),
        (date(2026, 11, 9), None),
        (date(2026, 11, 16), 1.0),
    ]
    everywhere = dict(high_risk_share(store, date(2026, 11, 2), date(2026, 11, 23)))
    assert everywhere[date(2026, 11, 16)] == pytest.approx(2 / 3)


def test_a_case_opened_at_monday_0000_bst_counts_in_the_new_week(store) -> None:
    case_with_reports(store, opened=london(2026, 3, 29, 23, 59), risk="standard")
    case_with_reports(store, opened=london(2026, 3, 30, 0, 0), risk="high")
    shares = dict(high_risk_share(store, date(2026, 3, 23), date(2026, 4, 6)))
    assert shares == {date(2026, 3, 23): 0.0, date(2026, 3, 30): 1.0}


# ------------------------------------------------------------------ periods


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (date(2026, 11, 30), date(2026, 11, 30), "end after it starts"),
        (date(2026, 11, 30), date(2026, 11, 2), "end after it starts"),
        (date(2024, 11, 29), date(2026, 11, 30), "two years or less"),
    ],
)
def test_periods_that_end_before_they_start_or_run_past_two_years_are_refused(
    store, start: date, end: date, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        weekly_reports(store, start, end)
    with pytest.raises(InvalidInput, match=message):
        high_risk_share(store, start, end)


def test_two_years_exactly_is_allowed_and_bad_groupings_or_districts_are_refused(store) -> None:
    assert len(weekly_reports(store, date(2024, 11, 30), date(2026, 11, 30)).weeks) == 105
    with pytest.raises(InvalidInput, match="district or by category"):
        weekly_reports(store, date(2026, 11, 2), date(2026, 11, 30), by="postcode")
    with pytest.raises(InvalidInput, match="XYZ is not a district"):
        weekly_reports(store, date(2026, 11, 2), date(2026, 11, 30), districts=["XYZ"])


def test_last_weeks_ends_with_the_current_week() -> None:
    # Wednesday 25/11/2026: 13 weeks from Monday 31/08 to Sunday 29/11.
    assert last_weeks(date(2026, 11, 25), 13) == (date(2026, 8, 31), date(2026, 11, 30))
    assert last_weeks(date(2026, 11, 23), 1) == (date(2026, 11, 23), date(2026, 11, 30))


def test_the_busiest_lines_are_kept_and_the_rest_summed() -> None:
    weeks = (date(2026, 11, 2), date(2026, 11, 9))
    series = Series(
        TrendGroup.DISTRICT, weeks, {"THA": (5, 5), "CAN": (3, 1), "DOV": (1, 1), "ASH": (0, 1)}
    )
    top = series.busiest(2)
    assert top.lines == {"THA": (5, 5), "CAN": (3, 1), OTHER: (1, 2)}
    assert top.label(OTHER) == "Other districts"
    assert series.busiest(3) is series  # one left over is drawn, not summed


# ------------------------------------------------------------------ the screen


@pytest.fixture
def app(demo_store) -> Iterator[AsbApp]:
    yield AsbApp(demo_store, settings=Settings(db=demo_store.path), clock=lambda: AS_OF,
                 start_view=HOME)


async def settle(pilot) -> None:
    for _ in range(2):
        await workers_done(pilot.app)
        await pilot.pause()


def shown(widget) -> str:
    lines = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return "\n".join(line.text for line in lines)


async def test_f7_opens_the_trends_c_toggles_p_changes_the_period_escape_goes_back(app) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        home = app.screen.query_now.district
        await pilot.press("f7")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TrendsScreen)
        assert screen.district == home and screen.weeks == 13
        title = shown(screen.query_one("#trends-title", Static))
        assert f"Trends · {home.label} · last 13 weeks · 31/08/2026 to 29/11/2026" in title
        reports = shown(screen.query_one("#reports-chart"))
        assert "Reports per week by district" in reports
        assert "Week beginning" in reports and "Reports" in reports and "31/08/2026" in reports
        risk = shown(screen.query_one("#risk-chart"))
        assert "High-risk share of the cases opened each week" in risk
        assert "% high risk" in risk and "0%" in risk
        assert home.label in shown(screen.query_one("#reports-legend", Static))

        await pilot.press("c")
        await settle(pilot)
        assert screen.by is TrendGroup.CATEGORY
        assert "Reports per week by category" in shown(screen.query_one("#reports-chart"))
        legend = shown(screen.query_one("#reports-legend", Static))
        assert all(c.label in legend for c in Category)

        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("down", "down", "enter")  # 13 -> 26 -> 52
        await settle(pilot)
        assert app.screen is screen and screen.weeks == 52
        assert "last 52 weeks · 01/12/2025 to 29/11/2026" in shown(
            screen.query_one("#trends-title", Static)
        )

        await pilot.press("d")
        await settle(pilot)
        assert screen.district is None
        assert "All districts" in shown(screen.query_one("#trends-title", Static))

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)


async def test_all_districts_by_district_draws_the_five_busiest_and_totals_the_rest(app) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f7", "d")
        await settle(pilot)
        legend = shown(app.screen.query_one("#reports-legend", Static))
        assert legend.count("━━") == 5
        assert "8 others" in legend


async def test_a_result_for_an_earlier_choice_is_dropped(app) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f7")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TrendsScreen)
        before = shown(screen.query_one("#reports-legend", Static))
        stale = screen.request
        assert stale is not None
        await pilot.press("c")
        await settle(pilot)
        series = Series(TrendGroup.DISTRICT, (stale.start,), {"ASH": (99,)})
        screen.post_message(TrendsScreen.Loaded(stale, series, [(stale.start, None)]))
        await settle(pilot)
        assert "ASH 99" not in shown(screen.query_one("#reports-legend", Static))
        assert before != shown(screen.query_one("#reports-legend", Static))
