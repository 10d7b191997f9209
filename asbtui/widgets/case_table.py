"""The queue's table: one page of cases at a time, more fetched as the cursor nears the end.

The table never holds the whole queue: the screen feeds it pages (``show_page`` to start
again, ``append_page`` to add the next) and it asks for more with ``NeedMore``. It also
keeps which loaded cases are selected for a bulk change, marked with a '●' on the ref.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from asbtui.dates import format_date, format_time_left
from asbtui.literal import one_line
from asbtui.models import CaseStatus
from asbtui.services.queue import QueueRow, SortKey
from asbtui.widgets.badges import literal, next_due_badge, risk_badge, status_badge

if TYPE_CHECKING:
    from asbtui.services.day import QueueMark

REF_WIDTH = 12


@dataclass(frozen=True)
class Column:
    """A queue column: shown when the table is wide enough for it and those before it."""

    key: str
    """Also the sort key's value, for the columns that sort."""
    label: str
    width: int
    """Its width; for a column that grows, the least it is shown at."""
    grow: int = 0
    """The most a column grows to when there is room to spare (0: a fixed width)."""
    sortable: bool = True


# In priority order: the narrower the terminal, the fewer of the last ones show (what is
# left out is in the detail line under the table, for the highlighted case).
COLUMNS: list[Column] = [
    Column(SortKey.REF.value, "Ref", REF_WIDTH),
    Column(SortKey.RISK.value, "Risk", 12),
    Column(SortKey.DUE.value, "Next due", 17),
    Column(SortKey.STATUS.value, "Status", 13),
    Column(SortKey.LOCATION.value, "Location", 12, grow=36),
    Column("summary", "Summary", 16, grow=80, sortable=False),
    Column(SortKey.OWNER.value, "Owner", 16),
    Column(SortKey.CATEGORY.value, "Category", 13),
    Column(SortKey.OPENED.value, "Opened", 10),
]
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
# Short enough for a narrow terminal; the detail line under the table has the full name.
SHORT_STATUS = {
    CaseStatus.UNDER_INVESTIGATION: "Investigating",
    CaseStatus.ACTION_IN_PROGRESS: "Action",
}
ALL_COLUMNS: tuple[str, ...] = tuple(c.key for c in COLUMNS)
CELL_PADDING = 2  # one column either side of each cell
SCROLLBAR = 2  # always kept for the vertical scrollbar, so that rows loading never re-lay it out
FETCH_AHEAD = 20
REF_COLUMN = SortKey.REF.value
# Room for the '● ' mark, taken only while something is selected.
SELECTED_REF_WIDTH = REF_WIDTH + 2
SELECTED_MARK = "● "
SELECTED_STYLE = "bold reverse"


def layout(width: int, chosen: Iterable[str] = ALL_COLUMNS) -> dict[str, int]:
    """The columns that fit in ``width`` and their widths, in priority order.

    The reference always shows; then each chosen column while it fits whole, stopping
    at the first that does not; what is left widens location, then summary.
    """
    wanted = set(chosen) | {REF_COLUMN}
    room = width - SCROLLBAR
    widths: dict[str, int] = {}
    for column in COLUMNS:
        if column.key not in wanted:
            continue
        need = column.width + CELL_PADDING
        if widths and need > room:
            break
        widths[column.key] = column.width
        room -= need
    for column in COLUMNS:
        if column.grow and column.key in widths and room > 0:
            extra = min(room, column.grow - column.width)
            widths[column.key] += extra
            room -= extra
    return widths


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
        self.chosen: tuple[str, ...] = ALL_COLUMNS
        """The columns the user wants (the reference always shows)."""
        self.widths: dict[str, int] = {}
        """The columns shown now and their widths (see ``layout``)."""
        self.day_marks: dict[str, QueueMark] = {}
        """Pending first contacts and overdue victim updates (found after each page)."""

    def on_mount(self) -> None:
        self._lay_out(self.size.width or self.app.size.width)

    def on_resize(self, event: events.Resize) -> None:
        self._lay_out(event.size.width)

    def choose_columns(self, keys: Iterable[str]) -> None:
        """Show these columns (in priority order, as many as fit)."""
        self.chosen = tuple(k for k in ALL_COLUMNS if k in set(keys) | {REF_COLUMN})
        self._lay_out(self.size.width or self.app.size.width, force=True)

    def _lay_out(self, width: int, *, force: bool = False) -> None:
        widths = layout(width, self.chosen)
        if widths == self.widths and not force:
            return
        self.widths = widths
        highlighted = self.highlighted_ref()
        self.clear(columns=True)
        for key, column_width in widths.items():
            if key == REF_COLUMN and self._selected:
                column_width = SELECTED_REF_WIDTH
            self.add_column(Text(COLUMN_BY_KEY[key].label), key=key, width=column_width)
        for row in self._loaded.values():
            self.add_row(*self._cells(row), key=row.ref)
        if highlighted in self.rows:
            self.move_cursor(row=self.get_row_index(highlighted))
        self.header_for(self.sort_key, self.descending)

    def header_for(self, sort_key: SortKey, descending: bool) -> None:
        """Mark the sorted column in its header."""
        self.sort_key, self.descending = sort_key, descending
        for column in self.columns.values():
            base = COLUMN_BY_KEY[str(column.key.value)].label
            arrow = (" ▼" if descending else " ▲") if column.key.value == sort_key.value else ""
            column.label = Text(base + arrow)
        self.refresh()

    def _ref_cell(self, ref: str) -> Text:
        if ref in self._selected:
            return Text(SELECTED_MARK + ref, style=SELECTED_STYLE)
        return Text(ref, style="bold")

    def _cell(self, key: str, row: QueueRow) -> Text:
        width = self.widths.get(key)
        if key == REF_COLUMN:
            return self._ref_cell(row.ref)
        if key == SortKey.RISK.value:
            return self._risk_cell(row)
        if key == SortKey.DUE.value:
            return self._due_cell(row)
        if key == SortKey.STATUS.value:
            badge = status_badge(row.status)
            badge.plain = SHORT_STATUS.get(row.status, badge.plain)
            return badge
        if key == SortKey.LOCATION.value:
            return literal(row.location, width)
        if key == "summary":
            return literal(row.summary, width)
        if key == SortKey.OWNER.value:
            return literal(row.owner or "—", width, style="" if row.owner else "dim")
        if key == SortKey.CATEGORY.value:
            return Text(one_line(row.category.label, width))
        return Text(format_date(row.opened_at))

    def _cells(self, row: QueueRow) -> list[Text]:
        return [self._cell(key, row) for key in self.widths]

    def detail(self, ref: str | None, room: int = 1000) -> Text:
        """Everything about the highlighted case, whatever columns fit: the lines under
        the table, the summary last and cut with "…" to ``room`` characters."""
        row = self._loaded.get(ref or "")
        if row is None:
            return Text("")
        flags = [
            *(["vulnerable victim"] if row.vulnerable_victim else []),
            *(["meets the ASB Case Review threshold"] if row.ref in self.review_flags else []),
        ]
        due = next_due_badge(row.next_due, self.now, full=True)
        parts: list[Text] = [
            Text(row.ref, style="bold"),
            risk_badge(row.risk) + Text(" risk"),
            *(Text(flag, style="bold") for flag in flags),
            status_badge(row.status),
            Text("next due ") + due if due.plain else Text("no review date", style="dim"),
            Text(row.category.label),
            Text(f"opened {format_date(row.opened_at)}"),
            literal(row.owner) if row.owner else Text("unallocated", style="dim"),
            literal(row.location),
        ]
        line = Text(" · ").join(p for p in parts if p.plain)
        summary_room = room - len(line.plain) - 3
        if row.summary and summary_room > 1:
            line += Text(" · ") + literal(row.summary, summary_room)
        return line

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
            return next_due_badge(row.next_due, self.now, full=True)
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
                for key in (SortKey.RISK.value, SortKey.DUE.value):
                    if key in self.widths:  # shown at this width
                        self.update_cell(ref, key, self._cell(key, row))

    def mark_review_flags(self, refs: frozenset[str]) -> None:
        """Mark the loaded cases that meet the ASB Case Review threshold (and later pages)."""
        self.review_flags = refs
        if SortKey.RISK.value not in self.widths:
            return
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

    def append_page(self, rows: list[QueueRow], marks: dict[str, QueueMark] | None = None
                    ) -> None:
        """Add the next page; ``marks``, the officer's day on its rows if already known,
        are drawn with them (marked after, each cell is updated and the table drawn again)."""
        if marks:
            self.day_marks.update(marks)
        for row in rows:
            if row.ref not in self.rows:
                self._loaded[row.ref] = row
                self.add_row(*self._cells(row), key=row.ref)

    # ------------------------------------------------------------------ drawing

    def _render_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                     cursor: bool = False, hover: bool = False) -> list[list[Segment]]:
        """A cell drawn as DataTable draws it, without the nest of Rich renderables.

        DataTable renders every cell through ``console.render_lines`` of a ``Styled``
        holding a ``Padding`` holding the cell: a page's first frame drew some 240 cells
        that way, 20-30 ms of the first painted queue. A one-line ``Text`` that fits its
        column (all of this table's cells, bar a too-long one) is drawn here with the
        same Rich calls those renderables make in turn (``Text.join`` and ``render``,
        ``Segment.split_and_crop_lines``, ``Segment.apply_style``), cached under
        DataTable's own key; anything else goes to DataTable. ``tests/test_case_table.py``
        holds the two to the same segments for every style (zebra, cursor, hover, fixed,
        selected), so a change in Textual or Rich that parts them fails there.
        """
        if row_index < 0 or column_index < 0:  # the header and row labels: DataTable's
            return super()._render_cell(row_index, column_index, base_style, width,
                                        cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        cache_key = (row_key, column_key, base_style, cursor, hover, self._show_hover_cursor,
                     self._update_count, self._pseudo_class_state)
        cache = self._cell_render_cache
        if cache_key in cache:
            return cache[cache_key]
        lines = self._render_plain_cell(row_index, column_index, row_key, base_style, width,
                                        cursor, hover)
        if lines is None:
            return super()._render_cell(row_index, column_index, base_style, width,
                                        cursor, hover)
        cache[cache_key] = lines
        return lines

    def _render_plain_cell(self, row_index: int, column_index: int, row_key: object,
                           base_style: Style, width: int, cursor: bool, hover: bool
                           ) -> list[list[Segment]] | None:
        """The cell's one line, or None when it is not a one-line ``Text`` that fits."""
        padding = self.cell_padding
        inner = width - 2 * padding
        row = self.rows.get(row_key)  # type: ignore[call-overload]
        if row is None or row.height != 1 or padding < 0 or inner < 1:
            return None
        cell = self._get_row_renderables(row_index).cells[column_index]
        console = self.app.console
        options = self.app.console_options
        if not (isinstance(cell, Text) and cell.end == "\n"
                and cell.justify in (None, "default") and options.justify in (None, "default")):
            return None
        plain = cell.plain
        if "\n" in plain or "\t" in plain or cell_len(plain) > inner:
            return None
        is_fixed = row_index < self.fixed_rows or column_index < self.fixed_columns
        component_style, post_style = self._get_styles_to_render_cell(
            False, False, is_fixed, hover, cursor, self.show_cursor, self._show_hover_cursor,
            self.cursor_foreground_priority == "css", self.cursor_background_priority == "css")
        pre_style = base_style + Style.from_meta({"row": row_index, "column": column_index}) \
            + component_style
        # Padding(cell, (0, padding)) in Styled(pre_style, post_style), one line high:
        pad_style = console.get_style("none")
        text = Text("\n").join([cell]).render(console, end=cell.end)
        line = next(iter(Segment.split_and_crop_lines(
            text, inner, style=pad_style, pad=True, include_new_lines=False)), None)
        if line is None:
            return None
        if padding:
            side = Segment(" " * padding, pad_style)
            line = [side, *line, side]
        return [list(Segment.apply_style(line, console.get_style(pre_style),
                                         console.get_style(post_style)))]

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
        column = COLUMN_BY_KEY.get(str(event.column_key.value))
        if column is not None and column.sortable:
            self.post_message(self.SortRequested(SortKey(column.key)))
