"""The queue's table: one page of cases at a time, more fetched as the cursor nears the end.

The table never holds the whole queue: the screen feeds it pages (``show_page`` to start
again, ``append_page`` to add the next) and it asks for more with ``NeedMore``. It also
keeps which loaded cases are selected for a bulk change, marked with a '●' on the ref.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from asbtui.dates import format_date, format_time_left
from asbtui.services.day import QueueMark
from asbtui.services.queue import QueueRow, SortKey
from asbtui.widgets.badges import literal, next_due_badge, risk_badge, status_badge

REF_WIDTH = 12

# Most telling first, so that an 80-column terminal shows ref, risk, status, due and place.
COLUMNS: list[tuple[str, SortKey, int | None]] = [
    ("Ref", SortKey.REF, REF_WIDTH),
    ("Risk", SortKey.RISK, 12),
    ("Status", SortKey.STATUS, 19),
    ("Next due", SortKey.DUE, 12),
    ("Location", SortKey.LOCATION, 30),
    ("Owner", SortKey.OWNER, 18),
    ("Category", SortKey.CATEGORY, 13),
    ("Opened", SortKey.OPENED, 10),
]
FETCH_AHEAD = 20
REF_COLUMN = SortKey.REF.value
# Room for the '● ' mark, taken only while something is selected.
SELECTED_REF_WIDTH = REF_WIDTH + 2
SELECTED_MARK = "● "
SELECTED_STYLE = "bold reverse"


class CaseTable(DataTable):
    """A page-fed table of cases; enter opens the highlighted case."""

    @dataclass
    class CaseOpened(Message):
        """The user chose a case to open."""

        ref: str

    @dataclass
    class NeedMore(Message):
        """The cursor is near the last loaded row: the screen should fetch the next page."""

    @dataclass
    class SortRequested(Message):
        key: SortKey

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.now = datetime.now(UTC)
        self.sort_key = SortKey.URGENCY
        self.descending = False
        self._selected: dict[str, None] = {}
        """Selected refs, in the order they were chosen."""
        self._loaded: dict[str, QueueRow] = {}
        self.review_flags: frozenset[str] = frozenset()
        """Refs of cases meeting the ASB Case Review threshold (marked T)."""
        self.day_marks: dict[str, QueueMark] = {}
        """Pending first contacts and overdue victim updates (found after each page)."""

    def on_mount(self) -> None:
        for label, key, width in COLUMNS:
            self.add_column(Text(label), key=key.value, width=width)

    def header_for(self, sort_key: SortKey, descending: bool) -> None:
        """Mark the sorted column in its header."""
        self.sort_key, self.descending = sort_key, descending
        for column in self.columns.values():
            base = next(label for label, key, _ in COLUMNS if key.value == column.key.value)
            arrow = (" ▼" if descending else " ▲") if column.key.value == sort_key.value else ""
            column.label = Text(base + arrow)
        self.refresh()

    def _ref_cell(self, ref: str) -> Text:
        if ref in self._selected:
            return Text(SELECTED_MARK + ref, style=SELECTED_STYLE)
        return Text(ref, style="bold")

    def _cells(self, row: QueueRow) -> list[Text]:
        return [
            self._ref_cell(row.ref),
            self._risk_cell(row),
            status_badge(row.status),
            self._due_cell(row),
            literal(row.location),
            literal(row.owner or "—", style="" if row.owner else "dim"),
            Text(row.category.label),
            Text(format_date(row.opened_at)),
        ]

    def _risk_cell(self, row: QueueRow) -> Text:
        # V: a vulnerable victim; T: the ASB Case Review threshold is met (s104).
        return (
            risk_badge(row.risk)
            + (Text(" V", style="bold red") if row.vulnerable_victim else Text(""))
            + (Text(" T", style="bold magenta") if row.ref in self.review_flags else Text(""))
            + (Text(" U", style="bold yellow") if self._update_overdue(row.ref) else Text(""))
        )

    def _update_overdue(self, ref: str) -> bool:
        mark = self.day_marks.get(ref)
        return mark is not None and mark.victim_update_overdue

    def _due_cell(self, row: QueueRow) -> Text:
        # A first contact still to make shows its time left when it comes before the rest
        # ('1st!' once the target is passed: a breach).
        mark = self.day_marks.get(row.ref)
        due = mark.first_contact_due if mark else None
        if due is None or (row.next_due is not None and row.next_due[0] < due and due > self.now):
            return next_due_badge(row.next_due, self.now)
        if due < self.now:
            return Text(f"1st! {format_time_left(self.now - due)}", style="bold red")
        return Text(f"1st {format_time_left(due - self.now)}",
                    style="yellow" if due - self.now < timedelta(days=1) else "")

    def mark_day(self, marks: dict[str, QueueMark]) -> None:
        """Show the officer's day on the loaded rows the marks are for."""
        self.day_marks.update(marks)
        for ref in marks:
            row = self._loaded.get(ref)
            if row is not None and ref in self.rows:
                self.update_cell(ref, SortKey.RISK.value, self._risk_cell(row))
                self.update_cell(ref, SortKey.DUE.value, self._due_cell(row))

    def mark_review_flags(self, refs: frozenset[str]) -> None:
        """Mark the loaded cases that meet the ASB Case Review threshold (and later pages)."""
        self.review_flags = refs
        for ref, row in self._loaded.items():
            if ref in self.rows:
                self.update_cell(ref, SortKey.RISK.value, self._risk_cell(row))

    def show_page(self, rows: list[QueueRow]) -> None:
        """Start again with the first page (and nothing selected)."""
        self.clear_selection()
        self.clear()
        self._loaded = {}
        self.day_marks = {}
        self.append_page(rows)
        if rows:
            self.move_cursor(row=0)

    def append_page(self, rows: list[QueueRow]) -> None:
        for row in rows:
            if row.ref not in self.rows:
                self._loaded[row.ref] = row
                self.add_row(*self._cells(row), key=row.ref)

    def highlighted_ref(self) -> str | None:
        if not self.row_count:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return str(row_key.value)

    # ------------------------------------------------------------------ selection

    @property
    def selected(self) -> list[str]:
        """The refs selected for a bulk change, in the order they were chosen."""
        return list(self._selected)

    def toggle_selected(self, ref: str) -> bool:
        """Select the case, or unselect it if it was selected; True if now selected."""
        if ref in self._selected:
            del self._selected[ref]
        else:
            self._selected[ref] = None
        self._mark([ref])
        return ref in self._selected

    def select_all(self) -> None:
        """Select every loaded case."""
        refs = [str(key.value) for key in self.rows]
        self._selected = dict.fromkeys(refs)
        self._mark(refs)

    def clear_selection(self) -> None:
        refs = list(self._selected)
        self._selected = {}
        self._mark(refs)

    def _mark(self, refs: list[str]) -> None:
        column = self.columns.get(ColumnKey(REF_COLUMN))
        if column is not None:
            column.width = SELECTED_REF_WIDTH if self._selected else REF_WIDTH
        for ref in refs:
            if ref in self.rows:
                self.update_cell(ref, REF_COLUMN, self._ref_cell(ref), update_width=True)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self.row_count and event.cursor_row >= self.row_count - FETCH_AHEAD:
            self.post_message(self.NeedMore())

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.post_message(self.CaseOpened(str(event.row_key.value)))

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        self.post_message(self.SortRequested(SortKey(event.column_key.value)))
