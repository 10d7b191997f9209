"""The queue's table draws its cells as DataTable does, segment for segment.

``CaseTable._render_cell`` draws a one-line ``Text`` that fits its column without the nest
of Rich renderables DataTable builds for each cell (20-30 ms of the first painted queue).
These tests hold it to DataTable's own drawing for every style a cell can take: zebra
rows, the cursor, the mouse hover, fixed rows and columns, a selected case, and the cursor
colours given by the CSS or by the cell. A change in Textual or Rich that parts the two
fails here.
"""

from __future__ import annotations

import itertools

from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from asbtui.widgets.badges import literal
from asbtui.widgets.case_table import SELECTED_MARK, SELECTED_STYLE, CaseTable

ROWS = [
    [Text("THA-26-00001", style="bold"),
     Text("High", style="bold red") + Text(" V", style="bold red")
     + Text(" T", style="bold magenta"), Text("05/12/2026!", style="bold red"),
     Text("Action", style="yellow"), literal("12 Invicta Road, Margate, Kent CT9 1AA", 18),
     literal("Loud music [b]and[/b] parties late at night", 16), literal("—", 16, style="dim"),
     Text("Nuisance"), Text("01/11/2026")],
    [Text(SELECTED_MARK + "THA-26-00002", style=SELECTED_STYLE), Text("Standard"), Text(""),
     Text("Investigating"), Text("日本語の住所テキスト"), Text("emoji 🙂 here"),
     Text.from_markup("[b]PC[/b] [i]4512[/i] [u]Smith[/u]"), Text("Café ümlaut"),
     Text("  spaced  ")],
    [Text("THA-26-00003", style="bold"), Text("x" * 40), Text("two\nlines"),
     Text("right", justify="right"), Text("tab\there"), Text("a", style="on blue") + Text("b"),
     "plain [b]markup[/b] string", Text("Nuisance", end=""), Text("—", style="dim")],
]


class Table(App[None]):
    def compose(self) -> ComposeResult:
        yield CaseTable(id="cases")

    def on_mount(self) -> None:
        table = self.query_one(CaseTable)
        table.clear(columns=True)
        for label, width in zip(["A", "B", "C", "D", "E", "F", "G", "H", "I"],
                                (12, 12, 17, 13, 18, 16, 16, 13, 10), strict=True):
            table.add_column(label, width=width)
        for number, row in enumerate(ROWS):
            table.add_row(*row, key=f"row{number}")


# The table's settings in two groups: how the cursor is drawn (shown, hover, whose colours
# win) and how the grid is laid out (fixed rows and columns, padding). Each group's every
# combination is run, each beside a different one of the other group's in turn (28 settings,
# not the 192 of the whole product: that took 12-40 s of the suite, and the cell's own
# cursor, hover and base style are crossed with every setting either way).
_CURSOR = list(itertools.product((False, True), (False, True), ("css", "renderable"),
                                 ("css", "renderable")))
_GRID = list(itertools.product((0, 1), (0, 1), (1, 0, 2)))
SETTINGS = ([(*cursor, *_GRID[n % len(_GRID)]) for n, cursor in enumerate(_CURSOR)]
            + [(*_CURSOR[(n * 5 + 3) % len(_CURSOR)], *grid) for n, grid in enumerate(_GRID)])


def _both(table: CaseTable, row: int, column: int, base: Style, width: int, cursor: bool,
          hover: bool) -> tuple[object, object]:
    table._cell_render_cache.clear()
    ours = table._render_cell(row, column, base, width, cursor, hover)
    table._cell_render_cache.clear()
    theirs = DataTable._render_cell(table, row, column, base, width, cursor, hover)
    return ours, theirs


async def test_every_cell_is_drawn_as_datatable_draws_it_in_every_style() -> None:
    app = Table()
    async with app.run_test(size=(160, 20)) as pilot:
        await pilot.pause()
        table = app.query_one(CaseTable)
        bases = [
            Style.null(),
            table.get_component_rich_style("datatable--even-row"),
            table.get_component_rich_style("datatable--odd-row"),
            table.get_component_rich_style("datatable--fixed"),
            table.rich_style,
        ]
        drawn_here = compared = 0
        for show_cursor, show_hover, fore, back, fixed_rows, fixed_columns, padding in SETTINGS:
            table.show_cursor = show_cursor
            table._show_hover_cursor = show_hover
            table.cursor_foreground_priority = fore  # type: ignore[assignment]
            table.cursor_background_priority = back  # type: ignore[assignment]
            table.fixed_rows, table.fixed_columns = fixed_rows, fixed_columns
            table.cell_padding = padding
            for row, column in itertools.product(range(len(ROWS)), range(9)):
                width = table.ordered_columns[column].get_render_width(table)
                for base, cursor, hover in itertools.product(bases, (False, True),
                                                             (False, True)):
                    ours, theirs = _both(table, row, column, base, width, cursor, hover)
                    assert ours == theirs, (row, column, base, cursor, hover, show_cursor)
                    compared += 1
                row_key = table._row_locations.get_key(row)
                if table._render_plain_cell(row, column, row_key, bases[1], width, False,
                                            False) is not None:
                    drawn_here += 1
        # Most cells take the short way (else this test would compare DataTable with itself).
        assert compared == len(SETTINGS) * 27 * len(bases) * 4
        assert drawn_here >= len(SETTINGS) * 17


async def test_the_header_and_a_cell_too_wide_are_left_to_datatable() -> None:
    app = Table()
    async with app.run_test(size=(160, 20)) as pilot:
        await pilot.pause()
        table = app.query_one(CaseTable)
        base = table.get_component_rich_style("datatable--even-row")
        row_key = table._row_locations.get_key(2)
        # 40 x's in a column 12 wide, two lines, a tab, a right-justified Text, a Text
        # without its line end: DataTable draws them.
        for column in (1, 2, 3, 4, 7):
            width = table.ordered_columns[column].get_render_width(table)
            assert table._render_plain_cell(2, column, row_key, base, width, False,
                                            False) is None
        width = table.ordered_columns[0].get_render_width(table)
        ours, theirs = _both(table, -1, 0, base, width, False, False)
        assert ours == theirs
