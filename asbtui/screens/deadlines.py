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
PAGE = 200
"""Deadlines fetched at a time; the next page comes as the cursor nears the end."""
NEAR_END = 20


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
        page: enforcement.DeadlinePage
        appended: bool
        """True: the next page of the same list; False: the list from its start."""

    def __init__(self, district: District | None, days: int = 14) -> None:
        super().__init__(district)
        self.days = days
        self.rows: list[DeadlineView] = []
        self.by_id: dict[str, DeadlineView] = {}
        self.total = 0
        self.overdue = 0
        self.next_key: enforcement.DeadlineKey | None = None
        self.fetching = False

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

    def load(self) -> None:
        """The list from its start (as many rows as were shown, so the cursor stays)."""
        self.fetching = True
        self.fetch(None, max(PAGE, len(self.rows)))

    @work(thread=True, exclusive=True, exit_on_error=False, description="Loading deadlines")
    def fetch(self, after: enforcement.DeadlineKey | None, limit: int) -> None:
        page = enforcement.deadlines_page(
            self.asb.store,
            district=self.district,
            days=self.days,
            now=self.asb.clock(),
            after=after,
            limit=limit,
        )
        self.post_message(self.Loaded(page, after is not None))

    def fetch_more(self) -> None:
        if self.next_key is not None and not self.fetching:
            self.fetching = True
            self.fetch(self.next_key, PAGE)

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        page = message.page
        self.fetching = False
        self.total, self.overdue, self.next_key = page.total, page.overdue, page.next_key
        now = self.asb.clock()
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        if message.appended:
            self.rows.extend(page.rows)
        else:
            self.rows = list(page.rows)
            table.clear()
        self.by_id.update((d.id, d) for d in page.rows)
        for d in page.rows:
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
        if self.rows and not message.appended:
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
        shown = (
            f"{self.total:,} deadlines"
            if len(self.rows) >= self.total
            else f"{len(self.rows):,} of {self.total:,} deadlines (more as you scroll)"
        )
        self.query_one("#deadlines-status", Static).update(
            Text(
                f"{shown} · {self.overdue:,} overdue · enter opens the case · c met · x missed"
            )
        )

    @on(DataTable.RowHighlighted)
    def detail(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= len(self.rows) - NEAR_END:
            self.fetch_more()
        d = self.by_id.get(str(event.row_key.value))
        if d is None:
            return
        what = d.power.label if d.power else ("PSPO" if d.pspo_title else "")
        self.query_one("#row-detail", Static).update(
            Text(f"{one_line(d.label)} · {what} · {d.district.label} · {d.source}")
        )

    @on(DataTable.RowSelected)
    def open_case(self, event: DataTable.RowSelected) -> None:
        d = self.by_id.get(str(event.row_key.value))
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
                self.rows = []
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
        d = self.by_id.get(str(key))
        if d is None:
            return

        def done(result: str | None) -> None:
            if result is not None:
                self.changed = True
                self.load()

        self.app.push_screen(ResolveDeadlineForm(self.asb.store, d, missed), done)
