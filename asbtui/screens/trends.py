"""Trends: reports per week by district or category, and the share of new cases at high risk.

Two Plotext charts (``textual-plotext``) stacked to fit an 80x24 terminal. The lines get
their colours from us, not from Plotext, so that the legend under the first chart (a
plain Static, with each line's total) matches them and never covers the data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static
from textual_plotext import Plot, PlotextPlot

from asbtui.dates import format_date, london_today
from asbtui.models import District
from asbtui.services import trends
from asbtui.services.trends import OTHER, Series, TrendGroup
from asbtui.widgets.choice import ChoiceScreen
from asbtui.widgets.footer import Footer

if TYPE_CHECKING:
    from asbtui.app import AsbApp

PERIODS = (13, 26, 52, 104)
"""The periods offered by ``p``, in weeks (the current week, so far, is the last)."""
LINES_SHOWN = 5
"""All districts make 13 lines: the busiest 5 are drawn, the others' total is in the legend."""
X_TICKS = 5
Y_LABEL_WIDTH = 5
RGB = tuple[int, int, int]
PALETTE: tuple[RGB, ...] = (
    (0, 130, 200),  # blue
    (230, 25, 75),  # red
    (60, 180, 75),  # green
    (245, 130, 48),  # orange
    (145, 30, 180),  # purple
)
"""Line colours that read on the dark and the light theme alike."""
HIGH_RISK_COLOUR: RGB = (230, 25, 75)
WEEK_AXIS = "Week beginning (the last is this week so far)"


@dataclass(frozen=True)
class TrendRequest:
    """What the screen asked for: a result for any other request arrived too late."""

    district: District | None
    by: TrendGroup
    weeks: int
    start: date
    end: date


def colour_of(index: int) -> RGB:
    """The colour of the line drawn ``index``-th, the same in the chart and the legend."""
    return PALETTE[index % len(PALETTE)]


def _x_ticks(plt: Plot, weeks: tuple[date, ...] | list[date]) -> None:
    count = min(len(weeks), X_TICKS)
    positions = sorted({round(n * (len(weeks) - 1) / max(count - 1, 1)) for n in range(count)})
    plt.xticks(positions, [format_date(weeks[p]) for p in positions])
    plt.xlim(0, max(len(weeks) - 1, 1))


def _y_label(text: str) -> str:
    # The same width on both charts, so that their weeks line up one above the other.
    return text.rjust(Y_LABEL_WIDTH)


def _nice_step(top: float, ticks: int) -> int:
    """A step of 1, 2 or 5 times a power of ten giving about ``ticks`` ticks up to ``top``."""
    raw = max(top / ticks, 1)
    power = 10 ** math.floor(math.log10(raw))
    return next(int(m * power) for m in (1, 2, 5, 10) if m * power >= raw)


def draw_reports(plt: Plot, series: Series) -> None:
    """One line per district (or category) of reports per week, with whole-number ticks."""
    plt.clear_figure()
    what = "district" if series.by is TrendGroup.DISTRICT else "category"
    plt.title(f"Reports per week by {what}")
    plt.xlabel(WEEK_AXIS)
    plt.ylabel("Reports")
    x = list(range(len(series.weeks)))
    # The sum of the quieter districts would dwarf the lines drawn: the legend gives it.
    drawn = [counts for key, counts in series.lines.items() if key != OTHER]
    for index, counts in enumerate(drawn):
        plt.plot(x, list(counts), color=colour_of(index))
    top = max((max(c) for c in drawn if c), default=0)
    step = _nice_step(top, 2)
    ceiling = max(step, math.ceil(top / step) * step)
    ticks = list(range(0, ceiling + 1, step))
    plt.ylim(0, ceiling)
    plt.yticks(ticks, [_y_label(f"{t:,}") for t in ticks])
    _x_ticks(plt, series.weeks)


def draw_share(plt: Plot, shares: list[tuple[date, float | None]]) -> None:
    """The high-risk share of each week's new cases, in per cent. A week in which no case
    was opened has no point (the line joins the weeks either side), rather than a false 0%."""
    plt.clear_figure()
    plt.title("High-risk share of the cases opened each week")
    plt.xlabel(WEEK_AXIS)
    plt.ylabel("% high risk")
    points = [(n, share * 100) for n, (_, share) in enumerate(shares) if share is not None]
    if points:
        plt.plot([x for x, _ in points], [y for _, y in points], color=HIGH_RISK_COLOUR)
    top = max((y for _, y in points), default=0.0)
    ceiling = min(100, max(10, math.ceil(top / 10) * 10))
    step = ceiling // 2 if ceiling <= 20 else _nice_step(ceiling, 3)
    ticks = list(range(0, ceiling + 1, step))
    plt.ylim(0, ceiling)
    plt.yticks(ticks, [_y_label(f"{t}%") for t in ticks])
    _x_ticks(plt, [week for week, _ in shares])


def legend(series: Series, folded: int = 0) -> Text:
    """'━━ THA 123  ━━ CAN 45 ...' in the lines' colours, with each line's total, then
    the total of the ``folded`` districts not drawn."""
    short = len(series.lines) > 3
    text = Text(no_wrap=True, overflow="ellipsis")
    for index, key in enumerate(series.lines):
        if index:
            text.append("  ")
        if key == OTHER:
            text.append(f"{folded} others {series.total(key):,}", style="dim")
            continue
        r, g, b = colour_of(index)
        text.append("━━ ", style=f"bold rgb({r},{g},{b})")
        text.append(f"{series.label(key, short=short)} {series.total(key):,}")
    return text


class TrendsScreen(Screen[None]):
    """Reports per week (per district or category) and the high-risk share, over a period."""

    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Back", id="trends.back"),
        Binding(
            "c",
            "toggle_group",
            "District/category",
            tooltip="One line per district or one per category",
            id="trends.group",
        ),
        Binding(
            "p",
            "period",
            "Period",
            tooltip="Choose the period: 13, 26, 52 or 104 weeks",
            id="trends.period",
        ),
        Binding(
            "d",
            "all_districts",
            "All districts",
            tooltip="This district or every district",
            id="trends.all",
        ),
        Binding("f5", "refresh", "Refresh", id="trends.refresh", show=False),
    ]

    @dataclass
    class Loaded(Message):
        request: TrendRequest
        series: Series
        shares: list[tuple[date, float | None]]

    @dataclass
    class LoadFailed(Message):
        request: TrendRequest
        error: str

    def __init__(self, district: District | None, weeks: int = PERIODS[0]) -> None:
        super().__init__()
        self.district = district
        self.home = district
        self.by = TrendGroup.DISTRICT
        self.weeks = weeks
        self.request: TrendRequest | None = None

    @property
    def asb(self) -> AsbApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static(id="trends-title")
        yield PlotextPlot(id="reports-chart")
        yield Static(id="reports-legend")
        yield PlotextPlot(id="risk-chart")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    def load(self) -> None:
        start, end = trends.last_weeks(london_today(self.asb.clock()), self.weeks)
        self.request = TrendRequest(self.district, self.by, self.weeks, start, end)
        self._show_title("loading…")
        self.fetch(self.request)

    @work(thread=True, exclusive=True, exit_on_error=False, description="Loading trends")
    def fetch(self, request: TrendRequest) -> None:
        districts = [request.district] if request.district else None
        try:
            series = trends.weekly_reports(
                self.asb.store, request.start, request.end, districts, by=request.by
            )
            shares = trends.high_risk_share(self.asb.store, request.start, request.end, districts)
        except Exception as error:  # noqa: BLE001 - shown to the user, never a traceback
            self.post_message(self.LoadFailed(request, str(error)))
            return
        self.post_message(self.Loaded(request, series, shares))

    @on(LoadFailed)
    def failed(self, message: LoadFailed) -> None:
        if message.request == self.request:
            self._show_title("could not load")
            self.notify(
                message.error, title="Could not load the trends", severity="error", markup=False
            )

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        if message.request != self.request:
            return  # the period or grouping changed while this was loading
        series = message.series.busiest(LINES_SHOWN)
        folded = len(message.series.lines) - len(series.lines) + 1
        reports = self.query_one("#reports-chart", PlotextPlot)
        draw_reports(reports.plt, series)
        reports.refresh()
        risk = self.query_one("#risk-chart", PlotextPlot)
        draw_share(risk.plt, message.shares)
        risk.refresh()
        self.query_one("#reports-legend", Static).update(legend(series, folded))
        self._show_title()

    def _show_title(self, state: str = "") -> None:
        request = self.request
        if request is None:
            return
        where = request.district.label if request.district else "All districts"
        last_day = request.end - timedelta(days=1)
        text = (
            f"Trends · {where} · last {request.weeks} weeks · "
            f"{format_date(request.start)} to {format_date(last_day)}"
        )
        self.query_one("#trends-title", Static).update(
            Text(
                text + (f" · {state}" if state else ""),
                style="bold",
                no_wrap=True,
                overflow="ellipsis",
            )
        )

    def action_back(self) -> None:
        self.asb.back(self)

    def view_returned(self) -> None:
        """Back to the trends from another view: the weeks again, up to today."""
        self.load()

    def action_refresh(self) -> None:
        self.load()

    def action_toggle_group(self) -> None:
        self.by = TrendGroup.CATEGORY if self.by is TrendGroup.DISTRICT else TrendGroup.DISTRICT
        self.load()

    def action_all_districts(self) -> None:
        self.district = None if self.district else self.home
        self.load()

    def action_period(self) -> None:
        def chosen(weeks: int | None) -> None:
            if weeks is not None and weeks != self.weeks:
                self.weeks = weeks
                self.load()

        self.app.push_screen(
            ChoiceScreen("Show the last", [(f"{w} weeks", w) for w in PERIODS], self.weeks),
            chosen,
        )
