"""Everything due or overdue across a district (or every district), soonest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Static

from asbtui.dates import format_datetime, format_time_left
from asbtui.literal import one_line, plural
from asbtui.models import District
from asbtui.screens.district_list import DistrictListScreen
from asbtui.services import enforcement
from asbtui.services.enforcement import DeadlineView
from asbtui.widgets.choice import ChoiceScreen
from asbtui.widgets.footer import Footer

if TYPE_CHECKING:
    pass

WINDOWS = (1, 7, 14, 30, 90, 365)


def urgency_style(deadline: DeadlineView, now: datetime) -> str:
    seconds = (deadline.due_at - now).total_seconds()
    if seconds < 0:
        return "bold white on red"
    if seconds < 24 * 3600:
        return "bold red"
    if seconds < 3 * 24 * 3600:
        return "yellow"
    return ""


class DeadlinesScreen(DistrictListScreen):
    """Statutory and review deadlines. Overdue ones cannot be hidden: met or missed only."""

    FAILED_TITLE = "Could not load the deadlines"

    BINDINGS = [
        Binding(
            "w", "window", "Window", tooltip="How many days ahead to show", id="deadlines.window"
        ),
        Binding(
            "c",
            "resolve(False)",
            "Met",
            tooltip="Mark the highlighted deadline met",
            id="deadlines.met",
        ),
        Binding(
            "x",
            "resolve(True)",
            "Missed",
            tooltip="Mark the highlighted deadline missed, with the reason",
            id="deadlines.missed",
        ),
    ]

    @dataclass
    class Loaded(Message):
        rows: list[DeadlineView]

    def __init__(self, district: District | None, days: int = 14) -> None:
        super().__init__(district)
        self.days = days
        self.rows: list[DeadlineView] = []

    def compose(self) -> ComposeResult:
        yield Static(id="deadlines-title")
        yield DataTable(id="deadline-list", cursor_type="row", zebra_stripes=True)
        yield Static(id="row-detail")
        yield Static(id="deadlines-status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for heading, width in (
            ("Due", 16),
            ("Time left", 15),
            ("Case", 12),
            ("Deadline", 40),
            ("Law", 18),
        ):
            table.add_column(Text(heading), width=width)
        self.load()
        table.focus()

    @work(thread=True, exclusive=True, exit_on_error=False, description="Loading deadlines")
    def load(self) -> None:
        rows = enforcement.upcoming_deadlines(
            self.asb.store, district=self.district, days=self.days, now=self.asb.clock()
        )
        self.post_message(self.Loaded(rows))

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        self.rows = message.rows
        now = self.asb.clock()
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        for d in self.rows:
            style = urgency_style(d, now)
            where = d.case_ref or one_line(d.pspo_title, 12)
            table.add_row(
                Text(format_datetime(d.due_at), style=style),
                Text(format_time_left(d.due_at - now), style=style),
                Text(where),
                Text(one_line(d.label, 40)),
                Text(one_line(d.source, 18)),
                key=d.id,
            )
        if self.rows:
            table.move_cursor(row=min(cursor, table.row_count - 1))
        where = (
            f"{self.district.label} ({self.district.value})" if self.district else "All districts"
        )
        self.query_one("#deadlines-title", Static).update(
            Text(
                f"Deadlines · {where} · due within {plural(self.days, 'day')}, "
                "and every overdue one",
                style="bold",
            )
        )
        overdue = sum(d.overdue(now) for d in self.rows)
        self.query_one("#deadlines-status", Static).update(
            Text(
                f"{len(self.rows):,} deadlines · {overdue:,} overdue · enter opens the case · "
                "c met · x missed"
            )
        )

    @on(DataTable.RowHighlighted)
    def detail(self, event: DataTable.RowHighlighted) -> None:
        d = next((r for r in self.rows if r.id == event.row_key.value), None)
        if d is None:
            return
        what = d.power.label if d.power else ("PSPO" if d.pspo_title else "")
        self.query_one("#row-detail", Static).update(
            Text(f"{one_line(d.label)} · {what} · {d.district.label} · {d.source}")
        )

    @on(DataTable.RowSelected)
    def open_case(self, event: DataTable.RowSelected) -> None:
        d = next((r for r in self.rows if r.id == event.row_key.value), None)
        if d is not None and d.case_ref:
            self.asb.open_case(
                d.case_ref, on_close=lambda changed: self.load() if changed else None
            )
        elif d is not None:
            self.notify("This deadline belongs to a PSPO: see the PSPO register (P).", markup=False)

    def action_window(self) -> None:
        def chosen(days: int | None) -> None:
            if days is not None:
                self.days = days
                self.load()

        self.app.push_screen(
            ChoiceScreen(
                "Show deadlines due within", [(plural(d, "day"), d) for d in WINDOWS], self.days
            ),
            chosen,
        )

    def action_resolve(self, missed: bool) -> None:
        from asbtui.screens.action import ResolveDeadlineForm

        table = self.query_one(DataTable)
        if not table.row_count:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        d = next((r for r in self.rows if r.id == key), None)
        if d is None:
            return

        def done(result: str | None) -> None:
            if result is not None:
                self.changed = True
                self.load()

        self.app.push_screen(ResolveDeadlineForm(self.asb.store, d, missed), done)
