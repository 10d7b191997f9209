"""The supervisor dashboard: every district's open casework in figures, and who carries it.

One row per district (all 13, or a chosen set) and a totals row; below, the workload of
each officer of the highlighted district. Enter on a figure opens the queue behind it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Input, Label, SelectionList, Static
from textual.widgets.selection_list import Selection

from asbtui.dates import format_datetime
from asbtui.literal import one_line
from asbtui.models import CaseStatus, District, RiskLevel
from asbtui.screens.queue import QueueScreen
from asbtui.services import dashboard
from asbtui.services.cases import OfficerView
from asbtui.services.dashboard import DistrictSummary, Workload
from asbtui.services.queue import QueueQuery, SortKey
from asbtui.widgets.footer import Footer

if TYPE_CHECKING:
    from asbtui.app import AsbApp

TOTAL = "TOTAL"
NAME_WIDTH = 14


@dataclass(frozen=True)
class Figure:
    """A column of the district table: its header, how to read it, and the queue behind it."""

    key: str
    header: str
    value: Callable[[DistrictSummary], int | None]
    drill: dict[str, Any]
    """What the queue behind the figure changes from the plain district queue."""
    alert: str = ""
    """The style of a figure above zero that needs someone's attention."""


FIGURES: list[Figure] = [
    Figure("open", "Open\n", lambda s: s.open, {}),
    Figure("high", "High\n", lambda s: s.risk(RiskLevel.HIGH), {"risks": (RiskLevel.HIGH,)}),
    Figure(
        "medium", "Medium\n", lambda s: s.risk(RiskLevel.MEDIUM), {"risks": (RiskLevel.MEDIUM,)}
    ),
    Figure(
        "standard",
        "Standard\n",
        lambda s: s.risk(RiskLevel.STANDARD),
        {"risks": (RiskLevel.STANDARD,)},
    ),
    # The urgency order already puts overdue reviews at the top; overdue deadlines (of
    # cases and PSPOs) drill into the deadlines list instead (see action_drill).
    Figure("overdue_reviews", "Overdue\nreviews", lambda s: s.overdue_reviews, {}, "bold red"),
    Figure(
        "overdue_deadlines", "Overdue\ndeadlines", lambda s: s.overdue_deadlines, {}, "bold red"
    ),
    Figure("first_contact", "1st contact\nbreached", lambda s: s.first_contact_breaches, {},
           "bold red"),
    Figure(
        "unallocated", "Unallo-\ncated", lambda s: s.unallocated, {"unallocated": True}, "yellow"
    ),
    Figure("oldest", "Oldest\n(days)", lambda s: s.oldest_days, {"sort": SortKey.OPENED}),
    Figure(
        "status_open",
        "Status\nopen",
        lambda s: s.status(CaseStatus.OPEN),
        {"statuses": (CaseStatus.OPEN,)},
    ),
    Figure(
        "status_investigation",
        "Under in-\nvestigation",
        lambda s: s.status(CaseStatus.UNDER_INVESTIGATION),
        {"statuses": (CaseStatus.UNDER_INVESTIGATION,)},
    ),
    Figure(
        "status_action",
        "Action in\nprogress",
        lambda s: s.status(CaseStatus.ACTION_IN_PROGRESS),
        {"statuses": (CaseStatus.ACTION_IN_PROGRESS,)},
    ),
    Figure(
        "status_monitoring",
        "Monitor-\ning",
        lambda s: s.status(CaseStatus.MONITORING),
        {"statuses": (CaseStatus.MONITORING,)},
    ),
]
FIGURE_BY_KEY = {f.key: f for f in FIGURES}


def drill_query(district: District | None, column: str) -> QueueQuery:
    """The queue behind a figure: the district's (None: all districts') with its filter."""
    figure = FIGURE_BY_KEY.get(column)
    return replace(QueueQuery(district=district), **(figure.drill if figure else {}))


def _number(value: int | None, alert: str = "", bold: bool = False) -> Text:
    if value is None:
        return Text("—", style="dim", justify="right")
    style = alert if value and alert else ("dim" if not value else "")
    if bold:
        style = f"bold {style}".strip()
    return Text(f"{value:,}", style=style, justify="right")


class DrillDownQueue(QueueScreen):
    """A queue opened from a figure of the dashboard; escape (or D) goes back to it."""

    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Back to the dashboard", id="drill.back"),
    ]

    def key_escape(self) -> None:
        """Escape is the back binding here (it still clears the search box first)."""

    def action_back(self) -> None:
        if self.query_one("#search", Input).has_focus:
            super().key_escape()
        else:
            self.dismiss(None)

    def action_dashboard(self) -> None:
        self.dismiss(None)


class DistrictPicker(ModalScreen[tuple[District, ...] | None]):
    """Tick the districts the dashboard shows; none ticked shows them all."""

    BINDINGS = [
        Binding("ctrl+s", "show", "Show", tooltip="Show the ticked districts", id="picker.show"),
        Binding("a", "all", "All", tooltip="Tick every district, or none", id="picker.all"),
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
    ]

    def __init__(self, shown: tuple[District, ...]) -> None:
        super().__init__()
        self.shown = shown

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog district-picker"):
            yield Label(
                Text("Show these districts (space ticks, a all or none, ctrl+s shows)"),
                classes="dialog-title",
            )
            yield SelectionList[District](
                *(
                    Selection(f"{d.value}  {d.label}", d, d in self.shown, id=d.value)
                    for d in District
                ),
                id="district-choices",
            )

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def action_all(self) -> None:
        choices = self.query_one(SelectionList)
        if len(choices.selected) == len(District):
            choices.deselect_all()
        else:
            choices.select_all()

    def action_show(self) -> None:
        ticked = set(self.query_one(SelectionList).selected)
        self.dismiss(tuple(d for d in District if d in ticked) or tuple(District))

    def action_cancel(self) -> None:
        self.dismiss(None)


class DashboardScreen(Screen[None]):
    """Open cases of each district by risk and status, what is overdue, and who has what."""

    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Back to the queue", id="dashboard.back"),
        Binding(
            "enter",
            "drill",
            "Queue",
            tooltip="Open the queue behind the highlighted figure",
            id="dashboard.drill",
            # Before the table's own enter, so that the footer and help show this one.
            priority=True,
        ),
        Binding(
            "s",
            "districts",
            "Districts",
            tooltip="Choose which districts to show",
            id="dashboard.districts",
        ),
        Binding("f5", "refresh", "Refresh", id="dashboard.refresh", show=False),
    ]

    @dataclass
    class Loaded(Message):
        """The district figures arrived from the worker thread."""

        districts: tuple[District, ...]
        summaries: list[DistrictSummary]

    @dataclass
    class WorkloadLoaded(Message):
        district: District
        workloads: list[Workload]

    @dataclass
    class LoadFailed(Message):
        error: str

    def __init__(
        self,
        officer: OfficerView | None,
        *,
        districts: tuple[District, ...] = (),
        home: District | None = None,
    ) -> None:
        """``districts`` shown (none: all 13); the cursor starts on ``home``'s row, so that
        the workload panel opens on the supervisor's own district."""
        super().__init__()
        self.officer = officer
        self.districts: tuple[District, ...] = districts or tuple(District)
        self.home = home
        self.summaries: list[DistrictSummary] = []
        self.workload_district: District | None = None
        self.loaded_at: datetime | None = None

    @property
    def asb(self) -> AsbApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static(id="dashboard-title")
        yield DataTable(
            id="districts", cursor_type="cell", header_height=2, fixed_columns=2, zebra_stripes=True
        )
        yield Static(id="workload-title")
        yield DataTable(id="workload", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#districts", DataTable)
        table.add_column(Text("\n"), key="code", width=3)
        table.add_column(Text("District\n"), key="name", width=NAME_WIDTH)
        for figure in FIGURES:
            table.add_column(Text(figure.header, justify="right"), key=figure.key)
        workload = self.query_one("#workload", DataTable)
        workload.add_column(Text("Officer"), key="collar", width=10)
        workload.add_column(Text("Name"), key="name", width=24)
        for key, label in (("open", "Open"), ("high", "High"), ("overdue", "Overdue")):
            workload.add_column(Text(label, justify="right"), key=key)
        self.load()
        table.focus()

    # ------------------------------------------------------------------ loading

    def load(self) -> None:
        now = self.asb.clock()
        self.loaded_at = now
        self._show_title()
        self.load_summaries(self.districts, now)

    @work(thread=True, exclusive=True, group="summaries", exit_on_error=False)
    def load_summaries(self, districts: tuple[District, ...], now: datetime) -> None:
        """Runs in a worker thread: the service opens its own connection."""
        try:
            summaries = dashboard.district_summaries(self.asb.store, districts, now=now)
        except Exception as error:  # noqa: BLE001 - shown to the user, never a traceback
            self.post_message(self.LoadFailed(str(error)))
            return
        self.post_message(self.Loaded(districts, summaries))

    @work(thread=True, exclusive=True, group="workload", exit_on_error=False)
    def load_workload(self, district: District, now: datetime) -> None:
        try:
            workloads = dashboard.officer_workloads(self.asb.store, district, now=now)
        except Exception as error:  # noqa: BLE001
            self.post_message(self.LoadFailed(str(error)))
            return
        self.post_message(self.WorkloadLoaded(district, workloads))

    @on(Loaded)
    def show_summaries(self, message: Loaded) -> None:
        if message.districts != self.districts:
            return  # the user has chosen other districts since
        self.summaries = message.summaries
        table = self.query_one("#districts", DataTable)
        cursor = table.cursor_coordinate
        table.clear()
        for summary in self.summaries:
            self._add_row(table, summary, summary.district)
        self._add_row(table, dashboard.total(self.summaries), None)
        row = min(cursor.row, table.row_count - 1)
        if self.home is not None and self.home.value in table.rows:
            row = table.get_row_index(self.home.value)
            self.home = None  # only the first time: later loads keep the cursor
        table.move_cursor(row=row, column=max(cursor.column, 2))
        self.workload_district = None
        self._highlighted(table.cursor_row)

    def _add_row(
        self, table: DataTable, summary: DistrictSummary, district: District | None
    ) -> None:
        bold = district is None
        if district is None:
            where = "All districts" if len(self.districts) == len(District) else "Total"
            cells = [Text(""), Text(where, style="bold")]
        else:
            cells = [Text(district.value, style="bold"), Text(one_line(district.label, NAME_WIDTH))]
        cells += [_number(f.value(summary), f.alert, bold) for f in FIGURES]
        table.add_row(*cells, key=district.value if district else TOTAL)

    @on(WorkloadLoaded)
    def show_workload(self, message: WorkloadLoaded) -> None:
        if message.district != self.workload_district:
            return  # a late answer for a district no longer highlighted
        table = self.query_one("#workload", DataTable)
        table.clear()
        for w in message.workloads:
            table.add_row(
                Text(one_line(w.collar)),
                Text(one_line(w.name)),
                _number(w.open),
                _number(w.high, "bold red"),
                _number(w.overdue, "bold red"),
                key=w.officer_id,
            )
        count = len(message.workloads)
        self._workload_title(
            f"Workload · {message.district.label} ({message.district.value}) · "
            f"{count} officer{'' if count == 1 else 's'} · open cases, high risk, overdue"
        )

    @on(LoadFailed)
    def load_failed(self, message: LoadFailed) -> None:
        self.notify(
            message.error, title="Could not load the dashboard", severity="error", markup=False
        )

    # ------------------------------------------------------------------ labels

    def _show_title(self) -> None:
        count = len(self.districts)
        which = ", ".join(d.value for d in self.districts) if count <= 4 else f"{count} districts"
        if count == len(District):
            which = "all 13 districts"
        when = format_datetime(self.loaded_at) if self.loaded_at else ""
        self.query_one("#dashboard-title", Static).update(
            Text(f"Supervisor dashboard · {which} · open cases · {when}", style="bold")
        )

    def _workload_title(self, text: str) -> None:
        self.query_one("#workload-title", Static).update(Text(text))

    def _row_district(self, row: int) -> District | None:
        table = self.query_one("#districts", DataTable)
        if not 0 <= row < table.row_count:
            return None
        key = table.coordinate_to_cell_key((row, 0)).row_key.value
        return None if key == TOTAL else District(str(key))

    @on(DataTable.CellHighlighted, "#districts")
    def cell_highlighted(self, event: DataTable.CellHighlighted) -> None:
        self._highlighted(event.coordinate.row)

    def _highlighted(self, row: int) -> None:
        district = self._row_district(row)
        if district is None:
            self.workload_district = None
            self.query_one("#workload", DataTable).clear()
            self._workload_title("Workload · highlight a district to see its officers")
            return
        if district != self.workload_district:
            self.workload_district = district
            self._workload_title(f"Workload · {district.label} ({district.value}) · loading…")
            self.load_workload(district, self.loaded_at or self.asb.clock())

    # ------------------------------------------------------------------ actions

    @on(DataTable.CellSelected, "#districts")
    def cell_selected(self, event: DataTable.CellSelected) -> None:
        event.stop()
        self.action_drill()

    def action_drill(self) -> None:
        table = self.query_one("#districts", DataTable)
        if not table.row_count:
            return
        cell = table.coordinate_to_cell_key(table.cursor_coordinate)
        district = self._row_district(table.cursor_row)
        if district is None and len(self.districts) != len(District):
            self.notify(
                "The totals cover a chosen set of districts; a queue shows one district or "
                "all of them. Drill from a district's row, or show all districts (s).",
                severity="warning",
                markup=False,
            )
            return
        column = str(cell.column_key.value)
        if column == "overdue_deadlines":
            # Deadlines belong to cases and to PSPOs: their own list shows both, overdue first.
            from asbtui.screens.deadlines import DeadlinesScreen

            self.app.push_screen(DeadlinesScreen(district), lambda _: self.load())
            return
        query = drill_query(district, column)
        self.app.push_screen(
            DrillDownQueue(district, self.officer, query=query), lambda _: self.load()
        )

    def action_districts(self) -> None:
        def chosen(districts: tuple[District, ...] | None) -> None:
            if districts is not None and districts != self.districts:
                self.districts = districts
                self.query_one("#districts", DataTable).clear()
                self.load()

        self.app.push_screen(DistrictPicker(self.districts), chosen)

    def action_refresh(self) -> None:
        self.load()

    def view_returned(self) -> None:
        """Back to the dashboard from another view: the figures again, as of now."""
        self.load()

    def action_back(self) -> None:
        self.asb.back(self)
