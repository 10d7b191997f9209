"""Patterns of concern for the Problem-Solving Task Force: repeats and hotspots."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Static

from asbtui.errors import AsbError
from asbtui.literal import one_line, plural
from asbtui.models import District
from asbtui.screens.district_list import DistrictListScreen
from asbtui.services import patterns as service
from asbtui.services import queue
from asbtui.services.patterns import Pattern
from asbtui.services.queue import QueueQuery
from asbtui.widgets.choice import ChoiceScreen
from asbtui.widgets.footer import Footer

if TYPE_CHECKING:
    pass


SHOWN_AT_ONCE = 500
"""Rows put in the table at once; more as the cursor nears the last (see ``_show_more``).

At 1,000,000 cases all districts have about 60,000 patterns across cases: filling a
DataTable with all of them held the event loop for about 7 s (2.4 s adding the rows, 4.7 s
laying them out, headless, measured), so input froze after the worker had finished; 500
rows take about 20 ms to add and 0.1 s with the repaint.
"""


class PatternsScreen(DistrictListScreen):
    """Repeat locations, victims and perpetrators, and hotspots; enter opens their cases."""

    FAILED_TITLE = "Could not find patterns"

    BINDINGS = [
        Binding("c", "across_cases", "Across cases",
                tooltip="Only patterns that span two or more cases", id="patterns.across"),
        Binding("n", "new_problem", "New problem",
                tooltip="Start a problem profile from this pattern", id="patterns.new_problem"),
    ]

    @dataclass
    class Loaded(Message):
        rows: list[Pattern]

    def __init__(self, district: District | None) -> None:
        super().__init__(district)
        self.across_cases = True
        self.rows: list[Pattern] = []

    def compose(self) -> ComposeResult:
        yield Static(id="patterns-title")
        yield DataTable(id="pattern-list", cursor_type="row", zebra_stripes=True)
        yield Static(id="row-detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for heading, width in (("Pattern", 18), ("Dist", 4), ("Where or who", 34),
                               ("Reports", 8), ("Usual", 6), ("Cases", 6)):
            table.add_column(Text(heading), width=width)
        self.load()
        table.focus()

    def load(self) -> None:
        # Something at once: what is being looked for, while the worker reads.
        where = self.district.label if self.district else "All districts"
        self.query_one("#patterns-title", Static).update(Text(
            f"Patterns of concern · {where} · finding patterns…", style="bold"))
        self._read()

    @work(thread=True, exclusive=True, exit_on_error=False, description="Finding patterns")
    def _read(self) -> None:
        rules = self.asb.settings.pattern_rules(min_cases=2 if self.across_cases else 1)
        try:
            rows = service.patterns(self.asb.store, district=self.district, rules=rules,
                                    now=self.asb.clock())
        except Exception as error:  # noqa: BLE001 - shown to the user, never a traceback
            self.post_message(self.LoadFailed(str(error)))
            return
        self.post_message(self.Loaded(rows))

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        table = self.query_one(DataTable)
        was = (self.rows[table.cursor_row] if self.rows and table.row_count
               and table.cursor_row < len(self.rows) else None)
        self.rows = message.rows
        table.clear()
        self._show_more(table)
        if was is not None:  # read again (f5, back from another view): the same pattern kept
            at = next((i for i, p in enumerate(self.rows)
                       if (p.kind, p.district, p.key) == (was.kind, was.district, was.key)), None)
            while at is not None and table.row_count <= at:
                self._show_more(table)
            if at is not None:
                table.move_cursor(row=at)
        if self.rows:
            self._describe(self.rows[min(table.cursor_row, len(self.rows) - 1)])
        where = self.district.label if self.district else "All districts"
        scope = "across two or more cases" if self.across_cases else "including single cases"
        self.query_one("#patterns-title", Static).update(Text(
            f"Patterns of concern · {where} · {scope} · {len(self.rows):,} found", style="bold"))

    def _show_more(self, table: DataTable) -> None:
        """Add the next SHOWN_AT_ONCE patterns to the table (all of them, on a small store)."""
        start = table.row_count
        for index in range(start, min(start + SHOWN_AT_ONCE, len(self.rows))):
            p = self.rows[index]
            style = "bold" if p.kind.value.startswith("hotspot") else ""
            table.add_row(Text(p.kind.label, style=style), Text(p.district.value),
                          Text(one_line(p.label)), Text(str(p.reports)),
                          Text("" if p.usual is None else f"{p.usual:g}"),
                          Text(str(len(p.case_refs))), key=str(index))

    @on(DataTable.RowHighlighted)
    def detail(self, event: DataTable.RowHighlighted) -> None:
        if self.rows:
            self._describe(self.rows[int(event.row_key.value or 0)])
            table = self.query_one(DataTable)
            near_end = table.row_count - max(SHOWN_AT_ONCE // 10, 1)
            if event.cursor_row >= near_end and table.row_count < len(self.rows):
                self._show_more(table)

    def _describe(self, p: Pattern) -> None:
        imported = (f" · {p.imported_reports} from data.police.uk" if p.imported_reports
                    else "")
        usual = f" · usual {p.usual:g} per period" if p.usual is not None else ""
        self.query_one("#row-detail", Static).update(Text(
            f"{p.kind.label}: {one_line(p.label)} · "
            f"{plural(p.reports, 'report')}{imported}{usual}\n"
            f"Cases: {', '.join(p.case_refs) or 'none (imported reports only)'}"))

    @on(DataTable.RowSelected)
    def open_cases(self, event: DataTable.RowSelected) -> None:
        p = self.rows[int(event.row_key.value or 0)]
        if not p.case_refs:
            self.notify("Only imported reports here: no case to open.", markup=False)
        elif len(p.case_refs) == 1:
            self.asb.open_case(p.case_refs[0])
        else:
            self.app.push_screen(
                ChoiceScreen(f"Open a case of: {one_line(p.label)}", self._case_choices(p)),
                lambda ref: self.asb.open_case(ref) if ref else None)

    def _case_choices(self, p: Pattern) -> list[tuple[str | Text, str]]:
        """Each case of the pattern as ref, status, location and summary, never a bare ref."""
        try:
            page = queue.queue_page(
                self.asb.store, QueueQuery(statuses=(), refs=tuple(p.case_refs)),
                limit=len(p.case_refs))
        except AsbError:
            return [(ref, ref) for ref in p.case_refs]
        found = {row.ref: row for row in page.rows}
        choices: list[tuple[str | Text, str]] = []
        for ref in p.case_refs:
            row = found.get(ref)
            if row is None:
                choices.append((ref, ref))  # not readable here: the case screen says why
                continue
            # Two lines an option, so that 80 columns show each in full or cut with "…".
            label = Text(ref, style="bold")
            label.append(f"  {row.status.label} · {one_line(row.location, 36)}")
            label.append(f"\n{one_line(row.summary, 66)}", style="dim")
            choices.append((label, ref))
        return choices

    def action_across_cases(self) -> None:
        self.across_cases = not self.across_cases
        self.load()

    def action_new_problem(self) -> None:
        from asbtui.screens.problems import NewProblemForm

        table = self.query_one(DataTable)
        if not self.rows or not table.row_count:
            self.notify("No pattern to start a problem from.", markup=False)
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        pattern = self.rows[int(key or 0)]
        self.app.push_screen(NewProblemForm.from_pattern(self.asb.store, pattern,
                                                         self.asb.clock()))
